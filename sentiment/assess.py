"""研判 card: from what happened to what to do (pure; rules in rules.yaml ``playbooks``).

For one alert, from the facts the store keeps (documents with their times,
channels, carriers, risk types) and the playbooks in config:

* stage and trend — 萌芽 (one or two reports, young), 发酵 (more reports in
  the last ``window`` than in the one before), 高峰 (the latest hour is at
  least ``peak_share`` of the busiest hour and reports keep coming), 回落
  (fewer reports than before, or none for ``quiet``);
* who carries it — the channels and the most authoritative carriers;
* 处置建议 — the playbook for the risk type × level (``playbooks.<risk>.<level>``,
  falling back to ``playbooks.<risk>.default``, then ``playbooks.默认``), with
  a response deadline counted from when the alert was raised;
* 回应口径 — the playbook's statement template, filled with the facts
  (``{unit}``, ``{title}``, ``{site}``, ``{date}``, ``{risk}``); a name the
  template uses but the facts lack stays visible as 〔name〕 for the duty
  officer to fill in.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STAGES = ("萌芽", "发酵", "高峰", "回落")
DEFAULT_RISK = "默认"


@dataclass(frozen=True)
class Playbook:
    deadline_hours: float
    steps: tuple[str, ...]
    statement: str = ""


@dataclass(frozen=True)
class StageRules:
    window: timedelta = timedelta(hours=6)
    quiet: timedelta = timedelta(hours=24)
    peak_share: float = 0.8


@dataclass
class Card:
    risk_type: str
    stage: str
    trend: str
    last_hour: int
    peak_hour: int
    documents: int
    channels: list[str]
    carriers: list[str]
    steps: list[str]
    deadline: datetime
    deadline_hours: float
    statement: str
    stage_reason: str = ""
    similar: list[dict] = field(default_factory=list)

    def head(self) -> str:
        """The risk type, stage and trend: 理赔纠纷·萌芽（上升）."""
        return f"{self.risk_type}·{self.stage}（{self.trend}）"

    def short(self) -> str:
        """One line for the e-mail and the robot card."""
        return short_form(self.head(), self.steps, self.deadline_hours)


def short_form(head: str, steps: Sequence[str], hours: float) -> str:
    """A card's one line: its head, the first step, how many, the deadline."""
    first = steps[0] if steps else "核实情况"
    return f"{head}；建议：{first}等{len(steps)}项，{hours:g}小时内回应"


def stage_of(times: Sequence[datetime], now: datetime, rules: StageRules = StageRules()) -> tuple[str, str, str, int, int]:
    """(stage, trend, why, reports in the last hour, reports in the busiest hour)."""
    if not times:
        return "萌芽", "平稳", "尚无报道", 0, 0
    hours = Counter(int((t - times[0]).total_seconds() // 3600) for t in sorted(times))
    peak = max(hours.values())
    last_hour = sum(1 for t in times if now - timedelta(hours=1) < t <= now)
    recent = sum(1 for t in times if now - rules.window < t <= now)
    before = sum(1 for t in times if now - 2 * rules.window < t <= now - rules.window)
    newest = max(times)
    trend = "上升" if recent > before else "下降" if recent < before else "平稳"
    if now - newest >= rules.quiet:
        return "回落", "下降", f"已{int((now - newest).total_seconds() // 3600)}小时无新报道", last_hour, peak
    if len(times) <= 2 and before == 0:
        return "萌芽", trend, f"共{len(times)}篇，刚出现", last_hour, peak
    if last_hour and peak >= 3 and last_hour >= rules.peak_share * peak:
        return "高峰", trend, f"最近1小时{last_hour}篇，接近峰值{peak}篇/小时", last_hour, peak
    if recent > before:
        return "发酵", trend, f"近{_h(rules.window)}小时{recent}篇，此前{before}篇", last_hour, peak
    return "回落", trend, f"近{_h(rules.window)}小时{recent}篇，少于此前{before}篇", last_hour, peak


def _h(d: timedelta) -> str:
    return f"{d.total_seconds() / 3600:g}"


def playbook_for(playbooks: Mapping[str, Mapping[str, Playbook]], risk: str, level: str) -> Playbook | None:
    for r in (risk, DEFAULT_RISK):
        book = playbooks.get(r) or {}
        found = book.get(level) or book.get("default")
        if found:
            return found
    return None


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return f"〔{key}〕"


def fill(template: str, facts: Mapping[str, str]) -> str:
    return template.format_map(_Blank(facts))


def main_risk(risks: Iterable[str]) -> str:
    counted = Counter(r for r in risks if r)
    return counted.most_common(1)[0][0] if counted else "负面舆情"


def build_card(*, risks: Iterable[str], level: str, times: Sequence[datetime], channels: Sequence[str],
               carriers: Sequence[str], raised_at: datetime, now: datetime, facts: Mapping[str, str],
               playbooks: Mapping[str, Mapping[str, Playbook]], stage_rules: StageRules = StageRules()) -> Card:
    risk = main_risk(risks)
    stage, trend, why, last_hour, peak = stage_of(times, now, stage_rules)
    book = playbook_for(playbooks, risk, level) or Playbook(24.0, ("核实情况，联系当事人", "准备回应口径"))
    return Card(risk_type=risk, stage=stage, trend=trend, stage_reason=why, last_hour=last_hour, peak_hour=peak,
                documents=len(times), channels=list(dict.fromkeys(channels)), carriers=list(dict.fromkeys(carriers)),
                steps=list(book.steps), deadline=raised_at + timedelta(hours=book.deadline_hours),
                deadline_hours=book.deadline_hours, statement=fill(book.statement, {**facts, "risk": risk}))
