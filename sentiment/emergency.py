"""应急响应 (an alert raised to an 事件): the checklist, its progress and the 续报 text (pure; no I/O).

* checklist — the playbook's steps for the risk type × level (sentiment/assess.py
  ``playbook_for``), then the closing steps from rules.yaml ``emergency``;
  each item is ticked by someone at a time;
* 续报 (follow-up bulletin) — current spread figures, what is new since the
  previous 续报 (documents, sites, channels, what people did), checklist
  progress; Chinese, as the unit and the association's leaders read it;
* what happened, as a line of the timeline, from an audit event.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sentiment.spread import AUTHORITY_LABELS


def person_name(actor: str) -> str:
    """An audit actor ("值班员王宁 <console:duty>", "孙伟 <139…>") as people read it: the name."""
    return actor.split(" <", 1)[0].strip()


def checklist(steps: Iterable[str], closing: Iterable[str]) -> list[dict]:
    """Checklist items (id, text, source, done, by, at): playbook steps first, then the closing steps."""
    items = [("playbook", s) for s in steps] + [("closing", s) for s in closing]
    out: list[dict] = []
    seen: set[str] = set()
    for source, text in items:
        if text in seen:
            continue
        seen.add(text)
        out.append({"id": f"c{len(out) + 1}", "text": text, "source": source, "done": False, "by": None,
                    "at": None})
    return out


def progress(items: Sequence[Mapping]) -> tuple[int, int]:
    """(items done, items in all)."""
    return sum(1 for i in items if i.get("done")), len(items)


@dataclass(frozen=True)
class Spread:
    """The alert's spread as the store has it when a 续报 is written."""

    level_label: str
    documents: int
    channels: Sequence[str]
    sites: Sequence[str]
    engagement: int = 0
    authority: str = ""  # the most authoritative carrier class so far
    mainstream: bool = False


@dataclass(frozen=True)
class Since:
    """What changed since the previous 续报 (or since the 事件 opened)."""

    documents: int = 0
    sites: Sequence[str] = ()
    channels: Sequence[str] = ()
    events: Sequence[str] = ()  # timeline lines (``timeline_line``)


@dataclass(frozen=True)
class Bulletin:
    subject: str
    body: str
    summary: str  # one line, for the audit and the console
    facts: dict = field(default_factory=dict)


def _local(at: datetime | str, tz: tzinfo | None, fmt: str = "%m-%d %H:%M") -> str:
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return (value.astimezone(tz) if tz else value).strftime(fmt)


def bulletin(*, number: int, unit: str, unit_short: str, title: str, opened_at: datetime, now: datetime,
             spread: Spread, since: Since, items: Sequence[Mapping], people: Sequence[str], link: str,
             tz: tzinfo | None = None, greeting: str = "") -> Bulletin:
    """The text of 续报 number ``number`` of an 事件."""
    done, total = progress(items)
    carrier = AUTHORITY_LABELS.get(spread.authority, "一般来源")
    lines = [f"{greeting}：" if greeting else "", f"【舆情事件续报 第{number}期】{unit}",
             f"事件：{title}", f"启动时间：{_local(opened_at, tz)}　本期时间：{_local(now, tz)}", "",
             "一、传播情况",
             f"　报道{spread.documents}篇（较上期新增{since.documents}篇），渠道：{'、'.join(spread.channels) or '—'}，"
             f"站点{len(spread.sites)}个；互动量{spread.engagement}；最高传播主体：{carrier}；"
             f"主流媒体{'已' if spread.mainstream or spread.authority in ('mainstream', 'central_media', 'regulator') else '未'}转载；"
             f"当前预警等级：{spread.level_label}。", "", "二、新动态（自上期以来）"]
    news = []
    if since.sites:
        news.append(f"新增站点：{'、'.join(since.sites)}")
    if since.channels:
        news.append(f"扩散至新渠道：{'、'.join(since.channels)}")
    news += list(since.events)
    lines += [f"　{i}. {n}" for i, n in enumerate(news, 1)] or ["　本期无新增报道和处置动态。"]
    lines += ["", "三、处置进展", f"　处置清单已完成{done}/{total}项。"]
    lines += [f"　{'☑' if i.get('done') else '☐'} {i['text']}" for i in items]
    if people:
        lines.append(f"　责任人：{'、'.join(people)}")
    lines += ["", f"详情：{link}", "", "（本续报由舆情监测平台按应急响应设置定时发送，事件关闭后停止。）"]
    body = "\n".join(line for line in lines if line is not None).lstrip("\n")
    subject = f"【续报{number}】{unit_short}：{title[:30]}（{spread.level_label}，清单{done}/{total}）"
    summary = (f"续报第{number}期：报道{spread.documents}篇，新增{since.documents}篇，"
               f"新动态{len(news)}条，清单{done}/{total}")
    return Bulletin(subject, body, summary, {"documents": spread.documents, "new_documents": since.documents,
                                             "news": len(news), "done": done, "total": total})


# Audit events as the 事件 timeline tells them ({actor} … in Chinese). Events not listed are left out.
TIMELINE = {
    "detected": "系统发现：{site}",
    "joined_event": "同一事件的其他报道并入",
    "routed": "{decision_label}",
    "notification.accepted": "已发送{channel_label}：{who}",
    "notification.delivered": "已送达{channel_label}：{who}",
    "notification.failed": "发送失败{channel_label}：{who}",
    "escalated": "升级通知第{step}级",
    "status.acknowledged": "{actor}确认收到",
    "status.handling": "{actor}开始处置",
    "status.resolved": "{actor}处置完毕",
    "status.dismissed": "{actor}标记误报",
    "console.note": "{actor}处置记录：{note}",
    "console.assessment": "{actor}保存研判意见",
    "console.assigned": "{actor}指派{assignee}",
    "emergency.opened": "启动应急响应（{trigger}）{by}",
    "emergency.checklist": "{actor}{verb}：{item}",
    "emergency.note": "{actor}记录：{note}",
    "emergency.people": "{actor}{verb}责任人：{person}",
    "emergency.bulletin": "发送续报第{number}期（{recipients}人）",
    "emergency.bulletin_requested": "{actor}要求立即发送续报",
    "emergency.closed": "{actor}关闭事件",
}
DECISIONS = {"FIRST": "首次通知", "LEVEL_RAISED": "等级上升，再次通知", "MAINSTREAM_PICKUP": "主流媒体转载，再次通知",
             "NEW_CHANNEL": "扩散至新渠道，再次通知", "VOLUME_SPIKE": "报道激增，再次通知",
             "NEW_DOC_IN_STORY": "新增报道", "REPEAT_DUE": "持续传播，再次通知"}
CHANNELS = {"sms": "短信", "email": "邮件", "dingtalk": "钉钉", "wecom": "企业微信"}


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return ""


def timeline_line(event: str, detail: Mapping) -> str | None:
    """One audit event as a line of the 事件 timeline (None: not shown)."""
    template = TIMELINE.get(event)
    if template is None:
        return None
    facts = _Keep({k: v for k, v in detail.items() if v is not None})
    facts["actor"] = person_name(str(detail.get("actor") or ""))
    facts["decision_label"] = DECISIONS.get(str(detail.get("decision", "")), "")
    facts["channel_label"] = CHANNELS.get(str(detail.get("channel", "")), str(detail.get("channel", "")))
    facts["by"] = f"，{facts['actor']}" if detail.get("actor") not in (None, "", "system") else ""
    if event == "emergency.checklist":
        facts["verb"] = "完成" if detail.get("done") else "取消完成"
    if event == "emergency.people":
        facts["verb"] = "移除" if detail.get("removed") else "增加"
    if event == "routed" and not facts["decision_label"]:
        return None
    if isinstance(detail.get("recipients"), list):
        facts["recipients"] = str(len(detail["recipients"]))
    return template.format_map(facts)
