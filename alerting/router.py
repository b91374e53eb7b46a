"""Alert router: scored document → (story, unit) alerts → queued notifications.

Stages, each decision logged and audited with a named reason:

* route    — which units the document is negative for (unit_levels), and who
             hears about each (``alerting.routing``: contacts, channels per
             level, duty rota, association defaults);
* group    — one alert per (story, unit); a repost joins the existing alert;
* decide   — FIRST (new alert: notify), then for later documents the first
             that applies of LEVEL_RAISED, MAINSTREAM_PICKUP, NEW_CHANNEL,
             VOLUME_SPIKE (the story escalates: re-notify, but spread/spike
             updates at most every ``min_renotify_gap``), else
             NEW_DOC_IN_STORY (update only; a durable repeat timer sends
             "N more sources" once ``repeat_every`` has passed);
             ALREADY_RECORDED (replay: nothing);
* silence  — dismissed alerts re-notify nothing; resolved ones only when the
             story escalates; held messages (quiet hours, digest) are audited;
* enqueue  — notifications and timers go into the store in the same
             transaction as the alert; delivery is the notifier's job and
             timers the escalator's.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from alerting import templates
from alerting.planner import Planner
from alerting.store import AlertStore
from alerting.store_state import AlertState
from contracts.clock import Clock
from contracts.messages import CHANNEL_LABELS, Alert, AlertStatus, DocRef, Level, ScoredDocument
from pipeline.config import MembersFile, Rules

log = logging.getLogger(__name__)


class Decision(str, Enum):
    FIRST = "FIRST"
    LEVEL_RAISED = "LEVEL_RAISED"
    MAINSTREAM_PICKUP = "MAINSTREAM_PICKUP"
    NEW_CHANNEL = "NEW_CHANNEL"
    VOLUME_SPIKE = "VOLUME_SPIKE"
    NEW_DOC_IN_STORY = "NEW_DOC_IN_STORY"
    ALREADY_RECORDED = "ALREADY_RECORDED"


@dataclass
class Routed:
    alert: Alert
    decision: Decision
    queued: list[str]


class AlertRouter:
    def __init__(self, store: AlertStore, members: MembersFile, rules: Rules, clock: Clock,
                 planner: Planner) -> None:
        self.store = store
        self.units = {u.id: u for u in members.units}
        self.rules = rules
        self.conf = rules.alerting
        self.clock = clock
        self.planner = planner
        self.routing = planner.routing

    def handle(self, doc: ScoredDocument) -> list[Routed]:
        results = []
        for unit_id, level in doc.unit_levels.items():
            if unit_id not in self.units:
                log.warning("doc %s: unit %r is not in members.yaml; skipped", doc.id, unit_id)
                continue
            results.append(self._route_one(doc, unit_id, level))
        return results

    def is_mainstream(self, doc: ScoredDocument) -> bool:
        site = doc.site.lower()
        return any(doc.source_id == m or site == m.lower() or site.endswith("." + m.lower())
                   for m in self.conf.mainstream)

    def _route_one(self, doc: ScoredDocument, unit_id: str, level: Level) -> Routed:
        now = self.clock.now()
        alert_id = Alert.id_for(doc.story_id, unit_id)
        with self.store.transaction() as db:
            alert = self.store.get(alert_id, db)
            if alert is not None and self.store.has_doc(db, alert_id, doc.id):
                return Routed(alert, Decision.ALREADY_RECORDED, [])
            seen = doc.published_at or doc.crawled_at
            negativity = doc.unit_negativity.get(unit_id, doc.negativity)
            if alert is None:
                alert = Alert(id=alert_id, story_id=doc.story_id, unit_id=unit_id,
                              unit_name=self.units[unit_id].name, level=level, first_seen=seen, last_seen=seen,
                              doc_count=1, channels=[doc.channel], sites=[doc.site],
                              representative=DocRef.of(doc), negativity=negativity)
                state, decision, reason = AlertState(), Decision.FIRST, ""
            else:
                state = self.store.get_state(db, alert_id)
                decision, reason = self._trigger(alert, state, doc, level)
                alert = alert.model_copy(update={
                    "doc_count": alert.doc_count + 1,
                    "last_seen": max(alert.last_seen, seen),
                    "level": level if decision is Decision.LEVEL_RAISED else alert.level,
                    "channels": sorted(set(alert.channels) | {doc.channel}, key=lambda c: c.value),
                    "sites": sorted(set(alert.sites) | {doc.site}),
                    "negativity": max(alert.negativity, negativity),
                })
            self.store.save(db, alert, doc.id, now)
            if decision is Decision.FIRST:
                self.store.audit(db, alert.id, unit_id, "detected", now, doc_id=doc.id, url=doc.url,
                                 level=level.value, negativity=round(negativity, 3), site=doc.site)
            elif decision is Decision.NEW_DOC_IN_STORY:
                # Checked after saving, so this document counts towards the spike.
                decision, reason = self._spike(db, alert, state, now) or (decision, reason)
            queued, suppressed = self._decide(db, alert, state, doc, decision, reason, now)
            self.store.audit(db, alert.id, unit_id, "routed", now, decision=decision.value, doc_id=doc.id,
                             level=alert.level.value, reason=reason or None, queued=queued,
                             doc_count=alert.doc_count)
            if suppressed:
                self.store.audit(db, alert.id, unit_id, "suppressed", now, decision=decision.value,
                                 reason=suppressed)
        log.info("alert %s unit=%s level=%s decision=%s queued=%d doc=%s%s", alert.id, unit_id,
                 alert.level.value, decision.value, len(queued), doc.id, f" ({suppressed})" if suppressed else "")
        return Routed(alert, decision, queued)

    # ------------------------------------------------------------ decide

    def _trigger(self, alert: Alert, state: AlertState, doc: ScoredDocument, level: Level) -> tuple[Decision, str]:
        if level.rank < alert.level.rank:
            return Decision.LEVEL_RAISED, f"预警等级由{alert.level.label}升至{level.label}"
        if not state.mainstream and self.is_mainstream(doc):
            return Decision.MAINSTREAM_PICKUP, f"主流媒体{doc.site}已转载"
        if doc.channel not in alert.channels:
            return Decision.NEW_CHANNEL, f"已扩散至{CHANNEL_LABELS.get(doc.channel, doc.channel)}"
        return Decision.NEW_DOC_IN_STORY, ""

    def _spike(self, db, alert: Alert, state: AlertState, now) -> tuple[Decision, str] | None:
        window = timedelta(seconds=self.conf.spike.within)
        if state.spike_at and now - datetime.fromisoformat(state.spike_at) < window:
            return None  # one spike update per window
        n = self.store.docs_since(db, alert.id, now - window)
        if n >= self.conf.spike.docs:
            return Decision.VOLUME_SPIKE, f"{int(window.total_seconds() // 60)}分钟内新增{n}篇"
        return None

    def _decide(self, db, alert: Alert, state: AlertState, doc: ScoredDocument, decision: Decision, reason: str,
                now) -> tuple[list[str], str]:
        """Queue what this decision sends; returns (queued ids, why nothing was sent or '')."""
        route = self.routing.route(alert.unit_id, alert.level)
        if decision is Decision.FIRST:
            state.brief = templates.brief_of(doc, alert.unit_id)
            state.mainstream = self.is_mainstream(doc)
            notes = self.planner.for_alert(alert, state.brief, [0], 0, "alert", "", now)
            queued = self.planner.queue(db, notes, now)
            self._notified(state, alert, now)
            if route.escalate_after and queued:
                self.store.schedule(db, alert.id, "escalate", now + timedelta(seconds=route.escalate_after), now,
                                    step=1, reason="unacknowledged")
            self.store.put_state(db, alert.id, state)
            return queued, "" if queued else "NO_RECIPIENTS"
        if decision is Decision.MAINSTREAM_PICKUP:
            state.mainstream = True
        if decision is Decision.VOLUME_SPIKE:
            state.spike_at = now.isoformat()
        suppressed = ""
        if alert.status is AlertStatus.dismissed:
            suppressed = "DISMISSED"
        elif decision is Decision.NEW_DOC_IN_STORY:
            suppressed = "RESOLVED" if alert.status is AlertStatus.resolved else self._repeat_later(
                db, alert, state, route.repeat_every, "REPEAT_DUE", now)
        elif decision is not Decision.LEVEL_RAISED and state.last_notified and \
                now - state.last_notified < timedelta(seconds=self.conf.min_renotify_gap):
            suppressed = self._repeat_later(db, alert, state, self.conf.min_renotify_gap, decision.value, now,
                                            why="MIN_GAP")
        if suppressed:
            self.store.put_state(db, alert.id, state)
            return [], suppressed
        state.round += 1
        new = alert.doc_count - state.notified_docs
        text = f"{reason}；最新：{doc.site}《{templates.short(doc.title, 30)}》" + (f"，新增{new}篇" if new > 1 else "")
        notes = self.planner.for_alert(alert, state.brief, range(state.step + 1), state.round, "update", text, now)
        queued = self.planner.queue(db, notes, now)
        self._notified(state, alert, now)
        self.store.cancel_timers(db, alert.id, "renotify", now)  # this update covers what was waiting
        if decision is Decision.LEVEL_RAISED and alert.status in AlertStore.UNACKNOWLEDGED and route.escalate_after:
            self.store.schedule(db, alert.id, "escalate", now + timedelta(seconds=route.escalate_after), now,
                                step=state.step + 1, reason="unacknowledged", earliest=True)
        self.store.put_state(db, alert.id, state)
        return queued, ""

    def _repeat_later(self, db, alert: Alert, state: AlertState, after: float, reason: str, now,
                      why: str = "REPEAT_INTERVAL") -> str:
        """Schedule the durable re-notification; returns the suppression reason."""
        if not after:
            return "NO_REPEAT"
        due = (state.last_notified or now) + timedelta(seconds=after)
        timer = self.store.schedule(db, alert.id, "renotify", due, now, reason=reason, earliest=True)
        return f"{why} (update due {timer.due_at.isoformat()})"

    @staticmethod
    def _notified(state: AlertState, alert: Alert, now) -> None:
        state.last_notified_at = now.isoformat()
        state.notified_docs = alert.doc_count
