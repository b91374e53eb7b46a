"""Opening the SQLite files the embedded stores keep in the data directory.

Every store (alert store, story store, crawl state, source health, console
users and casebook) uses one connection the same way: WAL journal (readers
never block the writer; a killed process loses nothing committed), autocommit
mode with explicit ``BEGIN``/``COMMIT`` where a change spans statements, a
busy timeout for the other processes sharing the file, and one connection
shared by the store's threads under the store's own lock.
"""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path


def open_db(path: str | Path, *, synchronous: str = "NORMAL", schema: str | None = None, rows: bool = True,
            timeout: float = 30.0) -> sqlite3.Connection:
    """Open (creating folders and ``schema``) the SQLite file at ``path``.

    ``synchronous``: NORMAL survives process crashes in WAL mode; FULL also
    survives power loss (the alert store and its outbox use it). ``rows``:
    rows as ``sqlite3.Row`` (by name and by index) instead of tuples."""
    path = Path(path)
    conn = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        if rows:
            conn.row_factory = sqlite3.Row
        # New files give deleted pages back on ``PRAGMA incremental_vacuum`` (no effect on an
        # existing file until a full VACUUM: ``yuqing vacuum --full``).
        _while_busy(conn, "PRAGMA auto_vacuum=INCREMENTAL", timeout)
        _while_busy(conn, "PRAGMA journal_mode=WAL", timeout)
        conn.execute(f"PRAGMA synchronous={synchronous}")
        if schema:
            conn.executescript(schema)
    except (sqlite3.OperationalError, OSError) as exc:
        # Name the file: "unable to open database file" alone does not say which (read-only data folder…).
        if conn is not None:
            conn.close()
        raise sqlite3.OperationalError(f"{path}: {exc}") from exc
    return conn


def _while_busy(conn: sqlite3.Connection, sql: str, timeout: float) -> None:
    """Run ``sql``, again while another connection holds the file. Changing the journal mode of a new
    file takes an exclusive lock for which SQLite does not call the busy handler: processes opening a
    new file at once (consoles starting together) got "database is locked" at once, not after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def ts(dt: datetime, timespec: str = "microseconds") -> str:
    """How the stores write a time: UTC ISO 8601, so text order is time order within a column."""
    return dt.astimezone(timezone.utc).isoformat(timespec=timespec)


def file_report(path: str | Path) -> dict:
    """Size (with the WAL), last write and reclaimable space of one SQLite file, read-only."""
    path = Path(path)
    wal = path.with_name(path.name + "-wal")
    report = {"path": str(path), "bytes": path.stat().st_size + (wal.stat().st_size if wal.exists() else 0),
              "modified": max(p.stat().st_mtime for p in (path, wal) if p.exists())}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            report["free_bytes"] = conn.execute("PRAGMA freelist_count").fetchone()[0] * page
            report["auto_vacuum"] = {0: "none", 1: "full", 2: "incremental"}.get(
                conn.execute("PRAGMA auto_vacuum").fetchone()[0], "?")
        finally:
            conn.close()
    except sqlite3.Error as e:
        report["error"] = str(e)
    return report


def vacuum(path: str | Path, full: bool = False, timeout: float = 30.0) -> int:
    """Give free pages back to the file system; the bytes saved. ``full``: rewrite the
    file (VACUUM, needs it to itself) and switch it to incremental auto-vacuum."""
    path = Path(path)
    before = file_report(path)["bytes"]
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        if full:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("VACUUM")
        else:
            conn.executescript("PRAGMA incremental_vacuum;")  # execute() would free one page only
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return before - file_report(path)["bytes"]
