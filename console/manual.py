"""人工预警 and the tuning feedback (漏报 beside 误报).

A duty officer or analyst who finds a report the scorer missed — a search
hit, or a pasted link — raises an alert for a unit by hand. The document is
routed exactly as the route role routes a scored document (the router
opens the (story, unit) alert, plans the notifications by the unit's level
routing, queues them in the outbox and audits), only with the level and the
reason the person gave. An alert it joins that had been marked 误报 is reopened and notified as
a hand-raised alert should be (``alerting.reopening``). The document is recorded as a missed detection
(漏报) in the casebook, beside the false alarms (误报), and
``feedback_records`` gives both as one labelled list for the scorer's next
tuning (``yuqing feedback export``, the console's download).

A pasted link the crawlers have not collected needs its title and text
pasted too: the console never fetches arbitrary addresses itself (that would
let any console user make the server request internal URLs).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from console.access import can
from console.casebook import Casebook
from console.ports import Ports
from console.security import Denied, Refused
from console.users import User
from contracts.messages import Channel, Document, Level, ScoredDocument

MANUAL_SOURCE = "manual"  # source_id of a pasted document
TEXT_MAX = 20_000


def find_document(ports: Ports, doc_id: str = "", url: str = "") -> ScoredDocument | None:
    """A collected document by its id, or by its link (ids are hashes of the canonical URL)."""
    if doc_id:
        return ports.get_doc(doc_id.strip())
    if url:
        return ports.get_doc(Document.id_for(url.strip()))
    return None


def raise_alert(ports: Ports, user: User, *, unit_id: str, level: str, note: str, doc_id: str = "", url: str = "",
                title: str = "", text: str = "", channel: str = "news", via: str = "console") -> dict:
    """Raise an alert for ``unit_id`` on a document by hand; returns {"alert_id", "decision", "queued", "doc_id"}."""
    if not can(user, "alerts.raise"):
        raise Denied("alerts.raise")
    unit = ports.units.get(unit_id)
    if unit is None:
        raise Refused("请选择会员单位")
    try:
        lv = Level(level)
    except ValueError:
        raise Refused("请选择预警等级") from None
    note = (note or "").strip()[:500]
    if not note:
        raise Refused("请填写预警说明（为何需要预警、系统为何漏报）")
    doc = find_document(ports, doc_id, url)
    if doc is None:
        doc = _pasted(ports, url, title, text, channel)
    by = user.actor
    reason = f"人工预警（{user.display_name or user.username}）：{note}"
    manual = doc.model_copy(update={
        "unit_levels": {unit_id: lv},
        "unit_level_reasons": {unit_id: reason},
        "level": lv if doc.level is None or lv.rank < doc.level.rank else doc.level,
    })
    [routed] = ports.route(manual)
    alert_id = routed["alert_id"]
    # The alert it joined may be a 误报 (the router notifies nobody then): raising it by hand says the
    # dismissal was wrong, so it is reopened and notified as a hand-raised alert (alerting/reopening.py).
    reopened = ports.reopen(alert_id, actor=by, via=via, reason=reason, level=lv.value)
    if reopened["decision"] != "NOT_DISMISSED":
        routed = {**routed, "decision": reopened["decision"], "queued": len(reopened["queued"])}
    elif routed["decision"] == "ALREADY_RECORDED":
        raise Refused(f"该报道已在本单位的预警中（预警 {routed['alert_id']}），无需重复预警")
    now: datetime = ports.now()
    ports.audit(alert_id, unit_id, "console.manual", actor=by, via=via, level=lv.value, note=note,
                doc_id=doc.id, url=doc.url)
    ports.casebook.missed(alert_id=alert_id, doc_id=doc.id, unit_id=unit_id, level=lv.value, title=doc.title,
                          url=doc.url, text=doc.text[:TEXT_MAX], reason=note, by=by, now=now)
    return {**routed, "doc_id": doc.id}


def _pasted(ports: Ports, url: str, title: str, text: str, channel: str) -> ScoredDocument:
    url, title, text = (url or "").strip(), (title or "").strip()[:300], (text or "").strip()[:TEXT_MAX]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("请从检索结果选择报道，或粘贴以 http:// 或 https:// 开头的原文链接")
    if not title or not text:
        raise Refused("该链接尚未被采集：请一并粘贴报道标题和正文")
    try:
        ch = Channel(channel)
    except ValueError:
        raise Refused("请选择报道渠道") from None
    now = ports.now()
    raw = Document.create(url=url, source_id=MANUAL_SOURCE, channel=ch, site=parts.hostname, title=title, text=text,
                          crawled_at=now, source_name="人工录入")
    return ports.ingest(raw)


# ---------------------------------------------------------------- tuning feedback

def feedback_records(casebook: Casebook, get_doc: Callable[[str], ScoredDocument | None],
                     unit_names: dict[str, str], since: datetime | None = None) -> Iterator[dict]:
    """漏报 and 误报 as one labelled list, one record per document: doc id, title, text, unit,
    label, who, when, reason (and the alert and level they came with)."""
    rows = [("漏报", r) for r in casebook.missed_detections(since)] + \
           [("误报", r) for r in casebook.false_alarms(since)]
    rows.sort(key=lambda lr: lr[1]["at"])
    for label, r in rows:
        if label == "漏报":
            yield _record(label, r, r["doc_id"], r["title"], r["text"], r["url"], r["raised_by"], unit_names)
            continue
        for doc_id in r["doc_ids"] or [None]:
            doc = get_doc(doc_id) if doc_id else None
            yield _record(label, r, doc_id, doc.title if doc else r["title"], doc.text if doc else "",
                          doc.url if doc else "", r["marked_by"], unit_names)


def _record(label: str, r: dict, doc_id, title: str, text: str, url: str, who: str, unit_names: dict) -> dict:
    return {"doc_id": doc_id, "title": title, "text": text, "url": url, "unit": r["unit_id"],
            "unit_name": unit_names.get(r["unit_id"], r["unit_id"]), "label": label, "who": who, "when": r["at"],
            "reason": r["reason"], "alert_id": r["alert_id"], "level": r["level"]}
