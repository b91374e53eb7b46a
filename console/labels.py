"""Chinese labels for what the console shows, kept in one place.

Unknown values (a status, state or event added later by the alerting
engineer) are shown as they are rather than failing: additive changes must
not break the console.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerting.templates import NOTIFY_CHANNELS
from contracts.messages import CHANNEL_LABELS, LEVEL_LABELS, AlertStatus, Channel, Level

STATUS_LABELS = {"new": "新预警", "notified": "已通知", "acknowledged": "已确认", "handling": "处置中",
                 "resolved": "已处置", "dismissed": "误报/已排除"}
NOTIFY_STATES = {"pending": "待发送", "sending": "发送中", "accepted": "已提交", "delivered": "已送达",
                 "failed": "发送失败", "cancelled": "已取消", "held": "暂缓（免打扰）"}
NOTIFY_KINDS = {"alert": "预警", "update": "更新", "escalation": "升级", "fallback": "备用渠道", "notice": "通知",
                "ops": "运行告警"}
EVENTS = {
    "detected": "系统发现", "routed": "路由决策", "suppressed": "不再通知", "notification.held": "消息暂缓",
    "notification.accepted": "消息已提交", "notification.delivered": "消息已送达",
    "notification.failed": "消息发送失败", "notification.pending": "消息待重试",
    "notification.cancelled": "消息已取消", "notification.deferred": "消息限流延后", "fallback": "改用备用渠道",
    "fallback.skipped": "未启用备用渠道", "delivery.unreached": "联系人未能送达", "escalated": "升级通知",
    "escalation.skipped": "跳过升级", "escalation.cancelled": "取消升级", "console.note": "处置记录",
    "console.assigned": "指派", "console.false_alarm": "标记误报", "ops.routed": "运行告警",
}
SOURCE_STATES = {"ok": "正常", "failing": "采集失败", "blind": "被屏蔽/无法读取", "silent": "长时间无新内容",
                 "never_run": "尚未运行", "disabled": "已停用", "unknown": "状态未知"}
TZ = ZoneInfo("Asia/Shanghai")


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
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(tz).strftime(fmt)


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


def notification(row: dict) -> dict:
    """An outbox row for display; unknown columns pass through."""
    out = dict(row)
    out.pop("payload", None)  # rendered message text: large, and it holds everyone's ack links
    out["channel_label"] = NOTIFY_CHANNELS.get(row.get("channel"), row.get("channel"))
    out["state_label"] = NOTIFY_STATES.get(row.get("state"), row.get("state"))
    out["kind_label"] = NOTIFY_KINDS.get(row.get("kind"), row.get("kind") or "")
    return out


def trail_event(entry: dict) -> dict:
    """An audit entry for display: its label, and the rest as short text."""
    out = {k: v for k, v in entry.items() if k != "url"}
    out["label"] = event(entry.get("event", ""))
    skip = {"at", "event", "label", "notification_id"}
    out["text"] = "，".join(f"{k}={v}" for k, v in entry.items() if k not in skip and v not in (None, "", []))
    return out
