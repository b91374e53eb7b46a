"""Reviews (``forward: review``), the alert store's bookkeeping (mixed into ``AlertStore``).

An alert routed at a level whose route says ``forward: review`` gets one
``reviews`` row (pending, due when the review timer fires) and its unit's
messages wait in the outbox in state ``held``: ``claim_due`` never takes
them. ``alerting.forwarding`` turns held rows into pending ones (re-rendered
with the duty officer's notes and advice) and marks the review forwarded, in
one transaction under the alert's lock, so whoever comes second — a second
click, the timer, another notifier's escalator — finds it forwarded and
sends nothing. A false alarm (dismissed) cancels the held rows: the unit is
never told. Reopening it (the console's 重新打开, or a 人工预警 on it) puts
the review back (``requeue_review``): pending again, for as long as the first
one was given, the cancelled rows held again and the review timer set — the
unit is still told only after a review.

确认收到 while the review is pending (``act_on_review``, called by
``AlertStore.change_status``, so the ack link in the duty officers' 待复核
messages, the console's button and the API all take this path) records who
received it (值班员已确认收到，待复核) and cancels the duty officers' own
待复核 messages not yet sent, and nothing else: it is not the unit's
acknowledgement (the alert stays unacknowledged), the review timer keeps
running, and the unit's escalation starts when the review forwards.

开始处置 while the review is pending (``act_on_review`` with ``handling``) is
the duty officers' act too (值班员处置中，待复核): recorded on the review
(migration 090, reviews.handling_*), the receipt implied (their unsent
待复核 messages cancelled), and nothing else — the alert stays
unacknowledged, the review timer runs, the unit is still told on forwarding
and chased by its escalation. 处置完毕 while pending (``resolve_review``)
closes the review as handled by the association (state ``resolved``): the
held messages cancelled, the review timer stopped, the duty officers'
unsent 待复核 messages cancelled; the unit is never told (the router and
the escalator keep its people out of later updates: ``UNIT_NOT_TOLD``).
Reopening such an alert (重新打开) puts the review back like a 误报's.
"""
from __future__ import annotations

import json
from datetime import datetime

from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn, Row

HELD_CANCELLED = "held for review; "  # last_error of held rows a 误报 cancelled (a reopening holds them again)
UNIT_ROLES = ("unit-primary", "unit-backup", "unit-robot")  # what ``forward: review`` holds back (the unit's people)
# Review states in which the unit was never told and the review is over (a reopening puts it back).
CLOSED_UNTOLD = ("dismissed", "resolved")
# alert_state.review values in which the unit's people get no updates: waiting for the review, or closed by
# the association while held (alert_state.review = "closed").
UNIT_NOT_TOLD = ("pending", "closed")
# The duty officers' acts on a pending review: the columns that record them, the audit event.
REVIEW_ACTS = {"acknowledged": "acked", "handling": "handling"}


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

    def act_on_review(self, db: Conn, alert_id: str, unit_id: str, now: datetime, *, act: str, actor: str,
                      via: str, note: str = "") -> bool:
        """确认收到 (``act`` "acknowledged") or 开始处置 ("handling") on an alert whose review is pending (the
        caller holds the alert's lock): recorded on the review (the first one kept; a repeat is audited as
        such), the duty officers' unsent 待复核 messages cancelled (handling implies receipt). Returns False
        when there is no pending review (the act is then the unit's own)."""
        review = self.review(alert_id, db)
        if review is None or review["state"] != "pending":
            return False
        col = REVIEW_ACTS[act]
        if review[f"{col}_by"]:
            self.audit(db, alert_id, unit_id, f"review.{act}.repeat", now, actor=actor,  # type: ignore[attr-defined]
                       via=via, note=note)
            return True
        db.execute(f"UPDATE reviews SET {col}_at=?, {col}_by=?, {col}_via=? WHERE alert_id=?",
                   (_ts(now), actor, via, alert_id))
        reminders = self._cancel_reminders(db, alert_id, now, f"review {act} by {actor}")
        self.audit(db, alert_id, unit_id, f"review.{act}", now, actor=actor, via=via,  # type: ignore[attr-defined]
                   note=note, cancelled_messages=reminders, due=review["due_at"])
        return True

    def resolve_review(self, db: Conn, alert_id: str, unit_id: str, now: datetime, *, actor: str, via: str,
                       note: str = "") -> bool:
        """处置完毕 on an alert whose review is pending (the caller holds the alert's lock and sets the alert
        resolved): the review closed as handled by the association (state ``resolved``), its held messages
        cancelled (the unit is never told), the review timer stopped, the duty officers' unsent 待复核
        messages cancelled, the alert's state marked ``closed`` (no later update reaches the unit).
        Returns False when there is no pending review."""
        review = self.review(alert_id, db)
        if review is None or review["state"] != "pending":
            return False
        held = self.cancel_held(db, alert_id, now, f"resolved by {actor}")
        timers = self.cancel_timers(db, alert_id, "review", now)  # type: ignore[attr-defined]
        reminders = self._cancel_reminders(db, alert_id, now, f"review resolved by {actor}")
        self.close_review(db, alert_id, "resolved", now, by=actor, via=via, notes=note)
        state = self.get_state(db, alert_id)  # type: ignore[attr-defined]
        state.review = "closed"
        self.put_state(db, alert_id, state)  # type: ignore[attr-defined]
        self.audit(db, alert_id, unit_id, "review.resolved", now, actor=actor, via=via,  # type: ignore[attr-defined]
                   note=note, queued_messages=held, cancelled_messages=reminders, timers=timers)
        return True

    @staticmethod
    def _cancel_reminders(db: Conn, alert_id: str, now: datetime, why: str) -> int:
        """Cancel the duty officers' 待复核 messages (and their fallbacks) not yet sent; how many."""
        cancelled = 0
        for row in db.execute("SELECT id, payload FROM outbox WHERE alert_id=? AND kind IN ('review', 'fallback')"
                              " AND state='pending'", (alert_id,)).fetchall():
            if json.loads(row["payload"]).get("kind") == "review":
                cancelled += db.execute("UPDATE outbox SET state='cancelled', updated_at=?, last_error=? WHERE id=?"
                                        " AND state='pending'", (_ts(now), why, row["id"])).rowcount
        return cancelled

    def held(self, db: Conn, alert_id: str) -> list[Row]:
        return db.execute("SELECT * FROM outbox WHERE alert_id=? AND state='held' ORDER BY id", (alert_id,)).fetchall()

    def release_held(self, db: Conn, note_id: str, payload: str, not_before: datetime, now: datetime) -> bool:
        """A held row becomes pending (due at ``not_before``) with its new payload; False if it was not held."""
        return bool(db.execute("UPDATE outbox SET state='pending', payload=?, next_attempt_at=?, updated_at=?"
                               " WHERE id=? AND state='held'", (payload, _ts(not_before), _ts(now), note_id)).rowcount)

    def cancel_held(self, db: Conn, alert_id: str, now: datetime, reason: str) -> int:
        return db.execute("UPDATE outbox SET state='cancelled', updated_at=?, last_error=? WHERE alert_id=?"
                          " AND state='held'", (_ts(now), HELD_CANCELLED + reason, alert_id)).rowcount

    def requeue_review(self, db: Conn, alert_id: str, unit_id: str, now: datetime, *, actor: str, via: str,
                       why: str) -> list[str] | None:
        """A review closed while held (误报, or 处置完毕 by the association) of a reopened alert: pending again
        for as long as the first one was given, its cancelled messages held again, the review timer set;
        audited ``review.requeued`` with ``why``. Returns the held ids again, or None when there was no such
        review (none, pending, or forwarded: the unit already knew)."""
        review = self.review(alert_id, db)
        if review is None or review["state"] not in CLOSED_UNTOLD:
            return None
        timeout = datetime.fromisoformat(review["due_at"]) - datetime.fromisoformat(review["held_at"])
        due = now + timeout
        db.execute("UPDATE reviews SET state='pending', held_at=?, due_at=?, forwarded_at=NULL, forwarded_by=NULL,"
                   " via=NULL, notes='', advice='', acked_at=NULL, acked_by=NULL, acked_via=NULL, handling_at=NULL,"
                   " handling_by=NULL, handling_via=NULL WHERE alert_id=?", (_ts(now), _ts(due), alert_id))
        ids = [r["id"] for r in db.execute("SELECT id FROM outbox WHERE alert_id=? AND state='cancelled' AND"
                                           " last_error LIKE ? ORDER BY id", (alert_id, HELD_CANCELLED + "%"))]
        for note_id in ids:
            db.execute("UPDATE outbox SET state='held', last_error=NULL, updated_at=? WHERE id=?", (_ts(now), note_id))
        self.schedule(db, alert_id, "review", due, now, reason="review_timeout")  # type: ignore[attr-defined]
        state = self.get_state(db, alert_id)  # type: ignore[attr-defined]
        state.review = "pending"
        self.put_state(db, alert_id, state)  # type: ignore[attr-defined]
        self.audit(db, alert_id, unit_id, "review.requeued", now, actor=actor, via=via,  # type: ignore[attr-defined]
                   reason=why, due=due.isoformat(), held=ids)
        return ids


def _review(row: Row) -> dict:
    return {"alert_id": row["alert_id"], "unit_id": row["unit_id"], "state": row["state"], "held_at": row["held_at"],
            "due_at": row["due_at"], "forwarded_at": row["forwarded_at"], "forwarded_by": row["forwarded_by"],
            "via": row["via"], "notes": row["notes"], "advice": row["advice"],
            "acked_at": row["acked_at"], "acked_by": row["acked_by"], "acked_via": row["acked_via"],
            "handling_at": row["handling_at"], "handling_by": row["handling_by"], "handling_via": row["handling_via"]}
