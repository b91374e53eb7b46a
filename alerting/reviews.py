"""Reviews (``forward: review``), the alert store's bookkeeping (mixed into ``AlertStore``).

An alert routed at a level whose route says ``forward: review`` gets one
``reviews`` row (pending, due when the review timer fires) and its unit's
messages wait in the outbox in state ``held``: ``claim_due`` never takes
them. ``alerting.forwarding`` turns held rows into pending ones (re-rendered
with the duty officer's notes and advice) and marks the review forwarded, in
one transaction under the alert's lock, so whoever comes second — a second
click, the timer, another notifier's escalator — finds it forwarded and
sends nothing. A false alarm (dismissed) cancels the held rows: the unit is
never told.
"""
from __future__ import annotations

from datetime import datetime

from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn, Row


class ReviewMixin:
    _db: Conn
    pg: bool

    def open_review(self, db: Conn, alert_id: str, unit_id: str, due: datetime, now: datetime) -> bool:
        """Start the review of an alert (once: a replay changes nothing); True if new."""
        return bool(db.execute("INSERT INTO reviews (alert_id, unit_id, state, held_at, due_at) VALUES (?,?,?,?,?)"
                               " ON CONFLICT DO NOTHING", (alert_id, unit_id, "pending", _ts(now), _ts(due))).rowcount)

    def review(self, alert_id: str, db: Conn | None = None) -> dict | None:
        """The alert's review (state pending | forwarded | dismissed, due, who forwarded, notes, advice)."""
        lock = " FOR UPDATE" if db is not None and self.pg else ""
        row = (db or self._db).execute(f"SELECT * FROM reviews WHERE alert_id=?{lock}", (alert_id,)).fetchone()
        return _review(row) if row else None

    def reviews(self, alert_ids: list[str]) -> dict[str, dict]:
        """alert id → its review, for the alerts that have one (a page of the feed)."""
        if not alert_ids:
            return {}
        marks = ",".join("?" * len(alert_ids))
        rows = self._db.execute(f"SELECT * FROM reviews WHERE alert_id IN ({marks})", list(alert_ids)).fetchall()
        return {r["alert_id"]: _review(r) for r in rows}

    def pending_reviews(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM reviews WHERE state='pending'").fetchone()[0]

    def close_review(self, db: Conn, alert_id: str, state: str, now: datetime, *, by: str = "", via: str = "",
                     notes: str = "", advice: str = "") -> None:
        db.execute("UPDATE reviews SET state=?, forwarded_at=?, forwarded_by=?, via=?, notes=?, advice=?"
                   " WHERE alert_id=?", (state, _ts(now), by, via, notes, advice, alert_id))

    def held(self, db: Conn, alert_id: str) -> list[Row]:
        return db.execute("SELECT * FROM outbox WHERE alert_id=? AND state='held' ORDER BY id", (alert_id,)).fetchall()

    def release_held(self, db: Conn, note_id: str, payload: str, not_before: datetime, now: datetime) -> bool:
        """A held row becomes pending (due at ``not_before``) with its new payload; False if it was not held."""
        return bool(db.execute("UPDATE outbox SET state='pending', payload=?, next_attempt_at=?, updated_at=?"
                               " WHERE id=? AND state='held'", (payload, _ts(not_before), _ts(now), note_id)).rowcount)

    def cancel_held(self, db: Conn, alert_id: str, now: datetime, reason: str) -> int:
        return db.execute("UPDATE outbox SET state='cancelled', updated_at=?, last_error=? WHERE alert_id=?"
                          " AND state='held'", (_ts(now), reason, alert_id)).rowcount


def _review(row: Row) -> dict:
    return {"alert_id": row["alert_id"], "unit_id": row["unit_id"], "state": row["state"], "held_at": row["held_at"],
            "due_at": row["due_at"], "forwarded_at": row["forwarded_at"], "forwarded_by": row["forwarded_by"],
            "via": row["via"], "notes": row["notes"], "advice": row["advice"]}
