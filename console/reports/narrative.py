"""The words of a report, generated from its numbers (pure functions, no I/O).

* ``change`` — 环比 of one figure: "上升25.0%", "下降50.0%", "持平", or
  "上期为0" when there is nothing to compare with (never a division by zero
  dressed up as "+∞%").
* ``summary`` — the 综述 paragraph: totals, negative share, alerts by level,
  each with 环比; the busiest channel and unit (not in a unit's own report);
  the most serious case.
* ``risk_shifts`` — which risk types rose or fell against the previous period.
* ``advice`` — 研判与建议: rule-based sentences from the same numbers (open
  red alerts, units slow to acknowledge, rising risk types, stories still
  spreading), ending with the standing advice when nothing stands out.
"""
from __future__ import annotations

from collections import Counter

PERIOD_WORD = {"daily": "日", "weekly": "周"}


def pct(cur: int, prev: int) -> float | None:
    """Relative change in percent, or None when the previous value is 0."""
    return None if prev == 0 else round((cur - prev) * 100 / prev, 1)


def change(cur: int, prev: int) -> str:
    p = pct(cur, prev)
    if p is None:
        return "持平" if cur == 0 else "上期为0"
    if p == 0:
        return "持平"
    return f"{'上升' if p > 0 else '下降'}{abs(p):.1f}%"


def duration(minutes: float) -> str:
    if minutes < 60:
        return f"{max(0, round(minutes))}分钟"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f}小时"
    return f"{minutes / 1440:.1f}天"


KEYS = [("total", "监测信息总量", "条"), ("negative", "负面信息", "条"), ("alerts", "有效预警", "起"),
        ("red", "红色预警", "起"), ("false_alarms", "误报（已剔除）", "起")]


NO_PREVIOUS = "上期无数据"  # a first period's cards: nothing monitored before, no 环比 (not 上期为0, not 持平)


def first_period(prev: dict) -> bool:
    """Nothing was monitored in the previous period (a new deployment's first 日报/周报)."""
    return prev["total"] == 0 and prev["alerts"] == 0


def key_numbers(cur: dict, prev: dict) -> list[dict]:
    first = first_period(prev)
    return [{"key": k, "label": label, "unit": unit, "value": cur[k], "previous": prev[k],
             "change": NO_PREVIOUS if first else change(cur[k], prev[k]), "pct": None if first else pct(cur[k], prev[k])}
            for k, label, unit in KEYS]


OWN_UNIT = "本单位"  # how a unit's own report names the unit (its masthead names it already)


def _top(rows: list[tuple[str, int, int]], index: int, counter: str, most: int = 3) -> tuple[str, str] | None:
    """Who has the highest figure, and the figure as the 综述 says it: every name tied at the top is named
    (新闻网站、论坛, （各2条）), not the first of them as if it led alone; past ``most`` tied, 等N + ``counter``."""
    best = max((int(r[index]) for r in rows), default=0)
    if not best:
        return None
    tied = [r[0] for r in rows if r[index] == best]
    if len(tied) == 1:
        return tied[0], f"（{best}条）"
    names = "、".join(tied[:most]) + (f"等{len(tied)}{counter}" if len(tied) > most else "")
    return names, f"（各{best}条）"


def versus(cur: int, prev: int) -> str:
    """A figure against the previous period, as a sentence reads it: 环比上升25.0% / 与上期持平 / 上期为0."""
    text = change(cur, prev)
    return {"持平": "与上期持平", "上期为0": "上期为0"}.get(text, f"环比{text}")


def summary(report: dict, cur: dict, prev: dict) -> str:
    word = PERIOD_WORD[report["kind"]]
    share = f"{cur['negative'] / cur['total']:.1%}" if cur["total"] else "0%"
    # A first period (nothing monitored before) says so once instead of "上期为0" after every figure.
    first = first_period(prev)

    def vs(key: str) -> str:
        return "" if first else "，" + versus(cur[key], prev[key])
    parts = [f"本{word}（{report['period']}）共监测到相关信息{cur['total']}条"
             + ("（上期无监测数据，不作环比）" if first else vs("total"))
             + f"；其中负面信息{cur['negative']}条，占{share}{vs('negative')}"]
    levels = "、".join(f"{label}{n}起" for label, n in report["by_level"])
    parts.append(f"触发有效预警{cur['alerts']}起" + (f"（{levels}）" if levels else "") + vs("alerts"))
    if cur["false_alarms"]:
        parts.append(f"另有{cur['false_alarms']}起预警经核实为误报，已从统计中剔除")
    channel, unit = _top(report["by_channel"], 2, "个渠道"), _top(report["by_unit"], 2, "家单位")
    if channel:
        parts.append(f"负面信息主要来自{channel[0]}{channel[1]}")
    if unit and not report.get("unit"):  # a unit's own report compares with no other unit
        parts.append(f"会员单位中，{unit[0]}负面信息最多{unit[1]}")
    if report["cases"]:
        c = report["cases"][0]
        parts.append(f"需重点关注的是{c['subject']}（{c['level']}，{c['risk_type']}，处于{c['stage']}阶段）")
    return "；".join(parts) + "。"


def risk_shifts(risks: list[tuple[str, int, int]], first: bool = False) -> list[str]:
    """Which risk types rose or fell, biggest change first; a first period (nothing monitored before)
    says this period's figures once with 上期无数据 — not every type 新出现."""
    if first:
        now = "、".join(f"{risk}{cur}条" for risk, cur, _ in sorted(risks, key=lambda r: -r[1]) if cur)
        return [f"本期各风险类型负面信息：{now}（{NO_PREVIOUS}，不作环比）" if now else f"本期无负面信息（{NO_PREVIOUS}）"]
    out = []
    for risk, cur, prev in sorted(risks, key=lambda r: -abs(r[1] - r[2])):
        if cur == prev:
            continue
        if prev == 0:
            out.append(f"{risk}类负面信息新出现{cur}条")
        elif cur == 0:
            out.append(f"{risk}类负面信息由上期{prev}条降为0")
        else:
            out.append(f"{risk}类负面信息{cur}条，环比{change(cur, prev)}")
    return out[:6]


def advice(report: dict) -> list[str]:
    word = "下周" if report["kind"] == "weekly" else "今日"
    out = []
    open_red = [c for c in report["cases"] if c["level_value"] == "red" and c["status_value"] != "resolved"]
    for c in open_red[:3]:
        # Steps carry their own commas and colons ("统一口径：不回避、讲整改"): a list joined by 、 misreads.
        steps = "；".join(c["steps"][:3]) or "核实情况"
        # A case raised days ago is past its deadline: "within 4 hours" would read as if it had just begun.
        respond = (f"已超过{c['deadline_hours']:g}小时回应时限，请尽快形成并发布回应口径。" if c.get("overdue")
                   else f"并在{c['deadline_hours']:g}小时内形成回应口径。")
        out.append(f"{c['subject']}为红色预警且尚未办结，建议：{steps}；{respond}")
    spreading = [c for c in report["cases"] if c["stage"] in ("发酵", "高峰") and c not in open_red]
    if spreading:
        out.append("、".join(c["subject"] for c in spreading[:3]) + f"仍处于{spreading[0]['stage']}阶段，"
                   f"{word}需持续跟踪转载与评论变化，防止舆情升级。")
    slow = [h for h in report["handling"] if h["unacknowledged"]]
    if slow and report.get("unit"):  # a unit's own report: its own alerts, asked of the unit itself
        out.append(f"{OWN_UNIT}仍有{sum(h['unacknowledged'] for h in slow)}起预警未确认，请尽快确认并反馈处置进展。")
    elif slow:
        out.append("、".join(f"{h['unit']}（{h['unacknowledged']}起）" for h in slow[:5])
                   + "仍有预警未确认，请相关单位宣传工作负责人尽快确认并反馈处置进展。")
    rising = [(r, cur, prev) for r, cur, prev in report["risks"] if cur > prev and cur >= 2]
    if rising:
        r, cur, prev = max(rising, key=lambda x: x[1] - x[2])
        # A first period (nothing monitored before) has no 增多 to speak of: 较多, 上期无数据 said once above.
        grew = f"较多（{cur}条）" if report.get("first_period") else f"增多（{cur}条，上期{prev}条）"
        who = OWN_UNIT if report.get("unit") else "会员单位"  # a unit's own report asks the unit itself
        out.append(f"{r}类负面信息{grew}，建议{word}重点关注此类问题，{who}对照排查同类风险。")
    if report["false_alarms"]:
        out.append(f"本期{len(report['false_alarms'])}起误报已单独列出，建议据此调整监测关键词与规则，减少误报。")
    open_cases = [c for c in report["cases"] if c["status_value"] != "resolved" and c not in open_red]
    if not out and open_cases:  # an orange or yellow case in the report is not "nothing to handle"
        levels = "、".join(f"{lv}{n}起" for lv, n in Counter(c["level"] for c in open_cases).items())
        units = "、".join(dict.fromkeys(c["unit"] for c in open_cases))
        out.append(f"本期{len(open_cases)}起预警（{levels}）尚未办结，涉及{units}，请相关单位按处置建议跟进并及时回应，"
                   f"{word}持续关注后续报道。")
    if not out:
        out.append(f"本期未发现需重点处置的负面舆情，{word}保持常态化监测，重点关注理赔服务与销售行为相关信息。")
    return out
