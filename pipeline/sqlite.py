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
from datetime import datetime, timezone
from pathlib import Path


def open_db(path: str | Path, *, synchronous: str = "NORMAL", schema: str | None = None, rows: bool = True,
            timeout: float = 30.0) -> sqlite3.Connection:
    """Open (creating folders and ``schema``) the SQLite file at ``path``.

    ``synchronous``: NORMAL survives process crashes in WAL mode; FULL also
    survives power loss (the alert store and its outbox use it). ``rows``:
    rows as ``sqlite3.Row`` (by name and by index) instead of tuples."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    if rows:
        conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    if schema:
        conn.executescript(schema)
    return conn


def ts(dt: datetime, timespec: str = "microseconds") -> str:
    """How the stores write a time: UTC ISO 8601, so text order is time order within a column."""
    return dt.astimezone(timezone.utc).isoformat(timespec=timespec)
