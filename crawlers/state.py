"""Incremental crawl state: which URLs of a source were already published,
and per-source cursors.

One SQLite file, ``<data_dir>/crawl_state.db`` (WAL, so the crawl processes
of several sources can write at once), one row per (source, canonical URL)
with the hash of what was published and when it was first and last seen,
and named cursors per source (``newest``: the publish time, epoch seconds,
of the newest document flushed; API spiders stop paging below it). Source
health lives in the same file (``crawlers.health``).

Delivery contract: a URL is marked seen only **after** the bus flush that
carried its document succeeded (see ``crawlers.publish``). A crash between
crawl and flush therefore leaves the URL unseen and the next run fetches and
publishes it again; the document id is derived from the URL, so downstream
the replay is an idempotent upsert. Never the other way round: marking first
could lose a document for good.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path

from contracts.urls import canonical_url
from pipeline.sqlite import open_db

FILENAME = "crawl_state.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    source_id TEXT NOT NULL,
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (source_id, url)
);
CREATE TABLE IF NOT EXISTS cursors (
    source_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (source_id, name)
)
"""


def content_hash(*parts: str | None) -> str:
    """Stable hash of what was published (title, text, …), to notice edits."""
    return hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


class CrawlState:
    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        # Autocommit mode; mark_seen wraps its batch in one transaction.
        self._conn = open_db(self.path, schema=_SCHEMA, rows=False, timeout=busy_timeout)

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> CrawlState:
        return cls(Path(data_dir) / FILENAME)

    def seen(self, source_id: str, url: str) -> bool:
        return self.hash_of(source_id, url) is not None

    def hash_of(self, source_id: str, url: str) -> str | None:
        row = self._conn.execute(
            "SELECT content_hash FROM seen WHERE source_id = ? AND url = ?",
            (source_id, canonical_url(url))).fetchone()
        return row[0] if row else None

    def first_seen(self, source_id: str, url: str) -> float | None:
        row = self._conn.execute("SELECT first_seen FROM seen WHERE source_id = ? AND url = ?",
                                 (source_id, canonical_url(url))).fetchone()
        return row[0] if row else None

    def cursor(self, source_id: str, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM cursors WHERE source_id = ? AND name = ?",
                                 (source_id, name)).fetchone()
        return row[0] if row else None

    def set_cursor(self, source_id: str, name: str, value: str, now: float | None = None) -> None:
        self._conn.execute(
            "INSERT INTO cursors VALUES (?, ?, ?, ?) ON CONFLICT (source_id, name) DO UPDATE"
            " SET value = excluded.value, updated_at = excluded.updated_at",
            (source_id, name, value, time.time() if now is None else now))

    def advance_cursor(self, source_id: str, name: str, value: float) -> None:
        """Raise a numeric cursor to ``value``; never lowers it."""
        current = self.cursor(source_id, name)
        if current is None or float(current) < value:
            self.set_cursor(source_id, name, repr(float(value)))

    def mark_seen(self, source_id: str, entries: Iterable[tuple[str, str]], now: float | None = None) -> int:
        """Record (url, content hash) pairs as published; returns how many."""
        now = time.time() if now is None else now
        rows = [(source_id, canonical_url(url), h, now, now) for url, h in entries]
        if not rows:
            return 0
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(
                "INSERT INTO seen VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id, url) DO UPDATE"
                " SET content_hash = excluded.content_hash, last_seen = excluded.last_seen", rows)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return len(rows)

    def count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return self._conn.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
        return self._conn.execute("SELECT COUNT(*) FROM seen WHERE source_id = ?", (source_id,)).fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
