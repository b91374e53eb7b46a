"""Durable per-source health records, beside the crawl state in
``<data_dir>/crawl_state.db`` (see ``crawlers.health`` for what they mean).

Two tables: ``runs`` (one row per crawl run, pruned to the last
``KEEP_RUNS`` per source) and ``source_health`` (one row per source: the
latest outcome, counters, and the ops problem currently open). Several
crawl processes and the scheduler write at once: WAL plus a busy timeout.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from crawlers.state import FILENAME
from pipeline.sqlite import open_db

KEEP_RUNS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    status TEXT NOT NULL,
    items INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    error TEXT,
    stats TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_source ON runs (source_id, finished_at);
CREATE TABLE IF NOT EXISTS source_health (
    source_id TEXT PRIMARY KEY,
    first_run_at REAL NOT NULL,
    last_run_at REAL NOT NULL,
    last_status TEXT NOT NULL,
    last_success_at REAL,
    last_error_at REAL,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    items_last_run INTEGER NOT NULL DEFAULT 0,
    last_item_at REAL,
    problem TEXT,
    problem_since REAL,
    problem_reported_at REAL
);
"""


@dataclass
class RunOutcome:
    source_id: str
    status: str  # ok | blind | failed
    items: int = 0
    pages: int = 0
    errors: int = 0
    error: str | None = None
    elapsed_s: float = 0.0
    stats: dict | None = None


def outcome_of(stats: dict) -> RunOutcome:
    """The outcome of a run from the stats line ``crawlers.run`` prints."""
    status = "ok" if stats.get("ok") else ("blind" if stats.get("pages_fetched") and stats.get("blind")
                                           and not stats.get("bus_errors") else "failed")
    error = stats.get("error") or stats.get("blind_reason") or stats.get("last_error")
    if status == "failed" and not error:
        error = "nothing fetched" if not stats.get("pages_fetched") else f"finish reason {stats.get('finish_reason')}"
    return RunOutcome(stats.get("source", "?"), status, int(stats.get("items_published", 0)),
                      int(stats.get("pages_fetched", 0)), int(stats.get("errors", 0)), error,
                      float(stats.get("elapsed_s", 0.0)), stats)


class HealthStore:
    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self._conn = open_db(path, schema=_SCHEMA, timeout=busy_timeout)

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> HealthStore:
        return cls(Path(data_dir) / FILENAME)

    def record_run(self, run: RunOutcome, now: float | None = None) -> None:
        now = time.time() if now is None else now
        ok = run.status == "ok"
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(
                "INSERT INTO runs (source_id, started_at, finished_at, status, items, pages, errors, error, stats)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.source_id, now - run.elapsed_s, now, run.status, run.items, run.pages, run.errors, run.error,
                 json.dumps(run.stats or {}, ensure_ascii=False, default=str)))
            self._conn.execute(
                """INSERT INTO source_health (source_id, first_run_at, last_run_at, last_status, last_success_at,
                       last_error_at, last_error, consecutive_failures, items_last_run, last_item_at)
                   VALUES (:id, :now, :now, :status, :ok_at, :err_at, :error, :fails, :items, :item_at)
                   ON CONFLICT (source_id) DO UPDATE SET
                       last_run_at = :now, last_status = :status,
                       last_success_at = COALESCE(:ok_at, last_success_at),
                       last_error_at = COALESCE(:err_at, last_error_at),
                       last_error = COALESCE(:error, last_error),
                       consecutive_failures = CASE WHEN :ok THEN 0 ELSE consecutive_failures + 1 END,
                       items_last_run = :items,
                       last_item_at = COALESCE(:item_at, last_item_at)""",
                {"id": run.source_id, "now": now, "status": run.status, "ok": ok, "ok_at": now if ok else None,
                 "err_at": None if ok else now, "error": None if ok else (run.error or run.status)[:500],
                 "fails": 0 if ok else 1, "items": run.items, "item_at": now if run.items else None})
            self._conn.execute(
                "DELETE FROM runs WHERE source_id = ? AND id <= (SELECT id FROM runs WHERE source_id = ?"
                " ORDER BY id DESC LIMIT 1 OFFSET ?)", (run.source_id, run.source_id, KEEP_RUNS))
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def get(self, source_id: str) -> dict | None:
        row = self._conn.execute("SELECT * FROM source_health WHERE source_id = ?", (source_id,)).fetchone()
        return dict(row) if row else None

    def all(self) -> dict[str, dict]:
        return {r["source_id"]: dict(r) for r in self._conn.execute("SELECT * FROM source_health")}

    def set_problem(self, source_id: str, problem: str | None, problem_since: float | None,
                    problem_reported_at: float | None) -> None:
        self._conn.execute("UPDATE source_health SET problem = ?, problem_since = ?, problem_reported_at = ?"
                           " WHERE source_id = ?", (problem, problem_since, problem_reported_at, source_id))

    def window_counts(self, since: float) -> dict[str, tuple[int, int]]:
        """source -> (runs, items published) since ``since``."""
        rows = self._conn.execute("SELECT source_id, COUNT(*), COALESCE(SUM(items), 0) FROM runs"
                                  " WHERE finished_at >= ? GROUP BY source_id", (since,))
        return {r[0]: (r[1], r[2]) for r in rows}

    def runs(self, source_id: str, limit: int = 20) -> list[dict]:
        rows = self._conn.execute("SELECT * FROM runs WHERE source_id = ? ORDER BY id DESC LIMIT ?",
                                  (source_id, limit))
        return [{**dict(r), "stats": json.loads(r["stats"])} for r in rows]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> HealthStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
