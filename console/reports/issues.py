"""期号: the issue numbers of reports and 事件 documents, kept in the console's store.

The console's store is console.db (SQLite) or the console's PostgreSQL database (console/users.py), so
two console replicas on PostgreSQL share one numbering. A number is taken inside one transaction:
SQLite's ``BEGIN IMMEDIATE`` serialises every writer (processes too); on PostgreSQL an advisory lock on
the scope (``pipeline.statedb.lock_key``) does, and the unique constraint on (scope, kind, number) would
refuse a number given twice (migration 130).

A scope is one numbering: the association's reports and 事件 documents (``association``), or one unit's
own reports (``unit:<id>``); within it each kind (daily, weekly, emergency-review…) counts from 1.
``number(kind, key)`` returns the number already given to ``key`` (e.g. ``daily-2026-11-30``), or the
next one: regenerating a report keeps its 期号.

Before, the numbers were kept in ``issues.json`` in the report folder; the first use of a scope reads
that file in once (recorded in ``issue_imports``), so numbering continues where it stopped.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path

from pipeline.sqlite import ts
from pipeline.statedb import connect, lock_key, migrate, transaction

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parents[1] / "migrations" / "issues"  # versioned SQL per engine (pipeline/statedb.py)
LEGACY_FILE = "issues.json"
ASSOCIATION = "association"


def unit_scope(unit_id: str) -> str:
    return f"unit:{unit_id}"


class IssueStore:
    def __init__(self, path: str | Path) -> None:
        """``path``: a SQLite file (or ``sqlite:///`` absolute path) or a ``postgresql://…`` URL."""
        self._lock = threading.Lock()
        self._db = connect(path, synchronous="FULL")  # connect reads sqlite:/// and postgresql:// alike
        migrate(self._db, "console.issues", MIGRATIONS)
        self._imported: set[str] = set()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def counter(self, scope: str, folder: Path | None = None) -> IssueCounter:
        """The numbering of ``scope``; ``folder``: where its old issues.json may be."""
        return IssueCounter(self, scope, folder)

    def number(self, scope: str, kind: str, key: str, folder: Path | None = None) -> int:
        with self._lock, transaction(self._db):
            lock_key(self._db, f"issues:{scope}")
            self._import(scope, folder)
            row = self._db.execute("SELECT number FROM issue_numbers WHERE scope=? AND kind=? AND key=?",
                                   (scope, kind, key)).fetchone()
            if row is not None:
                return int(row[0])
            [top] = self._db.execute("SELECT COALESCE(MAX(number), 0) FROM issue_numbers WHERE scope=? AND kind=?",
                                     (scope, kind)).fetchone()
            self._db.execute("INSERT INTO issue_numbers (scope, kind, key, number, at) VALUES (?,?,?,?,?)",
                             (scope, kind, key, int(top) + 1, _now()))
            return int(top) + 1

    def known(self, scope: str, kind: str, key: str, folder: Path | None = None) -> int | None:
        """The number already given to ``key``, or None (never gives one)."""
        with self._lock:
            if scope not in self._imported:
                with transaction(self._db):
                    lock_key(self._db, f"issues:{scope}")
                    self._import(scope, folder)
            row = self._db.execute("SELECT number FROM issue_numbers WHERE scope=? AND kind=? AND key=?",
                                   (scope, kind, key)).fetchone()
        return int(row[0]) if row is not None else None

    def _import(self, scope: str, folder: Path | None) -> None:
        """Read ``folder/issues.json`` into ``scope`` once (inside the caller's transaction and lock)."""
        if scope in self._imported:
            return
        path = folder / LEGACY_FILE if folder is not None else None
        if path is not None and path.exists() and self._db.execute(
                "SELECT 1 FROM issue_imports WHERE scope=?", (scope,)).fetchone() is None:
            try:
                data = json.loads(path.read_text("utf-8"))
            except ValueError:
                log.warning("%s is not JSON: its 期号 are not carried over", path)
                data = {}
            rows = [(scope, str(kind), str(key), int(n), _now()) for kind, given in data.items()
                    for key, n in sorted(given.items(), key=lambda kv: int(kv[1]))]
            for row in rows:  # a number given twice in the file (one file per replica before) is kept once
                self._db.execute("INSERT INTO issue_numbers (scope, kind, key, number, at) VALUES (?,?,?,?,?)"
                                 " ON CONFLICT DO NOTHING", row)
            self._db.execute("INSERT INTO issue_imports (scope, source, numbers, at) VALUES (?,?,?,?)",
                             (scope, str(path), len(rows), _now()))
            log.info("期号 of %s carried over from %s (%d)", scope, path, len(rows))
        self._imported.add(scope)


class IssueCounter:
    """One scope's numbering (``IssueStore.counter``): ``number(kind, key)`` and ``known(kind, key)``."""

    def __init__(self, store: IssueStore, scope: str, folder: Path | None = None) -> None:
        self.store, self.scope, self.folder = store, scope, folder

    def number(self, kind: str, key: str) -> int:
        return self.store.number(self.scope, kind, key, self.folder)

    def known(self, kind: str, key: str) -> int | None:
        return self.store.known(self.scope, kind, key, self.folder)


def _now() -> str:
    return ts(datetime.now(timezone.utc), "seconds")
