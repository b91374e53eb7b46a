"""Review and forward (``forward: review`` in a level's route): association first, then the unit.

The router holds the unit's first messages in the outbox (state ``held``)
and tells the duty officers at once (``AlertRouter._hold_for_review``).
``Forwarder.forward`` is the duty officer's one click (console or API):
with the alert's lock held, in one transaction, it

* re-renders each held message from the alert as it is now, carrying the
  duty officer's 研判意见 (notes) and edited 处置建议 (advice), and makes it
  pending (the notifier sends it under its lease, once);
* marks the review forwarded (who, how, notes, advice), audits
  ``review.forwarded`` and starts the escalation timer (unacknowledged →
  backup → duty officers), which is not running while the unit does not know.

The escalator's ``review`` timer calls the same code with ``auto``: the
messages and the audit say 超时未复核，已自动转发. Whoever comes second (a
double click, the timer racing a click, two escalators) finds the review no
longer pending and changes nothing, so the unit is told once. A crash before
commit leaves everything held (the click or the timer runs again); after
commit the rows are ordinary outbox rows.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from alerting.planner import Planner
from alerting.store import AlertStore, Notification
from alerting.templates import AUTO_FORWARDED
from contracts.clock import Clock
from contracts.messages import Alert, AlertStatus
from pipeline import metrics
from pipeline.statedb import Conn

log = logging.getLogger(__name__)
SYSTEM = "系统"


class NotHeld(LookupError):
    """The alert has no review (its route forwards at once)."""


class Forwarder:
    def __init__(self, store: AlertStore, planner: Planner, clock: Clock) -> None:
        self.store = store
        self.planner = planner
        self.clock = clock

    def forward(self, alert_id: str, *, actor: str, via: str, notes: str = "", advice: str = "") -> dict:
        """A duty officer forwards a held alert to its unit. Raises KeyError (no such alert), NotHeld."""
        now = self.clock.now()
        with self.store.transaction() as db:
            alert = self.store.get(alert_id, db)  # the alert's lock, to commit
            if alert is None:
                raise KeyError(alert_id)
            return self.forward_in(db, alert, now, actor=actor, via=via, notes=notes, advice=advice)

    def forward_in(self, db: Conn, alert: Alert, now: datetime, *, actor: str, via: str, notes: str = "",
                   advice: str = "", auto: bool = False) -> dict:
        """Forward in the caller's transaction (which holds the alert's lock)."""
        review = self.store.review(alert.id, db)
        if review is None:
            raise NotHeld(alert.id)
        if review["state"] != "pending":
            if not auto:
                self.store.audit(db, alert.id, alert.unit_id, "review.forward.repeat", now, actor=actor, via=via,
                                 state=review["state"])
            return {"forwarded": False, "review": review, "released": []}
        notes, advice = notes.strip()[:2000], advice.strip()[:2000]
        by = SYSTEM if auto else actor
        state = self.store.get_state(db, alert.id)
        brief = {**state.brief, "review": {"notes": notes, "advice": advice, "auto": auto,
                                           "by": "" if auto else actor}}
        route = self.planner.routing.route(alert.unit_id, alert.level)
        rows = self.store.held(db, alert.id)
        fresh = self._rerendered(alert, brief, rows, now, route)
        released = []
        for row in rows:
            note = fresh.get(row["id"])
            payload = json.dumps(note.payload, ensure_ascii=False) if note else row["payload"]
            if self.store.release_held(db, row["id"], payload, (note.not_before if note else None) or now, now):
                released.append(row["id"])
        state.review = "forwarded"
        state.last_notified_at, state.notified_docs = now.isoformat(), alert.doc_count
        self.store.put_state(db, alert.id, state)
        how = "timeout" if auto else "duty"
        self.store.close_review(db, alert.id, "forwarded", now, by=by, via=via, notes=notes,
                                advice=advice)
        if not auto:
            self.store.cancel_timers(db, alert.id, "review", now)
        if route.escalate_after and alert.status in (AlertStatus.new, AlertStatus.notified):
            self.store.schedule(db, alert.id, "escalate", now + timedelta(seconds=route.escalate_after), now,
                                step=1, reason="unacknowledged")
        self.store.audit(db, alert.id, alert.unit_id, "review.forwarded", now, actor=by,
                         via=via, auto=auto, reason=AUTO_FORWARDED if auto else None, notes=notes or None,
                         advice=advice or None, released=released)
        held_at = datetime.fromisoformat(review["held_at"])
        metrics.REVIEWS_FORWARDED.labels(how).inc()
        metrics.REVIEW_SECONDS.labels(how).observe(max(0.0, (now - held_at).total_seconds()))
        log.info("alert %s forwarded to unit %s by %s (%s): %d message(s)", alert.id, alert.unit_id,
                 by, how, len(released))
        review = {**review, "state": "forwarded", "forwarded_by": by, "via": via,
                  "notes": notes, "advice": advice}
        return {"forwarded": True, "review": review, "released": released}

    def _rerendered(self, alert: Alert, brief: dict, rows: list, now: datetime, route) -> dict[str, Notification]:
        """The held messages rendered anew from the alert as it is now, with the review: the first alert
        (round 0), and the news held with it (an alert raised to a reviewed level: its update, with the
        reason it gave) — each by its own kind, round and steps, so the ids match the held rows."""
        groups: dict[tuple[str, int, str], set[int]] = {}
        for row in rows:
            payload = json.loads(row["payload"])
            kind = "alert" if row["round"] == 0 else str(payload.get("kind") or "update")
            groups.setdefault((kind, row["round"], str(payload.get("reason") or "")), set()).add(row["step"])
        fresh: dict[str, Notification] = {}
        for (kind, round_, reason), steps in groups.items():
            fresh.update((n.id, n) for n in self.planner.for_alert(alert, brief, sorted(steps), round_, kind, reason,
                                                                   now, route))
        return fresh
