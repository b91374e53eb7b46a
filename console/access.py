"""Who may do what in the console. One table, used by pages and API alike.

* duty officer (值班员): the whole feed, every alert action, search, sources, reports, 人工预警;
* analyst (分析员): read alerts, search and export, reports, sources, tuning feedback, 人工预警;
* unit lead (单位宣传负责人): only its own unit's alerts and documents (search, export and 日报/周报 scoped to it) —
  sees, acknowledges, handles, resolves and notes them; nothing else. Another unit's alert is
  answered "not found" (404), so a lead cannot even learn that it exists;
* admin (管理员): everything, and user management.

应急响应 (事件): duty officers and admins raise an alert to an 事件 and close it; a lead
sees its own unit's 事件 and ticks their checklist, records notes and people; analysts read them.
"""
from __future__ import annotations

from console.users import User
from contracts.messages import Alert

# 应急响应 (事件): read; tick, note, people; raise an alert to an 事件 and close it.
EMERGENCY_ALL = ("emergency.read", "emergency.act", "emergency.open")
PERMISSIONS: dict[str, set[str]] = {
    "duty": {"wall", "feed", "alerts.read_all", "alerts.act", "alerts.dismiss", "alerts.assess", "alerts.assign",
             "alerts.forward", "search", "export", "sources", "reports.read", "reports.generate", "feedback", "alerts.raise",
             *EMERGENCY_ALL},
    "analyst": {"wall", "feed", "alerts.read_all", "search", "export", "sources", "reports.read", "reports.generate",
                "feedback", "emergency.read", "alerts.raise"},
    # search and export, reports, 事件: own unit only (a lead ticks its checklist and records what it did)
    "lead": {"feed", "alerts.act", "alerts.assign", "search", "export", "reports.read", "reports.generate",
             "emergency.read", "emergency.act"},
    "admin": {"wall", "feed", "alerts.read_all", "alerts.act", "alerts.dismiss", "alerts.assess", "alerts.assign",
              "alerts.forward", "search", "export",
              "sources", "reports.read", "reports.generate", "feedback", "users", "alerts.raise", *EMERGENCY_ALL},
}

# Alert actions and the permission each needs (the lead's are further limited to its unit).
ACTIONS = {
    "acknowledge": "alerts.act",
    "handling": "alerts.act",
    "resolve": "alerts.act",
    "note": "alerts.act",
    "assign": "alerts.assign",
    "false_alarm": "alerts.dismiss",
    "reopen": "alerts.act",
    "assess": "alerts.assess",  # the duty officer's 研判意见 (edited advice and 回应口径)
    "forward": "alerts.forward",  # forward: review — 复核并转发 to the unit
}
ACTION_LABELS = {"acknowledge": "确认收到", "handling": "开始处置", "resolve": "处置完毕", "note": "添加处置记录",
                 "assign": "指派", "false_alarm": "标记误报", "reopen": "重新打开",
                 "assess": "保存研判意见", "forward": "复核并转发"}


def can(user: User, permission: str) -> bool:
    return permission in PERMISSIONS.get(user.role, set())


def unit_scope(user: User) -> str | None:
    """The only unit this user may see (None: every unit)."""
    return user.unit_id if user.role == "lead" else None


def can_see(user: User, alert: Alert) -> bool:
    scope = unit_scope(user)
    if scope is not None:
        return alert.unit_id == scope
    return can(user, "alerts.read_all")


def can_act(user: User, alert: Alert, action: str) -> bool:
    needed = ACTIONS.get(action)
    return needed is not None and can(user, needed) and can_see(user, alert)


def nav(user: User) -> list[tuple[str, str]]:
    """(path, label) of the pages this user may open, for the navigation bar."""
    items = [("/", "实时预警", "feed"), ("/emergencies", "应急事件", "emergency.read"), ("/search", "检索分析", "search"),
             ("/raise", "人工预警", "alerts.raise"),
             ("/reports", "舆情报告", "reports.read"),
             ("/sources", "信息源状态", "sources"), ("/admin/users", "用户管理", "users"), ("/wall", "大屏", "wall"),
             ("/api", "API", "users")]  # the API page is for the association's developers (admins)
    return [(path, label) for path, label, perm in items if can(user, perm)]
