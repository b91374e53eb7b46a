"""Alert router: scored document → (story, unit) alerts → queued notifications.

Stages, each decision logged and audited with a named reason:

* route    — which units the document is negative for (unit_levels), and
             who hears about each: the unit's primary contacts and, when
             rules say so, the association's duty officers;
* group    — one alert per (story, unit); a repost joins the existing alert;
* decide   — FIRST (new alert: notify), LEVEL_RAISED (notify again),
             NEW_DOC_IN_STORY (update only), ALREADY_RECORDED (replay: nothing);
* enqueue  — notifications go into the outbox in the same transaction as the
             alert (see alerting.store); delivery is the notifier's job.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from alerting import templates
from alerting.store import AlertStore, Notification
from pipeline.clock import Clock
from pipeline.config import MembersFile, Rules
from pipeline.messages import Alert, DocRef, ScoredDocument, notification_id

log = logging.getLogger(__name__)


class Decision(str, Enum):
    FIRST = "FIRST"
    LEVEL_RAISED = "LEVEL_RAISED"
    NEW_DOC_IN_STORY = "NEW_DOC_IN_STORY"
    ALREADY_RECORDED = "ALREADY_RECORDED"


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None
    role: str  # "unit-primary" | "duty-officer"


@dataclass
class Routed:
    alert: Alert
    decision: Decision
    queued: list[str]


class AlertRouter:
    def __init__(self, store: AlertStore, members: MembersFile, rules: Rules, clock: Clock,
                 alert_url: Callable[[str], str]) -> None:
        self.store = store
        self.units = {u.id: u for u in members.units}
        self.duty_officers = members.association.duty_officers
        self.rules = rules
        self.clock = clock
        self.alert_url = alert_url

    def recipients(self, unit_id: str) -> list[Recipient]:
        unit = self.units[unit_id]
        out = [Recipient(c.name, c.email, "unit-primary") for c in unit.contacts if c.role == "primary"]
        if self.rules.notify_duty_officers:
            out += [Recipient(o.name, o.email, "duty-officer") for o in self.duty_officers]
        return out

    def handle(self, doc: ScoredDocument) -> list[Routed]:
        results = []
        for unit_id, level in doc.unit_levels.items():
            if unit_id not in self.units:
                log.warning("doc %s: unit %r is not in members.yaml; skipped", doc.id, unit_id)
                continue
            results.append(self._route_one(doc, unit_id, level))
        return results

    def _route_one(self, doc: ScoredDocument, unit_id: str, level) -> Routed:
        now = self.clock.now()
        alert_id = Alert.id_for(doc.story_id, unit_id)
        with self.store.transaction() as db:
            alert = self.store.get(alert_id, db)
            if alert is not None and self.store.has_doc(db, alert_id, doc.id):
                return Routed(alert, Decision.ALREADY_RECORDED, [])
            seen = doc.published_at or doc.crawled_at
            if alert is None:
                alert = Alert(id=alert_id, story_id=doc.story_id, unit_id=unit_id,
                              unit_name=self.units[unit_id].name, level=level, first_seen=seen,
                              last_seen=seen, doc_count=1, channels=[doc.channel], sites=[doc.site],
                              representative=DocRef.of(doc),
                              negativity=doc.unit_negativity.get(unit_id, doc.negativity))
                decision = Decision.FIRST
            else:
                decision = Decision.LEVEL_RAISED if level.rank < alert.level.rank else Decision.NEW_DOC_IN_STORY
                alert = alert.model_copy(update={
                    "doc_count": alert.doc_count + 1,
                    "last_seen": max(alert.last_seen, seen),
                    "level": level if decision is Decision.LEVEL_RAISED else alert.level,
                    "channels": sorted(set(alert.channels) | {doc.channel}, key=lambda c: c.value),
                    "sites": sorted(set(alert.sites) | {doc.site}),
                    "negativity": max(alert.negativity, doc.unit_negativity.get(unit_id, doc.negativity)),
                })
            self.store.save(db, alert, doc.id, now)
            notes = self._plan(alert, doc) if decision in (Decision.FIRST, Decision.LEVEL_RAISED) else []
            queued = self.store.enqueue(db, notes, now)
            self.store.audit(db, alert.id, unit_id, "routed", now, decision=decision.value, doc_id=doc.id,
                             level=alert.level.value, queued=queued)
        log.info("alert %s unit=%s level=%s decision=%s queued=%d doc=%s", alert.id, unit_id,
                 alert.level.value, decision.value, len(queued), doc.id)
        return Routed(alert, decision, queued)

    def _plan(self, alert: Alert, doc: ScoredDocument) -> list[Notification]:
        notes = []
        url = self.alert_url(alert.id)
        for r in self.recipients(alert.unit_id):
            if not r.email:
                continue
            # The level is part of the id: a raised level is a new message,
            # a replay of the same level is the same message.
            nid = notification_id(alert.id, r.email, "email", 0) + f"-{alert.level.value}"
            notes.append(Notification(
                id=nid, alert_id=alert.id, channel="email", recipient=r.email, step=0,
                payload={"subject": templates.email_subject(alert),
                         "body": templates.email_body(alert, doc, r.name, url),
                         "recipient_name": r.name, "recipient_role": r.role}))
        return notes
