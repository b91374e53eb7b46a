"""Alert router: scored document → (story, unit) alerts → queued notifications.

Stages, each decision logged and audited with a named reason:

* route    — which units the document is negative for (unit_levels), and who
             hears about each (``alerting.routing``: contacts, channels per
             level, duty rota, association defaults);
* group    — one alert per (story, unit); a repost joins the existing alert;
             a report of the same event in another story (same unit, shared
             risk type and key terms within a window, sentiment/incidents.py)
             joins the unit's open alert for it (audited with the terms);
* decide   — FIRST (new alert: notify), then for later documents the first
             that applies of LEVEL_RAISED (the document's own level, or the
             story's: its worst wording at the spread the story has reached —
             carriers, interactions, documents, channels, velocity — with the
             explanation), MAINSTREAM_PICKUP, NEW_CHANNEL,
             VOLUME_SPIKE (the story escalates: re-notify, but spread/spike
             updates at most every ``min_renotify_gap``), else
             NEW_DOC_IN_STORY (update only; a durable repeat timer sends
             "N more sources" once ``repeat_every`` has passed);
             OWN_REPLY (the unit's own reply or clarification: in the alert's
             timeline, joining its open alert of the same risk, but never its
             spread — no level, count, channel or site — and no message);
             ALREADY_RECORDED (replay: nothing);
* hold     — a level whose route says ``forward: review``: the duty officers
             are told at once, the unit's first messages wait ``held`` in the
             outbox for a duty officer's 复核并转发 or the review timer
             (``alerting.forwarding``); news meanwhile reaches the duty
             officers only;
* silence  — dismissed alerts re-notify nothing; resolved ones only when the
             story escalates; held messages (quiet hours, digest) are audited;
* enqueue  — notifications and timers go into the store in the same
             transaction as the alert; delivery is the notifier's job and
             timers the escalator's.

Decide, then apply: ``_facts`` reads what the store knows about the (story,
unit) alert, ``decide`` is a pure function of those facts, the document and
the clock, returning a ``Plan`` (the alert's new version and state, the
notifications, the timers to set and cancel, the audit events), and
``AlertStore.apply`` writes the plan, all in one transaction.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from alerting import templates
from alerting.assessment import at_level, brief_card, card_for
from alerting.emergency import EmergencyDesk
from alerting.lifecycle import UNACKNOWLEDGED
from alerting.planner import Planner
from alerting.reviews import UNIT_NOT_TOLD
from alerting.routing import UNIT_ROLES, Route
from alerting.store import AlertStore, Notification
from alerting.store_state import AlertState, TimerChange
from contracts.clock import Clock
from contracts.messages import CHANNEL_LABELS, Alert, AlertStatus, DocRef, Level, ScoredDocument
from pipeline import metrics
from pipeline.config import MembersFile, Rules
from pipeline.config.sms import trim
from sentiment.incidents import EventKey, EventRules, same_event
from sentiment.levels import LevelPolicy
from sentiment.spread import Spread
from sentiment.stories import title_numbers

log = logging.getLogger(__name__)

OWN_REPLY_REASON = "该单位自身的回应/澄清"


def is_own_reply(doc: ScoredDocument, unit_id: str) -> bool:
    """Whether ``doc`` is the unit's own reply or clarification (its name, then 回应/澄清/声明… in the
    title: sentiment's own_response rule), which the router takes as OWN_REPLY."""
    return unit_id in doc.own_response_units


class Decision(str, Enum):
    FIRST = "FIRST"
    LEVEL_RAISED = "LEVEL_RAISED"
    MAINSTREAM_PICKUP = "MAINSTREAM_PICKUP"
    NEW_CHANNEL = "NEW_CHANNEL"
    VOLUME_SPIKE = "VOLUME_SPIKE"
    NEW_DOC_IN_STORY = "NEW_DOC_IN_STORY"
    OWN_REPLY = "OWN_REPLY"  # the unit's own reply or clarification (rules.yaml own_response): news, not spread
    ALREADY_RECORDED = "ALREADY_RECORDED"


@dataclass
class Routed:
    alert: Alert
    decision: Decision
    queued: list[str]


@dataclass(frozen=True)
class Facts:
    """What the store knows about one (story, unit) alert when a document arrives."""

    alert: Alert | None
    state: AlertState
    recorded: bool  # this document is already part of the alert: a replay
    recent_docs: int  # documents added within the spike window, before this one
    pending_renotify: datetime | None  # due time of a pending "renotify" timer


@dataclass
class Plan:
    """What routing one document for one unit changes; decided without writing anything."""

    alert: Alert
    state: AlertState
    decision: Decision
    reason: str = ""
    notes: list[Notification] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)  # timer kinds
    suppressed: str = ""  # why nothing was sent ("" when something was)
    detected: bool = False  # a new alert: audit "detected"
    review_due: datetime | None = None  # forward: review — the unit's messages are held until then at most


class AlertRouter:
    def __init__(self, store: AlertStore, members: MembersFile, rules: Rules, clock: Clock,
                 planner: Planner, levels: LevelPolicy | None = None,
                 source_weights: dict[str, float] | None = None, emergency: EmergencyDesk | None = None) -> None:
        self.store = store
        self.emergency = emergency  # raises alerts to an 事件 by the rules.yaml emergency.auto rules
        self.units = {u.id: u for u in members.units}
        self.rules = rules
        self.conf = rules.alerting
        self.clock = clock
        self.planner = planner
        self.routing = planner.routing
        self.levels = levels  # None: the document's level only (no story spread)
        self.source_weights = source_weights or {}
        inc = self.conf.incidents
        self.events = EventRules(timedelta(seconds=inc.window), inc.min_shared, inc.min_overlap) if inc else None

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
            joined = ""
            if self.events is not None and self.store.get(alert_id, db) is None:
                alert_id, joined = self._open_event(db, doc, unit_id, alert_id)
            facts = self._facts(db, alert_id, doc.id, now)
            if facts.recorded and facts.alert is not None:
                return Routed(facts.alert, Decision.ALREADY_RECORDED, [])
            plan = self.decide(facts, doc, unit_id, level, now)
            alert = plan.alert
            first = [("detected", {"doc_id": doc.id, "url": doc.url, "level": level.value,
                                   "negativity": round(alert.negativity, 3), "site": doc.site})] if plan.detected else []
            last = [("routed", {"decision": plan.decision.value, "doc_id": doc.id, "level": alert.level.value,
                                "reason": plan.reason or None, "queued": [n.id for n in plan.notes],
                                "doc_count": alert.doc_count})]
            if joined:
                first.append(("joined_event", {"doc_id": doc.id, "story_id": doc.story_id, "reason": joined}))
            if plan.suppressed:
                last.append(("suppressed", {"decision": plan.decision.value, "reason": plan.suppressed}))
            if plan.review_due is not None:
                last.append(("review.held", {"due": plan.review_due.isoformat(), "held": [
                    n.id for n in plan.notes if n.state == "held"]}))
            queued = self.store.apply(db, now, alert=alert, doc_id=doc.id, state=plan.state, notes=plan.notes,
                                      cancel=plan.cancel, timers=plan.timers, audit_first=first, audit_last=last)
            if self.emergency is not None:
                self.emergency.auto_raise(db, alert, plan.state, now, mainstream=self.is_mainstream(doc))
            if plan.review_due is not None and self.store.open_review(db, alert.id, unit_id, plan.review_due, now):
                metrics.REVIEWS_HELD.inc()
        log.info("alert %s unit=%s level=%s decision=%s queued=%d doc=%s%s%s", alert.id, unit_id, alert.level.value,
                 plan.decision.value, len(queued), doc.id, f" ({plan.suppressed})" if plan.suppressed else "",
                 f" reason={plan.reason}" if plan.reason else "")
        return Routed(alert, plan.decision, queued)

    @staticmethod
    def _event_key(unit_id: str, doc: ScoredDocument) -> EventKey:
        risks = frozenset(r.risk_type for r in doc.reasons if getattr(r, "unit_id", None) in (None, unit_id)
                          and r.risk_type)
        return EventKey(unit_id, risks, frozenset(doc.key_terms), doc.published_at or doc.crawled_at,
                        frozenset(title_numbers(doc.title)))

    def _open_event(self, db, doc: ScoredDocument, unit_id: str, alert_id: str) -> tuple[str, str]:
        """The unit's open alert this document reports on (another story of the same event), if any; for
        the unit's own reply or clarification, its open alert of the same risk within the window (a reply
        names the complaint's facts in words of its own: 经核查…仍在审核中 shares no key terms with it)."""
        assert self.events is not None
        own = is_own_reply(doc, unit_id)
        if not doc.key_terms and not own:
            return alert_id, ""
        key = self._event_key(unit_id, doc)
        best: tuple[int, str, str] | None = None
        reply: tuple[tuple[int, int, datetime], str, str] | None = None
        for c in self.store.open_event_candidates(db, unit_id):
            other = EventKey(unit_id, c.risks, c.terms, c.last_seen, c.numbers)
            same, why = same_event(key, other, self.events) if doc.key_terms else (False, "")
            shared = len(key.terms & other.terms)
            if same and (best is None or shared > best[0]):
                best = (shared, c.alert_id, why)
            risks = key.risks & c.risks
            if own and (risks or not key.risks or not c.risks) and abs(key.at - c.last_seen) <= self.events.window:
                rank = (shared, len(risks), c.last_seen)  # the alert it names most of, then the latest
                if reply is None or rank > reply[0]:
                    kinds = "、".join(sorted(risks)) or "未分类"
                    reply = (rank, c.alert_id, f"{OWN_REPLY_REASON}：并入本单位{kinds}类未办结预警")
        if best:
            return best[1], best[2]
        return (reply[1], reply[2]) if reply else (alert_id, "")

    def _facts(self, db, alert_id: str, doc_id: str, now: datetime) -> Facts:
        alert = self.store.get(alert_id, db)
        if alert is None:
            return Facts(None, AlertState(), False, 0, None)
        pending = self.store.pending_timer(db, alert_id, "renotify")
        return Facts(alert, self.store.get_state(db, alert_id), self.store.has_doc(db, alert_id, doc_id),
                     self.store.docs_since(db, alert_id, now - timedelta(seconds=self.conf.spike.within)),
                     pending.due_at if pending else None)

    # ------------------------------------------------------------ decide (pure)

    def decide(self, facts: Facts, doc: ScoredDocument, unit_id: str, level: Level, now: datetime) -> Plan:
        """The plan for ``doc`` joining (or opening) its (story, unit) alert; writes nothing."""
        seen = doc.published_at or doc.crawled_at
        negativity = doc.unit_negativity.get(unit_id, doc.negativity)
        state = AlertState(**vars(facts.state))
        if facts.alert is None:
            alert = Alert(id=Alert.id_for(doc.story_id, unit_id), story_id=doc.story_id, unit_id=unit_id,
                          unit_name=self.units[unit_id].name, level=level, first_seen=seen, last_seen=seen,
                          doc_count=1, channels=[doc.channel], sites=[doc.site],
                          representative=DocRef.of(doc), negativity=negativity,
                          level_reason=doc.unit_level_reasons.get(unit_id, ""))
            self._spread_state(state, doc, unit_id)
            return self._first(alert, state, doc, now)
        if is_own_reply(doc, unit_id):
            return self._own_reply(facts, facts.alert, state, doc, unit_id, negativity, seen, now)
        story_reason = doc.unit_level_reasons.get(unit_id, "")
        self._spread_state(state, doc, unit_id)
        story = self._story_level(facts, state, doc, unit_id, negativity)
        if story is not None and story[0].rank < level.rank:
            level, story_reason = story
        decision, reason = self._trigger(facts.alert, state, doc, level)
        alert = facts.alert.model_copy(update={
            "doc_count": facts.alert.doc_count + 1,
            "last_seen": max(facts.alert.last_seen, seen),
            "level": level if decision is Decision.LEVEL_RAISED else facts.alert.level,
            "level_reason": (f"{reason}：{story_reason}" if decision is Decision.LEVEL_RAISED
                             else facts.alert.level_reason),
            "channels": sorted(set(facts.alert.channels) | {doc.channel}, key=lambda c: c.value),
            "sites": sorted(set(facts.alert.sites) | {doc.site}),
            "negativity": max(facts.alert.negativity, negativity),
        })
        if decision is Decision.NEW_DOC_IN_STORY:
            decision, reason = self._spike(facts.recent_docs + 1, state, now) or (decision, reason)
        return self._later(Plan(alert, state, decision, reason), doc, facts.pending_renotify, now)

    def _own_reply(self, facts: Facts, known: Alert, state: AlertState, doc: ScoredDocument, unit_id: str,
                   negativity: float, seen: datetime, now: datetime) -> Plan:
        """OWN_REPLY: the unit's own reply or clarification joins its alert's timeline as news of it, not
        as a report of the complaint — no carrier or interactions, no story level, and 共N篇, its channels
        and sites (传播情况, 已扩散到…, 多家媒体转载) stay the complaint's; it tells no one (as a
        NEW_DOC_IN_STORY would not: the repeat timer's summary at most)."""
        self._spread_state(state, doc, unit_id, spread=False)
        alert = known.model_copy(update={"last_seen": max(known.last_seen, seen),
                                         "negativity": max(known.negativity, negativity)})
        plan = Plan(alert, state, Decision.OWN_REPLY, f"{OWN_REPLY_REASON}：{trim(doc.title, 40)}")
        return self._later(plan, doc, facts.pending_renotify, now)

    def _spread_state(self, state: AlertState, doc: ScoredDocument, unit_id: str, spread: bool = True) -> None:
        """Fold the document into the story's carriers, interactions (unless not ``spread``) and relevance."""
        if doc.authority and self.levels is not None and spread:
            points = {c.name: c.points for c in self.levels.spread.authority}
            if points.get(doc.authority, 0) > points.get(state.authority, -1):
                state.authority = doc.authority
        state.engagement += Spread.interactions(doc.engagement) if spread else 0
        state.relevance = max(state.relevance, doc.unit_relevance.get(unit_id, 0.0))
        key = self._event_key(unit_id, doc)
        state.terms = (state.terms + [t for t in doc.key_terms if t not in state.terms])[:60]
        state.risks = sorted(set(state.risks) | key.risks)

    def _story_level(self, facts: Facts, state: AlertState, doc: ScoredDocument, unit_id: str,
                     negativity: float) -> tuple[Level, str] | None:
        """The story's level: its worst wording at the spread it has reached."""
        if self.levels is None or facts.alert is None:
            return None
        spread = Spread(authority=state.authority, engagement=state.engagement, documents=facts.alert.doc_count + 1,
                        channels=len(set(facts.alert.channels) | {doc.channel}), recent_docs=facts.recent_docs + 1)
        risks = {r.risk_type for r in doc.reasons if getattr(r, "unit_id", None) == unit_id and r.risk_type}
        found = self.levels.assess(max(facts.alert.negativity, negativity), state.relevance,
                                   self.source_weights.get(doc.source_id, 1.0), None, risks, spread=spread)
        return (found.level, found.reason) if found.level is not None else None

    def _first(self, alert: Alert, state: AlertState, doc: ScoredDocument, now: datetime) -> Plan:
        route = self.routing.route(alert.unit_id, alert.level)
        state.brief = templates.brief_of(doc, alert.unit_id)
        if self.rules.playbooks:
            card = card_for(alert, [doc], self.rules, now, now)
            state.brief["assessment"] = card.short()
            state.brief["card"] = brief_card(card)
        state.mainstream = self.is_mainstream(doc)
        notes = self.planner.for_alert(alert, state.brief, [0], 0, "alert", "", now, route)
        if route.forward == "review":
            return self._hold_for_review(alert, state, notes, route, now)
        self._notified(state, alert, now)
        timers = [TimerChange("escalate", now + timedelta(seconds=route.escalate_after), step=1,
                              reason="unacknowledged")] if route.escalate_after and notes else []
        return Plan(alert, state, Decision.FIRST, notes=notes, timers=timers,
                    suppressed="" if notes else "NO_RECIPIENTS", detected=True)

    def _hold_for_review(self, alert: Alert, state: AlertState, notes: list[Notification], route: Route,
                         now: datetime) -> Plan:
        """forward: review — the unit's messages wait (held) for a duty officer, who is told at once; the
        review timer forwards them by itself after ``review_timeout``; escalation starts on forwarding."""
        plan = Plan(alert, state, Decision.FIRST, detected=True)
        self._hold(plan, notes, route, now)
        state.last_notified_at = now.isoformat()
        plan.suppressed = "" if plan.notes else "NO_RECIPIENTS"
        return plan

    def _hold(self, plan: Plan, notes: list[Notification], route: Route, now: datetime) -> None:
        """Hold the unit's ``notes`` for review and tell the duty officers (a first alert, or one raised to a
        reviewed level): the plan's notes, review due time and timer."""
        alert, state = plan.alert, plan.state
        due = now + timedelta(seconds=route.review_timeout)
        held = [replace(n, state="held") for n in notes if n.payload.get("role") in UNIT_ROLES]
        reason = (f"请于{templates.local(due)}前在预警详情中复核并转发（{self.planner.console_url}/alerts/{alert.id}），"
                  f"逾时系统将自动转发")
        if plan.decision is Decision.LEVEL_RAISED:
            reason = f"{plan.reason}。{reason}"
        duty = self.planner.for_review(alert, state.brief, reason, now, route, round_=state.round)
        state.review = "pending"
        plan.notes, plan.review_due = duty + held, due
        if held:
            plan.timers.append(TimerChange("review", due, reason="review_timeout"))

    def _trigger(self, alert: Alert, state: AlertState, doc: ScoredDocument, level: Level) -> tuple[Decision, str]:
        if level.rank < alert.level.rank:
            return Decision.LEVEL_RAISED, f"预警等级由{alert.level.label}升至{level.label}"
        if not state.mainstream and self.is_mainstream(doc):
            return Decision.MAINSTREAM_PICKUP, f"主流媒体{doc.site}已转载"
        if doc.channel not in alert.channels:
            return Decision.NEW_CHANNEL, f"已扩散至{CHANNEL_LABELS.get(doc.channel, doc.channel)}"
        return Decision.NEW_DOC_IN_STORY, ""

    def _spike(self, docs_in_window: int, state: AlertState, now: datetime) -> tuple[Decision, str] | None:
        window = timedelta(seconds=self.conf.spike.within)
        if state.spike_at and now - datetime.fromisoformat(state.spike_at) < window:
            return None  # one spike update per window
        if docs_in_window >= self.conf.spike.docs:
            return Decision.VOLUME_SPIKE, f"{int(window.total_seconds() // 60)}分钟内新增{docs_in_window}篇"
        return None

    def _later(self, plan: Plan, doc: ScoredDocument, pending_renotify: datetime | None, now: datetime) -> Plan:
        """A later document of a known alert: re-notify, hold for later, or stay silent."""
        alert, state, decision = plan.alert, plan.state, plan.decision
        route = self.routing.route(alert.unit_id, alert.level)
        if decision is Decision.MAINSTREAM_PICKUP:
            state.mainstream = True
        if decision is Decision.VOLUME_SPIKE:
            state.spike_at = now.isoformat()
        if alert.status is AlertStatus.dismissed:
            plan.suppressed = "DISMISSED"
        elif decision in (Decision.NEW_DOC_IN_STORY, Decision.OWN_REPLY):
            plan.suppressed = "RESOLVED" if alert.status is AlertStatus.resolved else self._repeat_later(
                plan, route.repeat_every, "REPEAT_DUE", pending_renotify, now)
        elif decision is not Decision.LEVEL_RAISED and state.last_notified and \
                now - state.last_notified < timedelta(seconds=self.conf.min_renotify_gap):
            plan.suppressed = self._repeat_later(plan, self.conf.min_renotify_gap, decision.value, pending_renotify,
                                                 now, why="MIN_GAP")
        if plan.suppressed:
            return plan
        state.round += 1
        if decision is Decision.LEVEL_RAISED and self.rules.playbooks:
            at_level(state.brief, self.rules, alert.level.value)  # the new level's steps and deadline
        new = alert.doc_count - state.notified_docs
        text = f"{plan.reason}；最新：{doc.site}《{trim(doc.title, 30)}》" + (f"，新增{new}篇" if new > 1 else "")
        plan.notes = self.planner.for_alert(alert, state.brief, range(state.step + 1), state.round, "update", text,
                                            now, route)
        self._notified(state, alert, now)
        plan.cancel = ["renotify"]  # this update covers what was waiting
        if state.review in UNIT_NOT_TOLD:  # the unit hears of it all when forwarded (never, if closed while held)
            plan.notes = [n for n in plan.notes if n.payload.get("role") not in UNIT_ROLES]
            return plan
        if decision is Decision.LEVEL_RAISED and route.forward == "review" and not state.review:
            # Raised to a reviewed level and never reviewed: held like a new alert at that level (the
            # unit hears of the raise after the review; escalation runs from the forwarding).
            self._hold(plan, plan.notes, route, now)
            plan.cancel.append("escalate")
            return plan
        if decision is Decision.LEVEL_RAISED and alert.status in UNACKNOWLEDGED and route.escalate_after:
            plan.timers.append(TimerChange("escalate", now + timedelta(seconds=route.escalate_after),
                                           step=state.step + 1, reason="unacknowledged", earliest=True))
        return plan

    @staticmethod
    def _repeat_later(plan: Plan, after: float, reason: str, pending: datetime | None, now: datetime,
                      why: str = "REPEAT_INTERVAL") -> str:
        """Plan the durable re-notification; returns the suppression reason."""
        if not after:
            return "NO_REPEAT"
        due = (plan.state.last_notified or now) + timedelta(seconds=after)
        plan.timers.append(TimerChange("renotify", due, reason=reason, earliest=True))
        effective = pending if pending is not None and pending <= due else due  # "earliest" keeps a sooner one
        return f"{why} (update due {effective.isoformat()})"

    @staticmethod
    def _notified(state: AlertState, alert: Alert, now: datetime) -> None:
        state.last_notified_at = now.isoformat()
        state.notified_docs = alert.doc_count
