"""Alert store: alerts, their documents, the notification outbox, the audit trail.

Contract:
* ``record`` writes the alert, the document's membership in it, the
  notifications it decides to send (the outbox) and the audit entries in ONE
  transaction. A crash before commit means the scored document is replayed
  from the bus and recorded again; after commit, the notifier will deliver.
* Everything is keyed by derived ids (alert id, notification id), so
  recording the same document twice changes nothing and queues nothing.
* Outbox rows move pending → sending → accepted | failed. A row found in
  ``sending`` after a crash was in flight: it goes back to pending and may be
  sent once more (at most the one in-flight notification is duplicated).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.messages import Alert, AlertStatus, NotificationRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, story_id TEXT NOT NULL, unit_id TEXT NOT NULL,
    level TEXT NOT NULL, status TEXT NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, doc_count INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_unit ON alerts(unit_id, last_seen);
CREATE TABLE IF NOT EXISTS alert_docs (
    alert_id TEXT NOT NULL, doc_id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, doc_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, step INTEGER NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    payload TEXT NOT NULL, provider_id TEXT, last_error TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT, unit_id TEXT,
    at TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, seq);
"""


@dataclass(frozen=True)
class Notification:
    """One message to one recipient on one channel (an outbox row)."""

    id: str
    alert_id: str
    channel: str
    recipient: str
    step: int
    payload: dict
    state: str = "pending"
    attempts: int = 0


def _ts(dt: datetime) -> str:
    return dt.isoformat()


class AlertStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ----------------------------------------------------------- alerts

    def get(self, alert_id: str, db: sqlite3.Connection | None = None) -> Alert | None:
        row = (db or self._db).execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return Alert.model_validate_json(row["body"]) if row else None

    def has_doc(self, db: sqlite3.Connection, alert_id: str, doc_id: str) -> bool:
        return db.execute("SELECT 1 FROM alert_docs WHERE alert_id = ? AND doc_id = ?",
                          (alert_id, doc_id)).fetchone() is not None

    def save(self, db: sqlite3.Connection, alert: Alert, doc_id: str, now: datetime) -> None:
        db.execute(
            "INSERT INTO alerts (id, story_id, unit_id, level, status, first_seen, last_seen, doc_count, body)"
            " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET level=excluded.level,"
            " status=excluded.status, last_seen=excluded.last_seen, doc_count=excluded.doc_count, body=excluded.body",
            (alert.id, alert.story_id, alert.unit_id, alert.level.value, alert.status.value,
             _ts(alert.first_seen), _ts(alert.last_seen), alert.doc_count, alert.model_dump_json()),
        )
        db.execute("INSERT OR IGNORE INTO alert_docs (alert_id, doc_id, added_at) VALUES (?,?,?)",
                   (alert.id, doc_id, _ts(now)))

    def list_alerts(self, unit_id: str | None = None, limit: int = 100) -> list[Alert]:
        sql, args = "SELECT body FROM alerts", []
        if unit_id:
            sql, args = sql + " WHERE unit_id = ?", [unit_id]
        rows = self._db.execute(sql + " ORDER BY last_seen DESC LIMIT ?", (*args, limit)).fetchall()
        return [Alert.model_validate_json(r["body"]) for r in rows]

    # Allowed status changes; anything else is refused (and nothing is written).
    TRANSITIONS = {
        AlertStatus.new: {AlertStatus.notified, AlertStatus.acknowledged, AlertStatus.handling,
                          AlertStatus.resolved, AlertStatus.dismissed},
        AlertStatus.notified: {AlertStatus.acknowledged, AlertStatus.handling, AlertStatus.resolved,
                               AlertStatus.dismissed},
        AlertStatus.acknowledged: {AlertStatus.handling, AlertStatus.resolved, AlertStatus.dismissed},
        AlertStatus.handling: {AlertStatus.resolved, AlertStatus.dismissed},
        AlertStatus.resolved: {AlertStatus.handling},
        AlertStatus.dismissed: {AlertStatus.handling},
    }

    def change_status(self, alert_id: str, status: AlertStatus, now: datetime, *, actor: str,
                      via: str, note: str = "") -> Alert:
        """Move an alert to ``status`` and audit who did it and how
        (via: "ack-link", "console", "api", "sms-reply"…).

        Idempotent: asking for the status the alert already has changes
        nothing and is audited as a repeat (a double ack is harmless).
        Raises KeyError for an unknown alert, ValueError for a refused change.
        """
        with self.transaction() as db:
            alert = self.get(alert_id, db)
            if alert is None:
                raise KeyError(alert_id)
            if alert.status is status:
                self.audit(db, alert_id, alert.unit_id, f"status.{status.value}.repeat", now,
                           actor=actor, via=via, note=note)
                return alert
            if status not in self.TRANSITIONS[alert.status]:
                raise ValueError(f"alert {alert_id}: cannot go from {alert.status.value} to {status.value}")
            alert = alert.model_copy(update={"status": status})
            db.execute("UPDATE alerts SET status=?, body=? WHERE id=?",
                       (status.value, alert.model_dump_json(), alert_id))
            self.audit(db, alert_id, alert.unit_id, f"status.{status.value}", now, actor=actor, via=via, note=note)
        return alert

    def alert_doc_ids(self, alert_id: str) -> list[str]:
        rows = self._db.execute("SELECT doc_id FROM alert_docs WHERE alert_id = ? ORDER BY added_at",
                                (alert_id,)).fetchall()
        return [r["doc_id"] for r in rows]

    # ----------------------------------------------------------- outbox

    def enqueue(self, db: sqlite3.Connection, notes: Sequence[Notification], now: datetime) -> list[str]:
        """Queue notifications; returns ids that were new (known ids are kept as they are)."""
        added = []
        for n in notes:
            cur = db.execute(
                "INSERT OR IGNORE INTO outbox (id, alert_id, channel, recipient, step, state, attempts,"
                " next_attempt_at, payload, created_at, updated_at) VALUES (?,?,?,?,?, 'pending', 0, ?,?,?,?)",
                (n.id, n.alert_id, n.channel, n.recipient, n.step, _ts(now),
                 json.dumps(n.payload, ensure_ascii=False), _ts(now), _ts(now)),
            )
            if cur.rowcount:
                added.append(n.id)
        return added

    def recover_in_flight(self, now: datetime) -> int:
        """After a crash: rows left in 'sending' go back to pending."""
        with self.transaction() as db:
            cur = db.execute("UPDATE outbox SET state='pending', updated_at=? WHERE state='sending'", (_ts(now),))
            return cur.rowcount

    def claim_due(self, now: datetime, limit: int = 20) -> list[Notification]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT * FROM outbox WHERE state='pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
                (_ts(now), limit)).fetchall()
            for r in rows:
                db.execute("UPDATE outbox SET state='sending', attempts=attempts+1, updated_at=? WHERE id=?",
                           (_ts(now), r["id"]))
        return [Notification(id=r["id"], alert_id=r["alert_id"], channel=r["channel"], recipient=r["recipient"],
                             step=r["step"], payload=json.loads(r["payload"]), state="sending",
                             attempts=r["attempts"] + 1) for r in rows]

    def settle(self, note: Notification, state: str, now: datetime, *, provider_id: str | None = None,
               error: str | None = None, retry_at: datetime | None = None) -> None:
        """Record a delivery outcome: the outbox row, the alert's notification
        log and status, and the audit trail, in one transaction."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET state=?, provider_id=COALESCE(?, provider_id), last_error=?,"
                " next_attempt_at=COALESCE(?, next_attempt_at), updated_at=? WHERE id=?",
                (state, provider_id, error, _ts(retry_at) if retry_at else None, _ts(now), note.id))
            alert = self.get(note.alert_id, db)
            if alert is not None and state in ("accepted", "failed"):
                record = NotificationRecord(id=note.id, channel=note.channel, recipient=note.recipient,
                                            step=note.step, state=state, at=now,
                                            detail=provider_id or error or "")
                update = {"notifications": [*alert.notifications, record]}
                if state == "accepted" and alert.status is AlertStatus.new:
                    update["status"] = AlertStatus.notified
                alert = alert.model_copy(update=update)
                db.execute("UPDATE alerts SET status=?, body=? WHERE id=?",
                           (alert.status.value, alert.model_dump_json(), alert.id))
            self.audit(db, note.alert_id, alert.unit_id if alert else None, f"notification.{state}", now,
                       notification_id=note.id, channel=note.channel, recipient=note.recipient,
                       attempt=note.attempts, provider_id=provider_id, error=error,
                       retry_at=retry_at.isoformat() if retry_at else None)

    def outbox(self, alert_id: str | None = None) -> list[sqlite3.Row]:
        if alert_id:
            return self._db.execute("SELECT * FROM outbox WHERE alert_id=? ORDER BY created_at", (alert_id,)).fetchall()
        return self._db.execute("SELECT * FROM outbox ORDER BY created_at").fetchall()

    # ----------------------------------------------------------- audit

    def audit(self, db: sqlite3.Connection | None, alert_id: str | None, unit_id: str | None,
              event: str, now: datetime, **detail) -> None:
        conn = db or self._db
        conn.execute("INSERT INTO audit (alert_id, unit_id, at, event, detail) VALUES (?,?,?,?,?)",
                     (alert_id, unit_id, _ts(now), event, json.dumps(detail, ensure_ascii=False, default=str)))

    def audit_trail(self, alert_id: str) -> list[dict]:
        rows = self._db.execute("SELECT * FROM audit WHERE alert_id=? ORDER BY seq", (alert_id,)).fetchall()
        return [{"at": r["at"], "event": r["event"], **json.loads(r["detail"])} for r in rows]


def backoff(attempts: int, base: float = 30.0, cap: float = 1800.0) -> timedelta:
    """Exponential backoff for transient delivery errors: 30 s, 60 s, 2 min … 30 min."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
