"""Alerts as the console shows them, and the actions people take on them.

Pages and API share these functions, so both enforce the same rules:
visibility (a lead sees only its unit; anything else is NotFound), the
permission of each action, and the audit of who did it. Status changes go
through ``AlertStore.change_status`` (validated, idempotent, audited with
actor and via); assignments, handling notes and false alarms are kept in
the console's casebook and audited in the alert store as ``console.*``
events, which also wakes the live feed.

Data shapes are plain dicts (JSON for the API and the feed, context for
templates), built defensively: the alerting engineer may add fields.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any

from alerting.assessment import card_for
from alerting.lifecycle import TRANSITIONS
from alerting.reviews import UNIT_ROLES
from alerting.templates import by_sentence
from alerting.templates_grounds import plain_grounds
from console import labels
from console.access import ACTION_LABELS, ACTIONS, can_act, can_see, unit_scope
from console.ports import Ports
from console.security import Denied, NotFound, Refused
from console.similar import similar_cases
from console.users import User
from contracts.messages import Alert, AlertStatus, ScoredDocument

UNACKNOWLEDGED = (AlertStatus.new, AlertStatus.notified)
STATUS_ACTIONS = {"acknowledge": AlertStatus.acknowledged, "handling": AlertStatus.handling,
                  "resolve": AlertStatus.resolved, "false_alarm": AlertStatus.dismissed,
                  "reopen": AlertStatus.handling}


def applies(alert: Alert, action: str) -> bool:
    """Whether ``action`` makes sense in the alert's current status (the
    detail page offers only those; the store refuses the rest anyway)."""
    target = STATUS_ACTIONS.get(action)
    if target is None:  # note, assign
        return True
    if action == "reopen":
        return alert.status in (AlertStatus.resolved, AlertStatus.dismissed)
    if action == "handling" and alert.status in (AlertStatus.resolved, AlertStatus.dismissed):
        return False  # that is 重新打开
    return target in TRANSITIONS[alert.status]


ESCALATION_STEPS = {0: "首发联系人", 1: "备用联系人", 2: "协会值班员"}


def escalation_view(alert: Alert, esc: dict | None) -> dict:
    """The escalation badge: 第N级 (N = step reached), who the last step told, when the next one fires."""
    esc = esc or {}
    step = int(esc.get("step") or 0)
    open_ = alert.status in UNACKNOWLEDGED
    next_at = esc.get("next_at") if open_ else None
    return {"step": step, "label": f"第{step}级·{ESCALATION_STEPS.get(step, '')}" if step else "",
            "told": list(esc.get("told") or []), "next_at": next_at,
            "next_label": ESCALATION_STEPS.get(esc.get("next_step") or 0, "") if next_at else ""}


REVIEW_LABELS = {"pending": "待复核", "forwarded": "已复核转发", "dismissed": "误报未转发",
                 "resolved": "协会已处置完毕，未转发单位"}
REVIEW_ACKED = "值班员已确认收到，待复核"  # 确认收到 while held: not the unit's acknowledgement (alerting.reviews)
REVIEW_HANDLING = "值班员处置中，待复核"  # 开始处置 while held: the unit is still told (and chased) when forwarded


def review_view(review: dict | None) -> dict | None:
    """forward: review — the badge and the detail's review box (None: the alert was forwarded at once).
    ``received``: a duty officer already acknowledged or started handling it while held."""
    if not review:
        return None
    auto = review.get("via") == "timer"
    pending = review.get("state") == "pending"
    label = "超时未复核，已自动转发" if auto and review.get("state") == "forwarded" else \
        REVIEW_HANDLING if pending and review.get("handling_by") else \
        REVIEW_ACKED if pending and review.get("acked_by") else \
        REVIEW_LABELS.get(review.get("state", ""), "")
    return {**review, "label": label, "auto": auto,
            "received": bool(review.get("acked_by") or review.get("handling_by"))}


def offered(alert: Alert, action: str, out: dict) -> bool:
    """Whether the detail page offers ``action`` given the review: 复核并转发 only while held; while held,
    确认收到 not after a duty officer received or took it on, 开始处置 not after one took it on."""
    held, review = out["awaiting_review"], out["review"] or {}
    if action == "forward":
        return held
    if held and action == "acknowledge":
        return not review.get("received")
    if held and action == "handling":
        return not review.get("handling_by")
    return True


def done_message(action: str, out: dict) -> str:
    """What the detail page says after ``action`` (``out``: the alert's summary after it): on an alert
    held for review, 确认收到 and 开始处置 were the duty officers' and 处置完毕 closed the review."""
    review = out.get("review") or {}
    if out.get("awaiting_review") and action in ("acknowledge", "handling"):
        return f"已记录：{review.get('label')}。单位尚未收到通知，下一步请复核并转发。"
    if action == "resolve" and review.get("state") == "resolved":
        return "已处置完毕：协会已处置，此预警不再转发单位。"
    return f"已{ACTION_LABELS.get(action, action)}"


def summary(ports: Ports, alert: Alert, detected: str | None = None, assignee: str | None = None,
            esc: dict | None = None, doc: ScoredDocument | None = None, review: dict | None = None,
            emergency: dict | None = None) -> dict:
    rep = alert.representative
    source_id = getattr(rep, "source_id", None) or (doc.source_id if doc else None)
    risks = sorted({r.risk_type for r in doc.reasons if r.risk_type and getattr(r, "unit_id", None) in
                    (None, alert.unit_id)}) if doc else []
    escalation = escalation_view(alert, esc)
    return {
        "id": alert.id, "story_id": alert.story_id, "unit_id": alert.unit_id,
        "unit_name": alert.unit_name or ports.unit_names.get(alert.unit_id, alert.unit_id),
        "unit_short": ports.unit_short.get(alert.unit_id, alert.unit_name or alert.unit_id),
        "source_name": ports.source_names.get(source_id or "", rep.site), "risk_types": risks,
        "site_count": len(alert.sites) or 1, "channel_ids": [c.value for c in alert.channels],
        "escalation": escalation, "escalated": escalation["step"] > 0 and alert.status in UNACKNOWLEDGED,
        "level": alert.level.value, "level_label": labels.level(alert.level),
        "status": alert.status.value, "status_label": labels.status(alert.status),
        "unacknowledged": alert.status in UNACKNOWLEDGED,
        "title": rep.title, "url": rep.url, "site": rep.site,
        "channels": [labels.channel(c) for c in alert.channels],
        "doc_count": alert.doc_count, "negativity": round(alert.negativity, 3),
        "level_reason": alert.level_reason,
        "first_seen": alert.first_seen.isoformat(), "last_seen": alert.last_seen.isoformat(),
        # The unacknowledged timer runs from when the system raised the alert
        # (its first audit event), not from the article's publication time.
        "detected_at": detected or alert.first_seen.isoformat(),
        "assignee": assignee,
        "notifications": len(alert.notifications),
        "review": review_view(review),
        "awaiting_review": bool(review and review.get("state") == "pending"),
        # The 应急事件 this alert belongs to (the 事件 badge), or None.
        "emergency": {"id": emergency["id"], "status": emergency["status"]} if emergency else None,
    }


def summaries(ports: Ports, alerts: list[Alert]) -> list[dict]:
    ids = [a.id for a in alerts]
    detected = ports.detected_at(ids)
    assigned = ports.casebook.assignments(ids)
    escalation = ports.escalation(ids)
    reviews = ports.reviews(ids)
    emergencies = ports.emergencies_of(ids)
    out = []
    for a in alerts:
        try:  # the representative document gives the source and risk types; the indexer may be behind
            doc = ports.get_doc(a.representative.id)
        except Exception:
            doc = None
        out.append(summary(ports, a, detected.get(a.id), assigned.get(a.id), escalation.get(a.id), doc,
                           reviews.get(a.id), emergencies.get(a.id)))
    return out


def sort_for_duty(items: list[dict]) -> list[dict]:
    """The duty room's order: escalated unacknowledged first, then unacknowledged, then the rest;
    within each, the most severe level, then the newest."""
    rank = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    items = sorted(items, key=lambda a: a["last_seen"], reverse=True)
    return sorted(items, key=lambda a: (0 if a["escalated"] else 1 if a["unacknowledged"] else 2,
                                        rank.get(a["level"], 9)))


def visible(ports: Ports, user: User, alerts: list[Alert]) -> list[Alert]:
    """The ``alerts`` ``user`` may see: its unit's (:func:`console.access.can_see`), and given the reviews
    (forward: review) a unit's lead does not see an alert the unit has not been told of because it is held
    for the association's review, or was closed before being forwarded (association first; and what a
    lead did on it would be taken for the duty officers' act). An alert the unit heard of before its
    review (raised to a reviewed level) stays."""
    alerts = [a for a in alerts if can_see(user, a)]
    if unit_scope(user) is None or not alerts:
        return alerts
    hidden = untold(ports, alerts)
    return [a for a in alerts if a.id not in hidden]


def untold(ports: Ports, alerts: list[Alert]) -> dict[str, str]:
    """Those of ``alerts`` their unit has not been told of because of the association's review, each with
    its review state: pending (held), resolved or dismissed (closed before being forwarded). A unit's lead
    sees none of them (:func:`visible`), nor does the unit's own report list them."""
    if not alerts:
        return {}
    reviews = ports.reviews([a.id for a in alerts])
    states = {a.id: (reviews.get(a.id) or {}).get("state", "forwarded") for a in alerts}
    return {i: state for i, state in states.items() if state != "forwarded" and not _unit_was_told(ports, i)}


def _unit_was_told(ports: Ports, alert_id: str) -> bool:
    """Whether a message to one of the unit's people (not the duty officers') about the alert went out."""
    for row in ports.outbox(alert_id):
        if row["state"] in ("accepted", "delivered") and \
                json.loads(row["payload"] or "{}").get("role") in UNIT_ROLES:
            return True
    return False


def feed(ports: Ports, user: User, limit: int = 200, status: str | None = None,
         level: str | None = None) -> list[dict]:
    alerts = visible(ports, user, ports.list_alerts(unit_id=unit_scope(user), limit=limit))
    if status == "review":
        items = [s for s in summaries(ports, alerts) if s["awaiting_review"]]
        return sort_for_duty([i for i in items if not level or i["level"] == level])
    if status == "open":
        alerts = [a for a in alerts if a.status not in (AlertStatus.resolved, AlertStatus.dismissed)]
    elif status:
        alerts = [a for a in alerts if a.status.value == status]
    if level:
        alerts = [a for a in alerts if a.level.value == level]
    return sort_for_duty(summaries(ports, alerts))


def visible_alert(ports: Ports, user: User, alert_id: str) -> Alert:
    alert = ports.get_alert(alert_id)
    if alert is None or not visible(ports, user, [alert]):
        raise NotFound(alert_id)
    return alert


def detail(ports: Ports, user: User, alert_id: str) -> dict:
    """Everything about one alert: timeline, documents, why negative, deliveries, handling."""
    alert = visible_alert(ports, user, alert_id)
    out = summaries(ports, [alert])[0]
    docs, missing = [], []
    for doc_id in ports.alert_doc_ids(alert_id)[:500]:
        doc = ports.get_doc(doc_id)
        if doc is None:
            missing.append(doc_id)  # routed but not (yet) indexed: the indexer may be behind
            continue
        docs.append(doc)
    docs.sort(key=lambda d: d.published_at or d.crawled_at)
    phrases: Counter[str] = Counter()
    model_sentences = 0
    documents: list[dict[str, Any]] = []
    for d in docs:
        unit = next((u for u in d.units if u.unit_id == alert.unit_id), None)
        reasons = [r for r in d.reasons if getattr(r, "unit_id", None) in (None, alert.unit_id)]
        own_reply = alert.unit_id in d.own_response_units  # the unit's own 回应/澄清 (router): no ground of the alert
        if not own_reply:  # the lexicon's words; the model's own finds are sentences, counted apart
            phrases.update(r.phrase for r in reasons if not r.by_model)
            model_sentences += sum(1 for r in reasons if r.by_model)
        documents.append({
            "own_reply": own_reply,
            "id": d.id, "title": d.title, "url": d.url, "site": d.site, "source_id": d.source_id,
            "source_name": ports.source_names.get(d.source_id, d.source_id), "channel": labels.channel(d.channel),
            "published_at": (d.published_at or d.crawled_at).isoformat(), "crawled_at": d.crawled_at.isoformat(),
            "negativity": round(d.unit_negativity.get(alert.unit_id, d.negativity), 3),
            "relevance": d.unit_relevance.get(alert.unit_id),
            "level": labels.level(d.unit_levels.get(alert.unit_id) or d.level),
            "aliases": list(unit.aliases) if unit else [],
            "rules": [r.rule_id for r in d.rules if r.unit_id in (None, alert.unit_id)],
            "reasons": [{"phrase": r.phrase, "sentence": r.sentence, "risk_type": r.risk_type,
                         "weight": round(r.weight, 3)} for r in reasons],
            "sentences": by_sentence(reasons),  # what the page shows: each sentence once, its terms marked
            "excerpt": d.text[:200],
        })
    card = card_for(alert, docs, ports.config.rules, datetime.fromisoformat(out["detected_at"]), ports.now(),
                    ports.source_names, ports.tz)
    out.update({
        "assessment": {**asdict(card), "deadline": card.deadline.isoformat(), "short": card.short(),
                       "similar": similar_cases(ports, alert, card.risk_type, {d.id for d in docs})},
        "assessment_notes": [n for n in ports.casebook.notes(alert_id) if n.get("kind") == "assess"],
        "documents": documents, "missing_docs": missing,
        "phrases": [{"phrase": p, "count": n} for p, n in phrases.most_common(20)],
        "model_sentences": model_sentences,
        "aliases": sorted({a for doc in documents for a in doc["aliases"]}),
        "notifications": [labels.notification(r) for r in ports.outbox(alert_id)],
        "trail": [labels.trail_event(t, ports.tz) for t in ports.audit_trail(alert_id)],
        "notes": ports.casebook.notes(alert_id),
        "actions": [{"action": a, "label": ACTION_LABELS[a]} for a in ACTIONS
                    if can_act(user, alert, a) and applies(alert, a) and offered(alert, a, out)],
        "emergency": _emergency(ports, alert_id),
        "assignees": assignees(ports, user, alert) if can_act(user, alert, "assign") else [],
    })
    return out


def _emergency(ports: Ports, alert_id: str) -> dict | None:
    """The alert's 应急事件, if it was raised to one (id, status, how it was opened)."""
    try:
        em = ports.emergency("of_alert", alert_id)
    except LookupError:  # no 事件 ledger in this console
        return None
    return {"id": em["id"], "status": em["status"], "trigger": em["trigger"]} if em else None


def act(ports: Ports, user: User, alert_id: str, action: str, *, text: str = "", assignee: str = "",
        via: str = "console") -> dict:
    """Do ``action`` on an alert as ``user``; returns the alert's new summary."""
    if action not in ACTIONS:
        raise Refused(f"未知操作 {action}")
    if action == "forward":
        return forward(ports, user, alert_id, notes=text, via=via)
    alert = visible_alert(ports, user, alert_id)
    if not can_act(user, alert, action):
        raise Denied(action)
    text = (text or "").strip()[:2000]
    now: datetime = ports.now()
    if action == "note":
        if not text:
            raise Refused("处置记录不能为空")
        ports.casebook.note(alert.id, alert.unit_id, "note", user.actor, now, text)
        ports.audit(alert.id, alert.unit_id, "console.note", actor=user.actor, via=via, note=text)
    elif action == "assess":
        if not text:
            raise Refused("研判意见不能为空")
        ports.casebook.note(alert.id, alert.unit_id, "assess", user.actor, now, text)
        ports.audit(alert.id, alert.unit_id, "console.assessment", actor=user.actor, via=via, note=text)
    elif action == "assign":
        chosen = pick_assignee(ports, user, alert, assignee)
        ports.casebook.assign(alert.id, alert.unit_id, chosen["label"], user.actor, now)
        ports.audit(alert.id, alert.unit_id, "console.assigned", actor=user.actor, via=via, assignee=chosen["label"],
                    assignee_id=chosen["key"])
    else:
        try:
            alert = ports.change_status(alert.id, STATUS_ACTIONS[action], actor=user.actor, via=via, note=text)
        except ValueError:
            raise Refused(f"当前状态「{labels.status(alert.status)}」下不能{ACTION_LABELS[action]}") from None
        if action == "false_alarm":
            _record_false_alarm(ports, alert, user, text, now)
            ports.audit(alert.id, alert.unit_id, "console.false_alarm", actor=user.actor, via=via, note=text)
        elif text:
            ports.casebook.note(alert.id, alert.unit_id, alert.status.value, user.actor, now, text)
    return summaries(ports, [ports.get_alert(alert.id) or alert])[0]


def forward(ports: Ports, user: User, alert_id: str, *, notes: str = "", advice: str = "",
            via: str = "console") -> dict:
    """复核并转发: a duty officer sends an alert held for review to its unit, with their 研判意见 (notes)
    and edited 研判建议 (advice); returns the alert's new summary. A second forward changes nothing."""
    alert = visible_alert(ports, user, alert_id)
    if not can_act(user, alert, "forward"):
        raise Denied("forward")
    try:
        ports.forward(alert.id, user.actor, via, (notes or "").strip()[:2000], (advice or "").strip()[:2000])
    except LookupError:
        raise Refused("此预警无需复核（已直接通知单位）") from None
    return summaries(ports, [ports.get_alert(alert.id) or alert])[0]


def assignees(ports: Ports, user: User, alert: Alert) -> list[dict]:
    """Whom ``user`` may assign ``alert`` to: [{"key", "label"}] — the association's duty officers and
    admins (console users; not for a lead), the unit's leads (console users) and the unit's contacts."""
    short = ports.unit_short.get(alert.unit_id, alert.unit_name)
    lead = unit_scope(user) is not None
    out = []
    for u in ports.users.list_users():
        if u.disabled:
            continue
        if (u.role == "lead" and u.unit_id == alert.unit_id) or (u.role in ("duty", "admin") and not lead):
            out.append({"key": f"user:{u.username}", "label": f"{u.display_name}（{u.role_label}）"})
    unit = ports.units.get(alert.unit_id)
    for c in unit.contacts if unit else []:
        out.append({"key": f"contact:{c.name}", "label": f"{c.name}（{short}联系人）"})
    return out


def pick_assignee(ports: Ports, user: User, alert: Alert, value: str) -> dict:
    """The person chosen for 指派 (by key, or by the label the list shows); anyone else is refused."""
    value = (value or "").strip()
    if not value:
        raise Refused("请选择处置人")
    for person in assignees(ports, user, alert):
        if value in (person["key"], person["label"]):
            return person
    raise Refused("请从列表中选择处置人（本单位联系人或控制台用户）")


def _record_false_alarm(ports: Ports, alert: Alert, user: User, reason: str, now: datetime) -> None:
    doc_ids = ports.alert_doc_ids(alert.id)
    phrases: set[str] = set()
    for doc_id in doc_ids[:100]:
        doc = ports.get_doc(doc_id)
        if doc is not None:
            phrases.update(r.phrase for r in doc.reasons if getattr(r, "unit_id", None) in (None, alert.unit_id))
    ports.casebook.false_alarm(alert_id=alert.id, unit_id=alert.unit_id, story_id=alert.story_id,
                               level=alert.level.value, negativity=alert.negativity, title=alert.representative.title,
                               doc_ids=doc_ids, phrases=sorted(phrases), reason=reason, by=user.actor, now=now)


class _LinkHolder:
    """Who acts through a signed link (no console account): the audit names them."""

    def __init__(self, actor: str) -> None:
        self.actor = actor


def link_context(ports: Ports, alert: Alert) -> dict:
    """What the ack page shows beside the alert: the article, its source, why it was
    flagged and the 研判 card's handling advice (the same card as the detail page)."""
    docs = [d for d in (ports.get_doc(i) for i in ports.alert_doc_ids(alert.id)[:100]) if d is not None]
    rep = next((d for d in docs if d.id == alert.representative.id), None) or ports.get_doc(alert.representative.id)
    reasons = [r for r in rep.reasons if getattr(r, "unit_id", None) in (None, alert.unit_id)] if rep else []
    raised = ports.detected_at([alert.id]).get(alert.id)
    card = card_for(alert, docs or ([rep] if rep else []), ports.config.rules,
                    datetime.fromisoformat(raised) if raised else alert.first_seen, ports.now(),
                    ports.source_names, ports.tz)
    return {
        "title": alert.representative.title, "url": alert.representative.url,
        "source": ports.source_names.get(rep.source_id, rep.site) if rep else alert.representative.site,
        "channel": labels.channel(alert.representative.channel),
        "published_at": (rep.published_at or rep.crawled_at) if rep else alert.first_seen,
        "excerpt": (rep.text[:300] + ("…" if len(rep.text) > 300 else "")) if rep else "",
        "reasons": [{"phrase": r.phrase, "risk_type": r.risk_type or "负面表述", "sentence": r.sentence}
                    for r in reasons[:5]],
        "sentences": by_sentence(reasons)[:5],
        # The unit's lead reads this page: why the level in words, not the level policy's values.
        "level_reason": plain_grounds(alert, list(dict.fromkeys(r.risk_type for r in reasons if r.risk_type))),
        "doc_count": alert.doc_count, "channels": [labels.channel(c) for c in alert.channels],
        "unit_short": ports.unit_short.get(alert.unit_id, alert.unit_name),
        "card": card,
        # What was done so far (the lead's records from this link, the unit's and duty officers' in the console):
        # a lead adding a record at night sees it kept, and what the others did.
        "notes": [n for n in ports.casebook.notes(alert.id) if n.get("kind") == "note"],
    }


LINK_ACTIONS = {"handling": "开始处置", "note": "添加处置记录", "not_ours": "不属于本单位"}


def act_by_link(ports: Ports, alert: Alert, actor: str, action: str, text: str, *, via: str) -> Alert:
    """开始处置 / 添加处置记录 / 不属于本单位 by the holder of the alert's signed link
    (the link scopes it to this one alert; the audit names the holder and the way)."""
    if action not in LINK_ACTIONS:
        raise Refused(f"未知操作 {action}")
    text = (text or "").strip()[:2000]
    now = ports.now()
    if action == "note":
        if not text:
            raise Refused("处置记录不能为空")
        ports.casebook.note(alert.id, alert.unit_id, "note", actor, now, text)
        ports.audit(alert.id, alert.unit_id, "console.note", actor=actor, via=via, note=text)
        return alert
    if action == "not_ours" and not text:
        raise Refused("请填写不属于本单位的原因（例如：同名机构、与本单位无关），用于改进监测")
    target = AlertStatus.handling if action == "handling" else AlertStatus.dismissed
    try:
        alert = ports.change_status(alert.id, target, actor=actor, via=via, note=text)
    except ValueError:
        raise Refused(f"当前状态「{labels.status(alert.status)}」下不能{LINK_ACTIONS[action]}") from None
    if action == "not_ours":
        _record_false_alarm(ports, alert, _LinkHolder(actor), f"不属于本单位：{text}", now)  # type: ignore[arg-type]
        ports.audit(alert.id, alert.unit_id, "console.false_alarm", actor=actor, via=via, note=text)
    return alert
