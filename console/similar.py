"""Similar past stories for the 研判 card: how earlier cases of this unit and risk type were handled.

Found through the index port (``Index.search``): the unit's negative documents
published before this alert's first report, newest first; a story counts when
one of its documents was negative about this unit for the card's risk type
(the index has no risk-type field, so that part is read from each hit's
reasons). Each story's alert, if it had one, gives how it was handled: its
status, when it was acknowledged and resolved (minutes from when the system
raised it, from the audit trail), who acknowledged it, and the handling notes
(处置记录) from the casebook. When the unit has no earlier story of that risk
type, its earlier alerts of any risk type are shown instead (``match``
says which).
"""
from __future__ import annotations

from datetime import datetime

from console import labels
from console.ports import Ports
from contracts.messages import Alert, Level, ScoredDocument
from pipeline.index import SearchQuery

LIMIT = 5
SCAN = 200  # documents of the unit read from the index, newest first
NOTE_KINDS = ("note", "acknowledged", "handling", "resolved", "assess")


def similar_cases(ports: Ports, alert: Alert, risk_type: str, exclude_docs: set[str]) -> list[dict]:
    """Up to ``LIMIT`` earlier stories of the unit, same risk type first, with how each was handled."""
    try:
        hits = ports.search(SearchQuery(units=[alert.unit_id], levels=list(Level), end=alert.first_seen,
                                        sort="time_desc", limit=SCAN)).hits
    except Exception:  # the index is down or behind: the card still shows, without this part
        hits = []
    stories: dict[str, list[ScoredDocument]] = {}
    for hit in hits:
        doc = hit.doc
        if doc.id in exclude_docs or doc.story_id == alert.story_id:
            continue
        risks = {r.risk_type for r in doc.reasons if getattr(r, "unit_id", None) in (None, alert.unit_id)}
        if risk_type in risks:
            stories.setdefault(doc.story_id, []).append(doc)
    out = []
    for story_id, docs in list(stories.items())[:LIMIT]:
        past = ports.get_alert(Alert.id_for(story_id, alert.unit_id))
        if past is not None and past.id == alert.id:
            continue
        out.append(_case(ports, past, docs, "同类"))
    if not out:  # nothing of this risk type: the unit's earlier alerts of any kind
        earlier = [a for a in ports.list_alerts(unit_id=alert.unit_id, limit=50)
                   if a.id != alert.id and a.first_seen < alert.first_seen][:3]
        out = [_case(ports, a, [], "同单位") for a in earlier]
    return out


def _case(ports: Ports, past: Alert | None, docs: list[ScoredDocument], match: str) -> dict:
    first = min((d.published_at or d.crawled_at for d in docs), default=None)
    case: dict = {"match": match, "title": docs[0].title if docs else "", "first_seen": first.isoformat() if first
                  else None, "documents": len(docs), "id": None, "alerted": past is not None}
    if past is None:
        case["status_label"] = "未形成预警"
        return case
    trail = ports.audit_trail(past.id)
    raised = _at(trail[0]["at"]) if trail else past.first_seen
    ack = next((t for t in trail if t["event"] == "status.acknowledged"), None)
    resolved = next((t for t in trail if t["event"] == "status.resolved"), None)
    notes = [n for n in ports.casebook.notes(past.id) if n.get("kind") in NOTE_KINDS and n.get("text")]
    case.update({
        "id": past.id, "title": past.representative.title, "first_seen": past.first_seen.isoformat(),
        "documents": past.doc_count, "level_label": labels.level(past.level), "status": past.status.value,
        "status_label": labels.status(past.status),
        "ack_minutes": _minutes(raised, ack), "acknowledged_by": ack.get("actor") if ack else None,
        "resolve_minutes": _minutes(raised, resolved),
        "notes": [{"author": n["author"], "at": n["at"], "text": n["text"]} for n in notes[-3:]],
    })
    return case


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _minutes(raised: datetime, event: dict | None) -> int | None:
    return round((_at(event["at"]) - raised).total_seconds() / 60) if event else None
