"""Reopening a 误报 by hand: a 人工预警 (console/manual.py) on an alert someone had dismissed.

The router files the hand-raised document into the (story, unit) alert and, the alert being
dismissed, notifies nobody (``DISMISSED``). A person raising it by hand says the dismissal was
wrong, so ``Reopener.reopen`` decides, then applies, in one transaction under the alert's lock:

* ``NOT_DISMISSED`` — the alert is open: the router's decision stands, nothing more;
* ``REOPENED_FOR_REVIEW`` — its level's route says ``forward: review`` and the unit was never
  told (no review, or one the 误报 ended): the alert is new again, the duty officers are told at
  once (待复核) and the unit's messages wait for the review (the 误报's cancelled ones held
  again, or new ones held), with the review timer;
* ``REOPENED`` — otherwise: the alert is new again and its first contacts are told as of a new
  alert (a new round: new messages), with the escalation timer.

The reason the person gave becomes the alert's 定级依据 (人工预警（…）：…), so the messages say why.
Audited ``reopened`` (decision, actor, reason) and ``routed``; the console shows both in Chinese.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from alerting.planner import Planner
from alerting.routing import UNIT_ROLES
from alerting.store import AlertStore, Notification
from alerting.store_state import AlertState, TimerChange
from alerting.templates import local
from contracts.clock import Clock
from contracts.messages import Alert, AlertStatus, Level

log = logging.getLogger(__name__)


@dataclass
class Reopening:
    alert: Alert
    state: AlertState
    decision: str  # NOT_DISMISSED | REOPENED | REOPENED_FOR_REVIEW
    notes: list[Notification] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)
    review_due: datetime | None = None
    requeue: bool = False  # a review the 误报 ended: pending again, its held messages back


class Reopener:
    def __init__(self, store: AlertStore, planner: Planner, clock: Clock) -> None:
        self.store = store
        self.planner = planner
        self.clock = clock

    def decide(self, alert: Alert, state: AlertState, review: dict | None, reason: str, now: datetime,
               level: Level | None = None) -> Reopening:
        """What reopening ``alert`` (at ``level`` if that is higher) changes; writes nothing."""
        if alert.status is not AlertStatus.dismissed:
            return Reopening(alert, state, "NOT_DISMISSED")
        state = AlertState(**vars(state))
        state.round += 1
        alert = alert.model_copy(update={"status": AlertStatus.new, "level_reason": reason or alert.level_reason,
                                         "level": level if level and level.rank < alert.level.rank else alert.level})
        route = self.planner.routing.route(alert.unit_id, alert.level)
        notes = self.planner.for_alert(alert, state.brief, [0], state.round, "alert", "", now, route)
        state.last_notified_at, state.notified_docs = now.isoformat(), alert.doc_count
        if route.forward == "review" and (review is None or review["state"] != "forwarded"):
            due = now + timedelta(seconds=route.review_timeout)
            why = (f"人工预警重新打开已标记误报的预警，请于{local(due)}前在预警详情中复核并转发"
                   f"（{self.planner.console_url}/alerts/{alert.id}），逾时系统将自动转发")
            duty = self.planner.for_review(alert, state.brief, why, now, route, round_=state.round)
            state.review = "pending"
            if review is not None:  # the 误报 cancelled the held messages: they are held again
                return Reopening(alert, state, "REOPENED_FOR_REVIEW", notes=duty, requeue=True)
            held = [replace(n, state="held") for n in notes if n.payload.get("role") in UNIT_ROLES]
            return Reopening(alert, state, "REOPENED_FOR_REVIEW", notes=duty + held, review_due=due,
                             timers=[TimerChange("review", due, reason="review_timeout")] if held else [])
        timers = [TimerChange("escalate", now + timedelta(seconds=route.escalate_after), step=1,
                              reason="unacknowledged")] if route.escalate_after and notes else []
        return Reopening(alert, state, "REOPENED", notes=notes, timers=timers)

    def reopen(self, alert_id: str, *, actor: str, via: str, reason: str, level: Level | str | None = None) -> dict:
        """Reopen a dismissed alert a person raised by hand (at ``level`` at least); {"decision", "queued"}.
        KeyError: no such alert."""
        now = self.clock.now()
        with self.store.transaction() as db:
            alert = self.store.get(alert_id, db)  # the alert's lock, to commit
            if alert is None:
                raise KeyError(alert_id)
            plan = self.decide(alert, self.store.get_state(db, alert.id), self.store.review(alert.id, db), reason,
                               now, Level(level) if level else None)
            if plan.decision == "NOT_DISMISSED":
                return {"decision": plan.decision, "queued": []}
            queued = self.store.apply(
                db, now, alert=plan.alert, doc_id=None, state=plan.state, notes=plan.notes, timers=plan.timers,
                audit_first=[("reopened", {"decision": plan.decision, "actor": actor, "via": via,
                                           "reason": reason, "level": plan.alert.level.value})],
                audit_last=[("routed", {"decision": plan.decision, "level": plan.alert.level.value,
                                        "queued": [n.id for n in plan.notes], "doc_count": plan.alert.doc_count})])
            if plan.requeue:
                self.store.requeue_review(db, alert.id, alert.unit_id, now, actor=actor, via=via, why="MANUAL")
            elif plan.review_due is not None:
                self.store.open_review(db, alert.id, alert.unit_id, plan.review_due, now)
                self.store.audit(db, alert.id, alert.unit_id, "review.held", now, due=plan.review_due.isoformat(),
                                 held=[n.id for n in plan.notes if n.state == "held"])
        log.info("alert %s reopened by %s (%s): %s, %d message(s)", alert_id, actor, via, plan.decision, len(queued))
        return {"decision": plan.decision, "queued": queued}
