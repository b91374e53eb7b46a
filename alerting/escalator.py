"""Escalator: fires the durable timers the router left in the alert store.

* ``escalate`` (step s): if the alert is still unacknowledged (new or
  notified), tell the next step — 1: the unit's backup contacts (skipped
  when the unit has none), 2: the association's duty officers on duty — and
  set the timer for the step after, ``escalate_after`` later. An ack
  (``AlertStore.change_status``) cancels the timer in its own transaction,
  and a fired timer re-checks the status, so an ack always stops escalation.
* ``review`` (``forward: review``): nobody forwarded the held alert within
  ``review_timeout``: ``alerting.forwarding`` forwards it, saying
  超时未复核，已自动转发 (nothing, if it was forwarded meanwhile).
* ``renotify``: a repost arrived inside the repeat interval (or a spread
  update inside the minimum gap); when the timer is due, one update tells
  the people reached so far about everything new since the last message
  (REPEAT_DUE, "N more sources"), or nothing if nothing is new.
* ``bulletin``: the 续报 of an open 事件 (``alerting.emergency``), which
  sets the next one; a closed 事件's timer is cancelled.

Each timer is handled in one transaction with what it queues, and timers are
rows with due times read by the injected clock: a restart loses nothing, a
crash mid-way repeats nothing (notification ids are derived).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from alerting.emergency import EmergencyDesk
from alerting.forwarding import SYSTEM, Forwarder
from alerting.planner import Planner
from alerting.reviews import UNIT_NOT_TOLD
from alerting.routing import UNIT_ROLES
from alerting.store import AlertStore
from alerting.store_state import AlertState, Timer
from alerting.templates import spread
from contracts.clock import Clock
from contracts.messages import Alert, AlertStatus
from pipeline import metrics

log = logging.getLogger(__name__)
LAST_STEP = 2


class Escalator:
    def __init__(self, store: AlertStore, planner: Planner, clock: Clock, emergency: EmergencyDesk | None = None) -> None:
        self.store = store
        self.emergency = emergency
        self.planner = planner
        self.routing = planner.routing
        self.clock = clock
        self.forwarder = Forwarder(store, planner, clock)

    def run_once(self, limit: int = 100) -> int:
        fired = self._fire(limit)
        metrics.REVIEWS_PENDING.set(self.store.pending_reviews())
        return fired

    def _fire(self, limit: int) -> int:
        fired = 0
        for timer in self.store.due_timers(self.clock.now(), limit):
            now = self.clock.now()
            with self.store.transaction() as db:
                current = self.store.pending_timer(db, timer.alert_id, timer.kind)
                if current is None or current.due_at != timer.due_at:
                    continue  # handled or moved by someone else meanwhile
                alert = self.store.get(timer.alert_id, db)
                if alert is None:
                    self.store.finish_timer(db, timer, "cancelled", now)
                    continue
                state = self.store.get_state(db, alert.id)
                if timer.kind == "escalate":
                    self._escalate(db, alert, state, timer, now)
                elif timer.kind == "bulletin":
                    if self.emergency is None:
                        self.store.finish_timer(db, timer, "cancelled", now)
                    else:
                        self.emergency.bulletin(db, alert, state, timer, now)
                elif timer.kind == "review":
                    self.forwarder.forward_in(db, alert, now, actor=SYSTEM, via="timer", auto=True)
                    self.store.finish_timer(db, timer, "done", now)
                else:
                    self._renotify(db, alert, state, timer, now)
            fired += 1
        return fired

    def _escalate(self, db, alert: Alert, state: AlertState, timer: Timer, now) -> None:
        if alert.status not in AlertStore.UNACKNOWLEDGED:
            self.store.finish_timer(db, timer, "cancelled", now)
            self.store.audit(db, alert.id, alert.unit_id, "escalation.cancelled", now, reason=alert.status.value)
            return
        route = self.routing.route(alert.unit_id, alert.level)
        step = timer.step
        if step == 1 and not self.routing.targets(alert.unit_id, alert.level, 1, now):
            self.store.audit(db, alert.id, alert.unit_id, "escalation.skipped", now, step=1,
                             reason="NO_BACKUP_CONTACT")
            step = 2
        waited = int(route.escalate_after // 60)
        reason = (f"主要联系人超过{waited}分钟未确认，现通知备用联系人" if step == 1
                  else f"单位超过{waited}分钟未确认，现上报协会值班员")
        notes = self.planner.for_alert(alert, state.brief, [step], state.round, "escalation", reason, now, route)
        queued = self.planner.queue(db, notes, now)
        state.step = max(state.step, step)
        self.store.put_state(db, alert.id, state)
        self.store.finish_timer(db, timer, "done", now)
        self.store.audit(db, alert.id, alert.unit_id, "escalated", now, step=step,
                         to=sorted({n.who for n in notes}), queued=queued)
        log.info("alert %s unacknowledged: escalated to step %d (%d message(s))", alert.id, step, len(queued))
        if step < LAST_STEP and route.escalate_after:
            self.store.schedule(db, alert.id, "escalate", now + timedelta(seconds=route.escalate_after), now,
                                step=step + 1, reason="unacknowledged")

    def _renotify(self, db, alert: Alert, state: AlertState, timer: Timer, now) -> None:
        if alert.status in (AlertStatus.dismissed, AlertStatus.resolved):
            self.store.finish_timer(db, timer, "cancelled", now)
            self.store.audit(db, alert.id, alert.unit_id, "suppressed", now, decision=timer.reason,
                             reason=alert.status.value.upper())
            return
        new = alert.doc_count - state.notified_docs
        if new <= 0:
            self.store.finish_timer(db, timer, "done", now)
            self.store.audit(db, alert.id, alert.unit_id, "suppressed", now, decision=timer.reason,
                             reason="NOTHING_NEW")
            return
        state.round += 1
        reason = f"持续传播：新增{new}篇，{spread(alert)}"
        notes = self.planner.for_alert(alert, state.brief, range(state.step + 1), state.round, "update", reason, now)
        if state.review in UNIT_NOT_TOLD:  # the unit hears of it all when forwarded (never, if closed while held)
            notes = [n for n in notes if n.payload.get("role") not in UNIT_ROLES]
        queued = self.planner.queue(db, notes, now)
        state.last_notified_at, state.notified_docs = now.isoformat(), alert.doc_count
        self.store.put_state(db, alert.id, state)
        self.store.finish_timer(db, timer, "done", now)
        self.store.audit(db, alert.id, alert.unit_id, "routed", now, decision="REPEAT_DUE", deferred=timer.reason,
                         new_docs=new, queued=queued, level=alert.level.value, doc_count=alert.doc_count)
