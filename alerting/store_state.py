"""The alert store's durable bookkeeping (mixed into ``AlertStore``):

* ``alert_state`` — per alert: notification round, escalation step, when it
  was last notified and how many documents that covered, spike/mainstream
  marks, and the brief that later messages are rendered from;
* ``timers`` — escalation and re-notification due times. Timers are rows,
  not threads, so they survive restarts; the escalator fires what is due by
  the injected clock, each in one transaction with what it queues;
* ``sends`` — one row per message a provider accepted, per (channel,
  recipient): the rate limiter counts here, across processes and restarts;
* ``ops_alerts`` — operational alerts seen, for dedup and resolution.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn, Row, lock_key


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class TimerChange:
    """A timer to set (see ``schedule``), as decided by the router."""

    kind: str
    due: datetime
    step: int = 0
    reason: str = ""
    earliest: bool = False


@dataclass
class AlertState:
    round: int = 0  # 0 = the first notification; +1 per re-notification
    step: int = 0  # escalation step reached (0 primary, 1 backup, 2 duty officers)
    last_notified_at: str | None = None
    notified_docs: int = 0  # doc_count covered by the last notification
    spike_at: str | None = None
    mainstream: bool = False
    brief: dict = field(default_factory=dict)
    # The story's spread so far, for its level (sentiment/spread.py): the most
    # authoritative carrier's class and the interactions summed over documents.
    authority: str = ""
    engagement: int = 0
    relevance: float = 0.0  # the most any document was about the unit
    # What identifies the event (sentiment/incidents.py): reports of it from
    # other stories join this alert.
    terms: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    # forward: review — "pending" while the unit's messages wait for a duty officer, then "forwarded"
    # (alerting.forwarding); "" when the alert's route forwards at once.
    review: str = ""

    @property
    def last_notified(self) -> datetime | None:
        return _dt(self.last_notified_at)


@dataclass(frozen=True)
class Timer:
    id: str
    alert_id: str
    kind: str  # escalate | renotify
    step: int
    due_at: datetime
    reason: str


class StateMixin:
    _db: Conn

    # ------------------------------------------------------------ alert state

    def get_state(self, db: Conn, alert_id: str) -> AlertState:
        row = db.execute("SELECT body FROM alert_state WHERE alert_id=?", (alert_id,)).fetchone()
        return AlertState(**json.loads(row["body"])) if row else AlertState()

    def put_state(self, db: Conn, alert_id: str, state: AlertState) -> None:
        db.execute("INSERT INTO alert_state (alert_id, body) VALUES (?,?) ON CONFLICT(alert_id) DO UPDATE"
                   " SET body=excluded.body", (alert_id, json.dumps(vars(state), ensure_ascii=False)))  # fields are JSON values: no deep copy

    # ------------------------------------------------------------ timers

    def schedule(self, db: Conn, alert_id: str, kind: str, due: datetime, now: datetime, *,
                 step: int = 0, reason: str = "", earliest: bool = False) -> Timer:
        """Set the alert's ``kind`` timer (one per alert and kind). With
        ``earliest``, a pending timer that is already due sooner is kept."""
        tid = f"{alert_id}:{kind}"
        row = db.execute("SELECT * FROM timers WHERE id=?", (tid,)).fetchone()
        if earliest and row and row["state"] == "pending" and row["due_at"] <= _ts(due):
            return self._timer(row)
        db.execute("INSERT INTO timers (id, alert_id, kind, step, due_at, state, reason, updated_at)"
                   " VALUES (?,?,?,?,?, 'pending', ?,?) ON CONFLICT(id) DO UPDATE SET step=excluded.step,"
                   " due_at=excluded.due_at, state='pending', reason=excluded.reason, updated_at=excluded.updated_at",
                   (tid, alert_id, kind, step, _ts(due), reason, _ts(now)))
        return Timer(tid, alert_id, kind, step, due, reason)

    def pending_timer(self, db: Conn, alert_id: str, kind: str) -> Timer | None:
        """The pending timer, locked until commit (after its alert's lock, the order every writer
        keeps), so of two escalators the second finds it fired."""
        lock_key(db, "alert:" + alert_id)
        lock = " FOR UPDATE" if getattr(self, "pg", False) else ""
        row = db.execute(f"SELECT * FROM timers WHERE id=? AND state='pending'{lock}",
                         (f"{alert_id}:{kind}",)).fetchone()
        return self._timer(row) if row else None

    def cancel_timers(self, db: Conn, alert_id: str, kind: str, now: datetime) -> int:
        return db.execute("UPDATE timers SET state='cancelled', updated_at=? WHERE alert_id=? AND kind=?"
                          " AND state='pending'", (_ts(now), alert_id, kind)).rowcount

    def finish_timer(self, db: Conn, timer: Timer, state: str, now: datetime) -> None:
        # Only the firing we read: a timer rescheduled meanwhile keeps its new due time.
        db.execute("UPDATE timers SET state=?, updated_at=? WHERE id=? AND due_at=? AND state='pending'",
                   (state, _ts(now), timer.id, _ts(timer.due_at)))

    def due_timers(self, now: datetime, limit: int = 100) -> list[Timer]:
        rows = self._db.execute("SELECT * FROM timers WHERE state='pending' AND due_at<=? ORDER BY due_at LIMIT ?",
                                (_ts(now), limit)).fetchall()
        return [self._timer(r) for r in rows]

    def timers(self, alert_id: str) -> list[Row]:
        return self._db.execute("SELECT * FROM timers WHERE alert_id=? ORDER BY id", (alert_id,)).fetchall()

    @staticmethod
    def _timer(row: Row) -> Timer:
        due = _dt(row["due_at"])
        assert due is not None  # due_at is NOT NULL
        return Timer(row["id"], row["alert_id"], row["kind"], row["step"], due, row["reason"])

    # ------------------------------------------------------------ send log (rate limits)

    def record_send(self, db: Conn, channel: str, recipient: str, at: datetime,
                    provider_id: str | None, messages: int) -> None:
        db.execute("INSERT INTO sends (channel, recipient, at, provider_id, messages) VALUES (?,?,?,?,?)",
                   (channel, recipient, _ts(at), provider_id, messages))

    def sends_since(self, channel: str, recipient: str, since: datetime) -> tuple[int, datetime | None]:
        """(provider sends to this recipient since ``since``, the oldest of them)."""
        row = self._db.execute("SELECT COUNT(*), MIN(at) FROM sends WHERE channel=? AND recipient=? AND at>=?",
                               (channel, recipient, _ts(since))).fetchone()
        return row[0], _dt(row[1])

    # ------------------------------------------------------------ ops alerts

    def get_ops(self, db: Conn, ops_id: str) -> Row | None:
        return db.execute("SELECT * FROM ops_alerts WHERE id=?", (ops_id,)).fetchone()

    def put_ops(self, db: Conn, ops_id: str, state: str, opened: int, first_seen: datetime,
                last_seen: datetime, body: str) -> None:
        db.execute("INSERT INTO ops_alerts (id, state, opened, first_seen, last_seen, body) VALUES (?,?,?,?,?,?)"
                   " ON CONFLICT(id) DO UPDATE SET state=excluded.state, opened=excluded.opened,"
                   " last_seen=excluded.last_seen, body=excluded.body",
                   (ops_id, state, opened, _ts(first_seen), _ts(last_seen), body))
