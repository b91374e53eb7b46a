"""Chinese labels for what the console shows, kept in one place.

Unknown values (a status, state or event added later by the alerting
engineer) are shown as they are rather than failing: additive changes must
not break the console.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from alerting.templates import NOTIFY_CHANNELS
from contracts.messages import CHANNEL_LABELS, LEVEL_LABELS, AlertStatus, Channel, Level

STATUS_LABELS = {"new": "新预警", "notified": "已通知", "acknowledged": "已确认", "handling": "处置中",
                 "resolved": "已处置", "dismissed": "误报/已排除"}
NOTIFY_STATES = {"pending": "待发送", "sending": "发送中", "accepted": "已提交", "delivered": "已送达",
                 "failed": "发送失败", "cancelled": "已取消", "held": "待复核后发送"}
NOTIFY_KINDS = {"alert": "预警", "update": "更新", "escalation": "升级", "fallback": "备用渠道", "notice": "通知",
                "ops": "运行告警", "bulletin": "事件续报", "review": "待复核提醒"}
EVENTS = {
    "detected": "系统发现", "joined_event": "并入同一事件", "routed": "路由决策", "suppressed": "不再通知", "notification.held": "消息暂缓",
    "notification.accepted": "消息已提交", "notification.delivered": "消息已送达",
    "notification.failed": "消息发送失败", "notification.pending": "消息待重试",
    "notification.cancelled": "消息已取消", "notification.deferred": "消息限流延后", "fallback": "改用备用渠道",
    "fallback.skipped": "未启用备用渠道", "delivery.unreached": "联系人未能送达", "escalated": "升级通知",
    "escalation.skipped": "跳过升级", "escalation.cancelled": "取消升级", "console.manual": "人工预警",
    "console.ack_person": "群内确认（本人）", "console.note": "处置记录", "console.assessment": "研判意见",
    "console.assigned": "指派", "console.false_alarm": "标记误报", "ops.routed": "运行告警",
    "emergency.opened": "启动应急响应", "emergency.checklist": "事件清单", "emergency.note": "事件记录",
    "emergency.people": "事件责任人", "emergency.bulletin": "事件续报", "emergency.closed": "关闭事件",
    "emergency.bulletin_requested": "立即续报",
    "review.held": "待复核（单位通知暂存）", "review.forwarded": "复核并转发单位", "review.forward.repeat": "重复转发（无变化）",
    "review.dismissed": "误报，未转发单位", "review.requeued": "重新待复核（单位通知再次暂存）",
    "review.acknowledged": "值班员已确认收到，待复核", "review.acknowledged.repeat": "重复确认（待复核）",
    "review.handling": "值班员开始处置，待复核", "review.handling.repeat": "重复开始处置（待复核）",
    "review.resolved": "协会已处置完毕，未转发单位",
    "reopened": "重新打开并通知", "emergency.bulletin.skipped": "续报未发送",
}
SOURCE_STATES = {"ok": "正常", "failing": "采集失败", "blind": "被屏蔽/无法读取", "silent": "长时间无新内容",
                 "never_run": "尚未运行", "disabled": "已停用", "unknown": "状态未知"}
TZ = ZoneInfo("Asia/Shanghai")


_DATE_TEXT = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")
DATE_PATTERN = r"\s*\d{4}\s*[\-\/.年]\s*\d{1,2}\s*[\-\/.月]\s*\d{1,2}\s*日?\s*"  # the date fields' pattern attribute


def date_text(value: str) -> str:
    """A date as people type it (2026-12-1, 2026/12/01, 2026.12.01, 2026年12月1日) as YYYY-MM-DD;
    other text unchanged (the parser refuses it with its own message)."""
    found = _DATE_TEXT.fullmatch(value)
    return f"{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}" if found else value


def level(value: Level | str | None) -> str:
    if value is None:
        return "-"
    try:
        return LEVEL_LABELS[Level(value)]
    except ValueError:
        return str(value)


def status(value: AlertStatus | str) -> str:
    v = value.value if isinstance(value, AlertStatus) else str(value)
    return STATUS_LABELS.get(v, v)


def channel(value: Channel | str) -> str:
    try:
        return CHANNEL_LABELS[Channel(value)]
    except ValueError:
        return str(value)


def event(name: str) -> str:
    if name.startswith("status.") and name.endswith(".repeat"):
        return f"重复操作：{status(name[7:-7])}"
    if name.startswith("status."):
        return f"状态变更：{status(name[7:])}"
    return EVENTS.get(name, name)


def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M:%S", tz: ZoneInfo = TZ) -> str:
    if not value:
        return "-"
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    return when.astimezone(tz).strftime(fmt)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 86400:
        return f"{seconds / 86400:.1f}天"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}小时"
    if seconds < 60:
        return f"{max(0, round(seconds))}秒"
    return f"{round(seconds / 60)}分钟"


def named(table: Mapping[str, str], key: str | None, missing: str = "") -> str:
    """``key``'s Chinese label in ``table``; an unknown key shows as itself, none as ``missing``."""
    if not key:
        return missing
    return table.get(key, key)


def notification(row: dict) -> dict:
    """An outbox row for display; unknown columns pass through."""
    out = dict(row)
    out.pop("payload", None)  # rendered message text: large, and it holds everyone's ack links
    out["channel_label"] = named(NOTIFY_CHANNELS, row.get("channel"))
    out["state_label"] = named(NOTIFY_STATES, row.get("state"))
    out["kind_label"] = named(NOTIFY_KINDS, row.get("kind"))
    return out


# Codes the alerting engine writes into audit details (decisions, reasons), in Chinese.
CODES = {
    "FIRST": "首次预警", "LEVEL_RAISED": "等级上升", "MAINSTREAM_PICKUP": "主流媒体转载", "NEW_CHANNEL": "扩散到新渠道",
    "VOLUME_SPIKE": "报道量激增", "NEW_DOC_IN_STORY": "同一事件新增报道", "OWN_REPLY": "本单位自身的回应/澄清", "ALREADY_RECORDED": "已记录过",
    "REPEAT_DUE": "到期汇总续报", "REPEAT_INTERVAL": "重复间隔内，稍后汇总", "MIN_GAP": "距上次通知过近，稍后汇总",
    "NO_REPEAT": "不重复通知", "NOTHING_NEW": "无新增内容", "NO_BACKUP_CONTACT": "单位未设备用联系人",
    "NO_RECIPIENTS": "没有可通知的联系人", "QUIET_HOURS": "免打扰时段", "DIGEST": "合并到每日汇总",
    "DISMISSED": "已标记误报", "RESOLVED": "已处置完毕", "ALREADY_OPEN": "预警仍在处理中",
    "ALREADY_RESOLVED": "预警已处置", "OPENED": "新建", "REOPENED": "重新打开", "FULL": "全文",
    "unacknowledged": "未确认", "SUCCESS": "成功", "FAIL": "失败", "REVIEW": "待协会复核", "review_timeout": "复核时限",
    "SMS_RATE": "短信续报间隔过短，仅发邮件", "NO_ADDRESS": "无联系方式", "MANUAL": "人工预警", "REOPENED_FOR_REVIEW": "重新打开，待协会复核", "NOT_DISMISSED": "预警未标记误报",
}
DETAIL_KEYS = {
    "decision": "决策", "reason": "原因", "actor": "操作人", "via": "途径", "step": "升级级别", "to": "通知对象",
    "queued": "待发消息", "level": "等级", "doc_count": "报道数", "new_docs": "新增报道", "deferred": "延后原因",
    "note": "说明", "assignee": "处置人", "timers": "取消的定时", "queued_messages": "取消的消息",
    "negativity": "负面度", "site": "网站", "doc_id": "文档", "channel": "渠道", "recipient": "接收人",
    "who": "联系人", "until": "延至", "error": "错误", "attempt": "第几次尝试", "from_channel": "原渠道",
    "to_channel": "改用渠道", "retry_at": "重试时间", "state": "状态", "kind": "类型", "duty_notices": "值班通知",
    "provider_id": "回执编号", "last_error": "最近错误", "person": "确认人", "phone4": "手机尾号",
    "notes": "协会研判意见", "advice": "研判建议", "released": "转发消息", "held": "暂存消息", "due": "自动转发时间", "auto": "自动转发",
    "skipped": "未发送", "number": "期数", "bundled": "同批合并条数", "cancelled_messages": "取消的待复核提醒",
}
VIA = {"console": "控制台", "ack-link": "确认链接", "api": "接口", "group-link": "群消息链接", "sms": "短信",
       "email": "邮件", "manual": "人工", "timer": "超时自动"}
HIDDEN_KEYS = {"at", "event", "label", "notification_id", "doc_id", "url", "queued", "fallback_id", "alert_id", "assignee_id",
               "updated_at", "provider_id", "story_id", "bundle"}


def code(value: object) -> str:
    """A decision/reason code or a status value in Chinese; free text (already Chinese) as it is."""
    if isinstance(value, str):
        if value in CODES:
            return CODES[value]
        if value.lower() in STATUS_LABELS:
            return STATUS_LABELS[value.lower()]
        if value in LEVEL_VALUES:
            return level(value)
        return VIA.get(value, value)
    if isinstance(value, (list, tuple)):
        return "、".join(code(v) for v in value)
    return str(value)


LEVEL_VALUES = {lv.value for lv in Level}


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_DUE = re.compile(r"([A-Z_]+) \(update due (\d{4}-\d\d-\d\dT[^)]+)\)")


def trail_event(entry: dict, tz: ZoneInfo = TZ) -> dict:
    """An audit entry for display: its Chinese label, and the rest as short Chinese text
    (a time in it, such as the 自动转发时间, local to the minute, not an ISO string in UTC)."""
    out = {k: v for k, v in entry.items() if k != "url"}
    out["label"] = event(entry.get("event", ""))
    parts = []
    for k, v in entry.items():
        if k in HIDDEN_KEYS or v in (None, "", [], 0) and k not in ("step",):
            continue
        if k == "step":
            parts.append(f"升级：第{v}级" if isinstance(v, int) and v else "首发联系人")
            continue
        if k == "channel":
            v = NOTIFY_CHANNELS.get(v, v)
        elif k == "kind":  # a message's kind (review, escalation…), not a status
            v = NOTIFY_KINDS.get(v, v)
        elif isinstance(v, str) and _ISO_TIME.match(v):
            v = local(v, "%Y-%m-%d %H:%M", tz)
        elif isinstance(v, str) and (due := _DUE.fullmatch(v)):  # the router's "MIN_GAP (update due <ISO>)"
            v = f"{code(due[1])}（{local(due[2], '%H:%M', tz)}汇总续报）"
        elif isinstance(v, bool):
            v = "是" if v else "否"
        parts.append(f"{DETAIL_KEYS.get(k, k)}：{code(v)}")
    out["text"] = "，".join(parts)
    return out


_URL = re.compile(r"https?://\S+")


def ops_view(row: dict) -> dict:
    """An open ops alert for a banner: its summary without addresses (older rows may hold URL-encoded ones)."""
    out = dict(row)
    out["summary"] = _URL.sub("", unquote(str(row.get("summary") or ""))).strip(" ：:")
    return out


_CONSOLE_ACTOR = re.compile(r"\s*<console:[^>]*>$")


def person(actor: str | None) -> str:
    """Who did it, as a reader names them: a console user's display name without the account
    (测试duty, not 测试duty <console:duty>); a contact's "name <phone>" as it is."""
    return _CONSOLE_ACTOR.sub("", actor or "")
