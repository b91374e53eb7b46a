"""应急响应 (事件) as the console shows them, and what people do with them (pages and API alike).

Visibility follows the 事件's alert (a lead sees only its unit's; anything
else is NotFound). Changes go through ``Ports.emergency`` (the alerting
desk, ``console.ports.EmergencyLedger``), which audits them on the alert,
so the live feed and the timeline see them. The 复盘 report (after closing)
and the 专报 (any time) are built here as plain dicts and rendered by
``console.emergency_docs`` as HTML and .docx.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from alerting.assessment import card_for
from console import alert_service, labels
from console.access import can, unit_scope
from console.ports import Ports
from console.security import Denied, NotFound, Refused
from console.users import User
from contracts.messages import Alert, ScoredDocument
from sentiment.emergency import person_name, progress

STATUS = {"open": "处置中", "closed": "已关闭"}
ACTIONS = {"tick": "emergency.act", "untick": "emergency.act", "note": "emergency.act", "person": "emergency.act",
           "remove_person": "emergency.act", "bulletin": "emergency.open", "close": "emergency.open"}
ACTION_LABELS = {"tick": "完成", "untick": "取消完成", "note": "添加记录", "person": "增加责任人",
                 "remove_person": "移除责任人", "bulletin": "安排立即发送续报", "close": "关闭事件"}


def bulletin_hours(ports: Ports) -> str:
    """How often 续报 go out, in hours as people write it: 4, 0.5, 1.25 (not 4.0)."""
    return f"{round(ports.config.rules.emergency.bulletin_every / 3600, 2):g}"


def _call(ports: Ports, method: str, *args, **kwargs):
    try:
        return ports.emergency(method, *args, **kwargs)
    except KeyError as e:
        raise NotFound(str(e)) from None
    except LookupError as e:  # no ledger here
        raise Refused(str(e)) from None
    except ValueError as e:  # refused by the 事件's state (closed, unknown item …); the message is Chinese
        raise Refused(str(e)) from None


def _visible(ports: Ports, user: User, emergency_id: str) -> tuple[dict, Alert]:
    if not can(user, "emergency.read"):
        raise Denied("emergency.read")
    em = _call(ports, "get", emergency_id)
    alert = ports.get_alert(em["alert_id"]) if em else None
    if em is None or alert is None or not alert_service.visible(ports, user, [alert]):
        raise NotFound(emergency_id)  # a lead sees a 事件 once its unit has been told of the alert
    return em, alert


def summary(em: dict, alert: Alert | None = None) -> dict:
    done, total = progress(em["checklist"])
    return {"id": em["id"], "alert_id": em["alert_id"], "unit_id": em["unit_id"], "unit_name": em["unit_name"],
            "unit_short": em.get("unit_short") or em["unit_name"], "title": em["title"],
            "level": (alert.level.value if alert else em["level"]),
            "level_label": labels.level(alert.level if alert else em["level"]),
            "risk_type": em["risk_type"], "status": em["status"], "status_label": STATUS.get(em["status"], em["status"]),
            "trigger": em["trigger"], "opened_at": em["opened_at"], "opened_by": person_name(em["opened_by"]),
            "closed_at": em.get("closed_at"), "closed_by": person_name(em.get("closed_by") or ""), "done": done, "total": total,
            "bulletins": len(em.get("bulletins", [])), "doc_count": alert.doc_count if alert else None}


def listing(ports: Ports, user: User, status: str | None = None) -> list[dict]:
    if not can(user, "emergency.read"):
        raise Denied("emergency.read")
    found = [(em, ports.get_alert(em["alert_id"])) for em in _call(ports, "find", status or None, unit_scope(user))]
    shown = {a.id for a in alert_service.visible(ports, user, [a for _, a in found if a is not None])}
    out = [summary(em, alert) for em, alert in found if alert is not None and alert.id in shown]
    out.sort(key=lambda e: e["opened_at"], reverse=True)  # newest first …
    return sorted(out, key=lambda e: e["status"] != "open")  # … open ones before closed ones


def _docs(ports: Ports, alert: Alert) -> list[ScoredDocument]:
    docs = []
    for doc_id in ports.alert_doc_ids(alert.id)[:500]:
        doc = ports.get_doc(doc_id)
        if doc is not None:
            docs.append(doc)
    return sorted(docs, key=lambda d: d.published_at or d.crawled_at)


def detail(ports: Ports, user: User, emergency_id: str) -> dict:
    """The 事件 page: summary, people, checklist, 续报 history, timeline, documents, actions."""
    em, alert = _visible(ports, user, emergency_id)
    docs = _docs(ports, alert)
    titles = {d.id: d.title for d in docs}
    timeline = [{**t, "title": titles.get(t.get("doc_id") or "")} for t in _call(ports, "timeline", em)]
    out = summary(em, alert)
    acts = [a for a, perm in ACTIONS.items() if can(user, perm)] if em["status"] == "open" else []
    out.update({
        "reason": em.get("reason"), "people": em["people"], "checklist": em["checklist"],
        "bulletin_history": _call(ports, "bulletins", em), "timeline": timeline,
        "summary_text": em.get("summary", ""), "lessons": em.get("lessons", ""),
        "spread": _spread(alert, docs), "documents": [_doc(d) for d in docs],
        "actions": acts, "deadline_hours": em.get("deadline_hours"),
        "every_hours": bulletin_hours(ports),
        # people to pick from: console users and the unit's contacts (any other name may be typed)
        "candidates": sorted({u.display_name for u in ports.users.list_users() if u.display_name}
                             | {c.name for c in (ports.units[alert.unit_id].contacts if alert.unit_id in ports.units
                                                 else [])}),
    })
    return out


def _doc(d: ScoredDocument) -> dict:
    return {"id": d.id, "title": d.title, "url": d.url, "site": d.site, "channel": labels.channel(d.channel),
            "published_at": (d.published_at or d.crawled_at).isoformat()}


def _spread(alert: Alert, docs: list[ScoredDocument]) -> dict:
    by_channel: dict[str, int] = {}
    for d in docs:
        by_channel[labels.channel(d.channel)] = by_channel.get(labels.channel(d.channel), 0) + 1
    return {"documents": alert.doc_count, "sites": len(alert.sites), "site_list": list(alert.sites),
            "channels": [labels.channel(c) for c in alert.channels], "by_channel": sorted(by_channel.items()),
            "first_seen": alert.first_seen.isoformat(), "last_seen": alert.last_seen.isoformat(),
            "level_label": labels.level(alert.level), "level_reason": alert.level_reason}


def open_from_alert(ports: Ports, user: User, alert_id: str, *, reason: str = "", via: str = "console") -> dict:
    """升级为事件: raise the alert to an 事件 (the one it has, if any)."""
    if not can(user, "emergency.open"):
        raise Denied("emergency.open")
    alert_service.visible_alert(ports, user, alert_id)
    return _call(ports, "open", alert_id, actor=user.actor, via=via, reason=(reason or "").strip()[:500])


def act(ports: Ports, user: User, emergency_id: str, action: str, *, item: str = "", text: str = "",
        name: str = "", role: str = "", phone: str = "", email: str = "", lessons: str = "",
        via: str = "console") -> dict:
    if action not in ACTIONS:
        raise Refused(f"未知操作 {action}")
    _visible(ports, user, emergency_id)
    if not can(user, ACTIONS[action]):
        raise Denied(action)
    who = {"actor": user.actor, "via": via}
    if action in ("tick", "untick"):
        em = _call(ports, "tick", emergency_id, item, action == "tick", **who)
    elif action == "note":
        em = _call(ports, "note", emergency_id, text, **who)
    elif action in ("person", "remove_person"):
        em = _call(ports, "person", emergency_id, name=name, role=role, phone=phone, email=email,
                   remove=action == "remove_person", **who)
    elif action == "bulletin":
        em = _call(ports, "bulletin_now", emergency_id, **who)
    else:
        em = _call(ports, "close", emergency_id, summary=text, lessons=lessons, **who)
    return summary(em, ports.get_alert(em["alert_id"]))


# ---------------------------------------------------------------- 复盘 and 专报 (data for console.emergency_docs)

def _duration(start: str, end: str | None) -> str:
    if not end:
        return "—"
    return labels.duration((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def review(ports: Ports, user: User, emergency_id: str) -> dict:
    """复盘 report: 事件概述, 时间线, 传播情况, 处置过程, 经验与改进 (times in local time)."""
    d = detail(ports, user, emergency_id)
    tz = ports.tz
    acks = [t for t in d["timeline"] if t["event"] == "status.acknowledged"]
    first_ack = acks[0]["at"] if acks else None
    done, total = d["done"], d["total"]
    overview = (f"{labels.local(d['opened_at'], '%Y年%m月%d日%H:%M', tz)}，{d['unit_name']}“{d['title']}”"
                f"（{d['risk_type']}，{d['level_label']}预警）启动应急响应（{d['trigger']}）。"
                f"截至{'关闭' if d['status'] == 'closed' else '目前'}，共监测到相关报道{d['spread']['documents']}篇，"
                f"涉及{d['spread']['sites']}个站点、{len(d['spread']['channels'])}类渠道；处置清单完成{done}/{total}项，"
                f"发送续报{d['bulletins']}期。")
    return {
        "kind": "review", "title": "舆情事件复盘报告", "association": ports.config.members.association.name,
        "event": d, "overview": overview, "summary_text": d["summary_text"] or "（未填写）",
        "lessons": d["lessons"] or "（待填写：本次处置中做得好的与需改进的环节）",
        "opened": labels.local(d["opened_at"], tz=tz), "closed": labels.local(d["closed_at"], tz=tz),
        "duration": _duration(d["opened_at"], d["closed_at"]),
        "first_ack": labels.local(first_ack, tz=tz) if first_ack else "未确认",
        "timeline": [(labels.local(t["at"], "%m-%d %H:%M", tz), t["text"] + (f"《{t['title']}》" if t.get("title")
                                                                             else "")) for t in d["timeline"]],
        "documents": [(labels.local(x["published_at"], "%m-%d %H:%M", tz), x["site"], x["channel"], x["title"])
                      for x in d["documents"]],
        "checklist": [("☑" if i["done"] else "☐", i["text"], i.get("by") or "—",
                       labels.local(i["at"], "%m-%d %H:%M", tz) if i.get("at") else "—") for i in d["checklist"]],
        "people": [(p["name"], p["role"], p.get("phone") or "", p.get("email") or "") for p in d["people"]],
        "bulletins": [(b["number"], labels.local(b["at"], "%m-%d %H:%M", tz), len(b["recipients"]), b["summary"])
                      for b in d["bulletin_history"]],
        "generated_at": labels.local(ports.now(), tz=tz),
    }


def special(ports: Ports, user: User, emergency_id: str) -> dict:
    """专报 on one 事件 (on demand, open or closed): 概况, 传播, 研判, 处置进展, 下一步建议."""
    data = review(ports, user, emergency_id)
    d = data["event"]
    alert = ports.get_alert(d["alert_id"])
    assert alert is not None  # visible above
    docs = _docs(ports, alert)
    detected = ports.detected_at([alert.id]).get(alert.id)
    card = card_for(alert, docs, ports.config.rules, datetime.fromisoformat(detected) if detected else alert.first_seen,
                    ports.now(), ports.source_names, ports.tz)
    pending = [i["text"] for i in d["checklist"] if not i["done"]]
    data.update({"kind": "special", "title": "舆情专报", "card": {**asdict(card), "deadline": labels.local(
        card.deadline, tz=ports.tz)}, "next_steps": pending or ["持续跟踪舆情走势，适时发布处置结果"]})
    return data
