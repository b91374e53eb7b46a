"""研判 cards for alerts: playbooks from rules.yaml and the facts an alert has
(sentiment/assess.py is the pure logic). Used by the router (the short form
in the first e-mail and robot card) and the console (the full card)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerting.templates import post_author
from contracts.messages import CHANNEL_LABELS, Alert, ScoredDocument
from pipeline.config import Rules
from sentiment.assess import Card, Playbook, build_card, main_risk, playbook_for, short_form
from sentiment.spread import AUTHORITY_LABELS


def playbooks_of(rules: Rules) -> dict[str, dict[str, Playbook]]:
    return {risk: {level: Playbook(e.deadline / 3600, tuple(e.steps), e.statement) for level, e in book.items()}
            for risk, book in rules.playbooks.items()}


def carriers(docs: Sequence[ScoredDocument], source_names: dict[str, str] | None = None) -> list[str]:
    """The most authoritative carriers first: 主流媒体·site, then the other sources."""
    names = source_names or {}
    rank = list(AUTHORITY_LABELS)
    ordered = sorted(docs, key=lambda d: rank.index(d.authority) if d.authority in rank else len(rank))
    out = []
    for d in ordered:
        who = post_author(d) or names.get(d.source_id) or d.site
        out.append(f"{AUTHORITY_LABELS[d.authority]}·{who}" if d.authority in AUTHORITY_LABELS else who)
    return list(dict.fromkeys(out))[:6]


def card_for(alert: Alert, docs: Sequence[ScoredDocument], rules: Rules, raised_at: datetime, now: datetime,
             source_names: dict[str, str] | None = None, tz=None) -> Card:
    # The unit's own reply joined to the alert (router) is no report of the complaint: not its carrier, stage or
    # trend (a 情况说明 in 吉林日报 made the story 主流媒体-carried).
    docs = [d for d in docs if alert.unit_id not in d.own_response_units] or docs
    times = [d.published_at or d.crawled_at for d in docs] or [alert.first_seen]
    risks = [r.risk_type for d in docs for r in d.reasons
             if getattr(r, "unit_id", None) in (None, alert.unit_id) and r.risk_type]
    first = min(times)
    # The 回应口径 names where the story appeared as readers know it (吉林新闻网), not its web host.
    rep = next((d for d in docs if d.id == alert.representative.id), None)
    site = (source_names or {}).get(rep.source_id, "") if rep else ""
    facts = {"unit": alert.unit_name, "title": alert.representative.title, "site": site or alert.representative.site,
             "date": f"{first.astimezone(tz) if tz else first:%m月%d日}", "event": event_of(alert, docs, risks)}
    return build_card(risks=risks, level=alert.level.value, times=times,
                      channels=[CHANNEL_LABELS.get(c, str(c)) for c in alert.channels],
                      carriers=carriers(docs, source_names), raised_at=raised_at, now=now, facts=facts,
                      playbooks=playbooks_of(rules))


EVENT_PHRASES = 3  # what happened, in the 回应口径's {event}: the lexicon's words, this many at most
_NO_RISK = "相关问题"  # the {event} of an alert with no risk type (not 负面舆情: the unit's own statement names it)


def event_of(alert: Alert, docs: Sequence[ScoredDocument], risks: Sequence[str]) -> str:
    """The 回应口径's {event}: the unit, the risk type and what happened (the lexicon phrases the reports share,
    most frequent first) — 中国人寿吉林省分公司理赔纠纷（拖延理赔、拒赔） — not a netizen's headline."""
    phrases = event_phrases(alert, docs)
    what = f"（{'、'.join(phrases)}）" if phrases else ""
    return f"{alert.unit_name}{main_risk(risks) if risks else _NO_RISK}{what}"


def event_phrases(alert: Alert, docs: Sequence[ScoredDocument]) -> list[str]:
    """What happened to the alert's unit, in the lexicon's words the reports share (拖延理赔、拒赔), most frequent
    first (stable: first found first on a tie), at most EVENT_PHRASES; the model's own judgements name nothing."""
    counted: dict[str, int] = {}
    for d in docs:
        for r in d.reasons:
            if not r.by_model and getattr(r, "unit_id", None) in (None, alert.unit_id) and r.phrase:
                counted[r.phrase] = counted.get(r.phrase, 0) + 1
    return sorted(counted, key=lambda p: -counted[p])[:EVENT_PHRASES]


def brief_card(card: Card) -> dict:
    """The card as an alert's brief keeps it for its messages (every step: a lead reading the e-mail on a
    phone has no console at hand)."""
    return {"head": card.head(), "risk": card.risk_type,
            "hours": card.deadline_hours, "steps": list(card.steps)}


def at_level(brief: dict, rules: Rules, level: str) -> None:
    """The brief's card and short form with the playbook of the alert's new ``level`` (a raise to red asks
    for the red steps and deadline: 主要负责人牵头, 4 小时, not the orange card's 24); its risk type, stage
    and trend stay as first judged. A brief kept before cards named their risk type is left as it is."""
    card = brief.get("card") or {}
    book = playbook_for(playbooks_of(rules), card["risk"], level) if card.get("risk") else None
    if book is None:
        return
    card.update(hours=book.deadline_hours, steps=list(book.steps))
    brief["assessment"] = short_form(card["head"], book.steps, book.deadline_hours)
