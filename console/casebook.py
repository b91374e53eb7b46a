"""Handling records the console keeps beside the alert store, in console.db
(or the console's PostgreSQL database, beside its users: console/users.py):
who an alert is assigned to, handling notes (处置记录) and false alarms.

Why here and not in the alert store: these are the console's own facts
(the router and notifier never read them), so they live in the console's
database and the alerting schema stays the alerting engineer's. Every write
is ALSO audited in the alert store (``console.assigned``, ``console.note``,
``console.false_alarm``) by the caller, so ``yuqing audit`` and the alert's
trail show who did what, and the live feed sees the change.

False alarms are kept as tuning feedback: ``false_alarms()`` returns one
record per dismissed alert with its unit, documents, phrases and who judged
it, exported as JSON lines for whoever tunes the lexicon and schemes.
Missed detections (漏报) are their mirror: ``missed_detections()`` returns
each document a person raised an alert on by hand (人工预警), with its text,
unit and reason; ``console.feedback`` writes both for the scorer's tuning.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

from pipeline.sqlite import ts
from pipeline.statedb import connect, migrate, transaction

MIGRATIONS = Path(__file__).parent / "migrations" / "casebook"  # versioned SQL per engine (pipeline/statedb.py)


def _ts(dt: datetime) -> str:
    return ts(dt, "seconds")  # the console's files keep whole seconds




class Casebook:
    def __init__(self, path: str | Path) -> None:
        """``path``: a SQLite file (or ``sqlite:///`` absolute path) or a ``postgresql://…`` URL."""
        self._lock = threading.Lock()
        self._db = connect(path, synchronous="FULL")  # connect reads sqlite:/// and postgresql:// alike
        migrate(self._db, "console.casebook", MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ writes

    def assign(self, alert_id: str, unit_id: str | None, assignee: str, by: str, now: datetime) -> None:
        with self._lock, transaction(self._db):
            self._db.execute("INSERT INTO assignments (alert_id, unit_id, assignee, assigned_by, at) VALUES (?,?,?,?,?)"
                             " ON CONFLICT(alert_id) DO UPDATE SET assignee=excluded.assignee,"
                             " assigned_by=excluded.assigned_by, at=excluded.at",
                             (alert_id, unit_id, assignee, by, _ts(now)))
            self._note(alert_id, unit_id, "assign", by, now, f"指派给 {assignee}")

    def note(self, alert_id: str, unit_id: str | None, kind: str, author: str, now: datetime, text: str) -> None:
        """A handling record: ``kind`` is note, or the status change it went with (acknowledged, resolved…)."""
        with self._lock:
            self._note(alert_id, unit_id, kind, author, now, text)

    def _note(self, alert_id, unit_id, kind, author, now, text) -> None:
        self._db.execute("INSERT INTO notes (alert_id, unit_id, kind, author, at, text) VALUES (?,?,?,?,?,?)",
                         (alert_id, unit_id, kind, author, _ts(now), text))

    def false_alarm(self, *, alert_id: str, unit_id: str, story_id: str, level: str, negativity: float, title: str,
                    doc_ids: list[str], phrases: list[str], reason: str, by: str, now: datetime) -> None:
        with self._lock, transaction(self._db):
            self._db.execute(
                "INSERT INTO false_alarms (alert_id, unit_id, story_id, level, negativity, title, doc_ids, phrases,"
                " reason, marked_by, at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(alert_id) DO UPDATE SET"
                " doc_ids=excluded.doc_ids, phrases=excluded.phrases, reason=excluded.reason,"
                " marked_by=excluded.marked_by, at=excluded.at",
                (alert_id, unit_id, story_id, level, negativity, title, json.dumps(doc_ids),
                 json.dumps(phrases, ensure_ascii=False), reason, by, _ts(now)))
            self._note(alert_id, unit_id, "false_alarm", by, now, f"标记为误报：{reason}" if reason else "标记为误报")

    def missed(self, *, alert_id: str, doc_id: str, unit_id: str, level: str, title: str, url: str, text: str,
               reason: str, by: str, now: datetime) -> None:
        """A missed detection (漏报): a document the scorer did not alert on for ``unit_id``, raised by hand."""
        with self._lock, transaction(self._db):
            self._db.execute(
                "INSERT INTO missed (alert_id, doc_id, unit_id, level, title, url, text, reason, raised_by, at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(doc_id, unit_id) DO UPDATE SET alert_id=excluded.alert_id,"
                " level=excluded.level, reason=excluded.reason, raised_by=excluded.raised_by, at=excluded.at",
                (alert_id, doc_id, unit_id, level, title, url, text, reason, by, _ts(now)))
            self._note(alert_id, unit_id, "manual", by, now, f"人工预警（漏报）：{reason}")

    # ------------------------------------------------------------ reads

    def missed_detections(self, since: datetime | None = None, unit_id: str | None = None) -> list[dict]:
        args: list[object] = []
        sql = "SELECT * FROM missed WHERE 1=1"
        if since:
            sql, args = sql + " AND at>=?", [*args, _ts(since)]
        if unit_id:
            sql, args = sql + " AND unit_id=?", [*args, unit_id]
        with self._lock:
            return [dict(r) for r in self._db.execute(sql + " ORDER BY at", args).fetchall()]

    def assignment(self, alert_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM assignments WHERE alert_id=?", (alert_id,)).fetchone()
        return dict(row) if row else None

    def assignments(self, alert_ids: list[str]) -> dict[str, str]:
        """alert id → assignee, for a page of the feed."""
        if not alert_ids:
            return {}
        marks = ",".join("?" * len(alert_ids))
        with self._lock:
            rows = self._db.execute(f"SELECT alert_id, assignee FROM assignments WHERE alert_id IN ({marks})",
                                    alert_ids).fetchall()
        return {r["alert_id"]: r["assignee"] for r in rows}

    def notes(self, alert_id: str) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM notes WHERE alert_id=? ORDER BY id", (alert_id,)).fetchall()
        return [dict(r) for r in rows]

    def false_alarms(self, since: datetime | None = None, unit_id: str | None = None) -> list[dict]:
        args: list[object] = []
        sql = "SELECT * FROM false_alarms WHERE 1=1"
        if since:
            sql, args = sql + " AND at>=?", [*args, _ts(since)]
        if unit_id:
            sql, args = sql + " AND unit_id=?", [*args, unit_id]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY at", args).fetchall()
        out = []
        for r in rows:
            rec = dict(r)
            rec["doc_ids"], rec["phrases"] = json.loads(rec["doc_ids"]), json.loads(rec["phrases"])
            out.append(rec)
        return out
