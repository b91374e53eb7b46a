"""What a 舆情日报 / 周报 says, as plain data (rendered by ``render``).

Periods are calendar days in the settings time zone: a daily report covers
one day, a weekly report the seven days ending on the given day (scheduled
on Monday: the week Monday–Sunday just ended). Every key number is given
with 环比: the same figure over the previous period of the same length (the
day before, the week before).

Counts come from the index (``counts`` / ``search`` totals, so
Elasticsearch and SQLite agree); alerts and their handling from the alert
store and its audit trail (time to acknowledge), with the 误报 reasons from
the console's casebook.

False alarms (alerts marked 误报, status ``dismissed``) are excluded: their
documents do not count as negative, their alerts not as alerts, and they
are never a 典型案例; they are listed in their own section instead. The
total of monitored documents still includes them (they were monitored).

A unit's report (``unit_id``, the one a unit's publicity lead reads) counts
only that unit: its documents, its alerts and their handling, its trend;
no other unit is named or counted (a document about several units counts
for this one only), and the title carries the unit's short name.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from alerting.assessment import card_for, event_phrases
from alerting.templates import FOREIGN_TITLE, post_author
from console import alert_service, labels
from console.ports import Ports
from console.reports import narrative
from contracts.language import has_han
from contracts.messages import Alert, AlertStatus, Channel, Level, ScoredDocument
from pipeline.index import SearchQuery

KINDS = {"daily": "舆情日报", "weekly": "舆情周报"}
MASTHEAD = {"daily": "舆情监测日报", "weekly": "舆情监测周报"}
CASES = {"daily": 5, "weekly": 8}
NEGATIVE_SAMPLE = 500  # negative documents read per period for the risk-type mix
ACK_EVENTS = ("status.acknowledged", "status.handling", "status.resolved")
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first day, inclusive
    last: date  # last day, inclusive

    @classmethod
    def ending(cls, kind: str, day: date) -> Period:
        if kind not in KINDS:
            raise ValueError(f"unknown report kind {kind!r}; use daily or weekly")
        return cls(kind, day - timedelta(days=6 if kind == "weekly" else 0), day)

    def previous(self) -> Period:
        """The period of the same length just before (环比的比较期)."""
        return Period.ending(self.kind, self.first - timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def name(self) -> str:
        """File name stem, e.g. daily-2026-01-05."""
        return f"{self.kind}-{self.last.isoformat()}"

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"{self.last.year}年{self.last.month}月{self.last.day}日"
        return (f"{self.first.year}年{self.first.month}月{self.first.day}日至"
                f"{self.last.year}年{self.last.month}月{self.last.day}日")


def _bounds(ports: Ports, period: Period) -> tuple[datetime, datetime]:
    return (datetime.combine(period.first, time(), ports.tz),
            datetime.combine(period.last + timedelta(days=1), time(), ports.tz))


def _when(doc: ScoredDocument) -> datetime:
    return doc.published_at or doc.crawled_at


def _risk(doc: ScoredDocument, unit_id: str | None = None) -> str:
    """The document's main risk type: over every unit's reasons, or one unit's (``unit_id``)."""
    risks = Counter(r.risk_type for r in doc.reasons
                    if r.risk_type and (unit_id is None or getattr(r, "unit_id", None) in (None, unit_id)))
    return risks.most_common(1)[0][0] if risks else "其他"


class _FalseAlarms:
    """Documents of alerts marked 误报, to take out of the negative counts."""

    def __init__(self, ports: Ports, dismissed: list[Alert]) -> None:
        self.docs: dict[str, tuple[ScoredDocument, set[str]]] = {}
        for alert in dismissed:
            for doc_id in ports.alert_doc_ids(alert.id)[:200]:
                if doc_id in self.docs:
                    self.docs[doc_id][1].add(alert.unit_id)
                    continue
                doc = ports.get_doc(doc_id)
                if doc is not None:
                    self.docs[doc_id] = (doc, {alert.unit_id})

    def negative_in(self, start: datetime, end: datetime, threshold: float):
        return [(d, units) for d, units in self.docs.values()
                if start <= _when(d) < end and d.negativity >= threshold]


def title(kind: str, unit_short: str | None = None) -> str:
    """舆情日报 / 周报, prefixed with the unit's short name for a unit's report."""
    return (unit_short or "") + KINDS.get(kind, kind)


def _numbers(ports: Ports, period: Period, alerts: list[Alert], fa: _FalseAlarms, unit_id: str | None) -> dict:
    """The key numbers of one period (false alarms taken out); one unit's only when ``unit_id``."""
    start, end = _bounds(ports, period)
    threshold = ports.config.rules.negative_threshold
    everything = SearchQuery(start=start, end=end, limit=0, units=[unit_id] if unit_id else [])
    negative = everything.model_copy(update={"min_negativity": threshold})
    false_docs = fa.negative_in(start, end, threshold)
    false_ids = {d.id for d, _ in false_docs}

    by_channel, neg_channel = ports.counts(everything, "channel"), Counter(ports.counts(negative, "channel"))
    by_unit, neg_unit = ports.counts(everything, "unit"), Counter(ports.counts(negative, "unit"))
    if unit_id:  # a document about several units counts for this one only: no other unit is named
        by_unit = {k: n for k, n in by_unit.items() if k == unit_id}
    for doc, units in false_docs:
        neg_channel[str(doc.channel.value if hasattr(doc.channel, "value") else doc.channel)] -= 1
        for u in doc.units:
            if u.unit_id in units:
                neg_unit[u.unit_id] -= 1
    sample = ports.search(negative.model_copy(update={"sort": "negativity_desc", "limit": NEGATIVE_SAMPLE}))
    risks = Counter(_risk(h.doc, unit_id) for h in sample.hits if h.doc.id not in false_ids)

    in_period = [a for a in alerts if start <= a.first_seen < end]
    real = [a for a in in_period if a.status != AlertStatus.dismissed]
    return {
        "total": ports.search(everything).total,
        "negative": max(0, ports.search(negative).total - len(false_docs)),
        "alerts": len(real), "red": sum(1 for a in real if a.level.value == "red"),
        "false_alarms": len(in_period) - len(real),
        "by_channel": {k: (n, max(0, neg_channel.get(k, 0))) for k, n in by_channel.items()},
        "by_unit": {k: (n, max(0, neg_unit.get(k, 0))) for k, n in by_unit.items()},
        "by_level": dict(Counter(a.level.value for a in real)),
        "risks": dict(risks),
        "alert_list": real, "dismissed": [a for a in in_period if a.status == AlertStatus.dismissed],
    }


def _trend(ports: Ports, period: Period, fa: _FalseAlarms, unit_id: str | None) -> dict:
    """Per day: a weekly report its seven days; a daily report the seven days ending on its day, from the
    first with documents (no rows of zeros from before monitoring began: ``note`` says so instead)."""
    first = min(period.first, period.last - timedelta(days=6))
    start, end = datetime.combine(first, time(), ports.tz), _bounds(ports, period)[1]
    threshold = ports.config.rules.negative_threshold
    q = SearchQuery(start=start, end=end, limit=0, units=[unit_id] if unit_id else [])
    vol = ports.counts(q, "day")
    neg = Counter(ports.counts(q.model_copy(update={"min_negativity": threshold}), "day"))
    for doc, _ in fa.negative_in(start, end, threshold):
        neg[_when(doc).astimezone(ports.tz).date().isoformat()] -= 1
    days = [(first + timedelta(days=i)).isoformat() for i in range((period.last - first).days + 1)]
    note = ""
    if period.kind == "daily":  # the six days before are context: not rows of zeros before monitoring began
        begun = next((i for i, d in enumerate(days) if vol.get(d, 0)), len(days) - 1)
        if begun:
            days = days[begun:]
            note = "无此前数据" if len(days) == 1 else f"{_md(days[0])}前无数据"
    return {"days": days, "labels": [f"{_md(d)}（{WEEKDAYS[date.fromisoformat(d).weekday()]}）" for d in days],
            "volume": [vol.get(d, 0) for d in days], "negative": [max(0, neg.get(d, 0)) for d in days], "note": note}


def _md(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.month}月{d.day}日"


POSTS = (Channel.weibo, Channel.douyin)  # a post's "title" is the start of its text, cut off


def _headline(alert: Alert, rep: ScoredDocument | None, docs: list[ScoredDocument]) -> ScoredDocument | None:
    """The case as the leaders read it: a story that began as a post (在新华保险吉林分公司买的重疾险，确诊后…打了十…)
    and was then reported by the press is headed by the earliest press report's headline; None: the representative."""
    if rep is None or rep.channel not in POSTS:
        return None
    press = [d for d in docs if d.channel in (Channel.news, Channel.epaper) and alert.unit_id not in d.own_response_units]
    return min(press, key=lambda d: d.published_at or d.crawled_at) if press else None


def reader_title(title: str) -> str:
    """A headline as the association's leaders read it: one with no Chinese is said to be an English report
    (英文报道：Regulator fines…), as the SMS says it, not left bare among the Chinese cases."""
    return title if has_han(title) or not title else FOREIGN_TITLE + title


def subject(unit: str, title: str, post: Channel | None, phrases: list[str], risk: str) -> str:
    """How the 综述 and 研判与建议 name a case: a headline is quoted after its unit (国寿吉林“…”); a case that
    is a Weibo or Douyin post's opening (cut off mid-sentence) is told as what netizens reported —
    微博网民反映国寿吉林拖延理赔、拒赔问题 — since a leader cannot read 在新华保险买的重疾险，确诊后…打了十… ."""
    if post is None:  # quotes inside the quoted headline become single ones, as Chinese writes them
        return f"{unit}“{title.replace('“', '‘').replace('”', '’')}”"
    problem = "、".join(phrases) or risk or "相关"
    return f"{labels.channel(post)}网民反映{unit}{problem}问题"


def _source(ports: Ports, doc: ScoredDocument | None) -> str | None:
    """A case's 来源 as the leaders know it: the site's name (吉林新闻网), a post's author (四平的老刘)."""
    if doc is None:
        return None
    return post_author(doc) or ports.source_names.get(doc.source_id)


def _case(ports: Ports, alert: Alert, detected: dict[str, str], as_of: datetime, own: bool = False) -> dict:
    docs = [d for d in (ports.get_doc(i) for i in ports.alert_doc_ids(alert.id)[:100]) if d is not None]
    raised = datetime.fromisoformat(detected[alert.id]) if alert.id in detected else alert.first_seen
    card = card_for(alert, docs, ports.config.rules, raised, as_of, ports.source_names, ports.tz)
    notes = ports.casebook.notes(alert.id)
    assessed = [n["text"] for n in notes if n.get("kind") == "assess"]
    handled = [n["text"] for n in notes if n.get("kind") == "note"]
    rep = next((d for d in docs if d.id == alert.representative.id), None)
    head = _headline(alert, rep, docs)
    unit = ports.unit_names.get(alert.unit_id, alert.unit_name)
    title = reader_title(head.title if head else alert.representative.title)
    post = alert.representative.channel if head is None and alert.representative.channel in POSTS else None
    return {
        "id": alert.id, "title": title,
        # A unit's own report says 本单位 where the association's names the unit (its masthead names it already).
        "subject": subject(narrative.OWN_UNIT if own else unit, title, post, event_phrases(alert, docs), card.risk_type),
        "url": head.url if head else alert.representative.url, "site": head.site if head else alert.representative.site,
        # A reader knows 吉林新闻网, not its host name.
        "source": _source(ports, head or rep) or alert.representative.site,
        "unit": unit,
        "level": labels.level(alert.level), "level_value": alert.level.value, "status": labels.status(alert.status),
        "status_value": alert.status.value,
        "first_seen": labels.local(alert.first_seen, "%m-%d %H:%M", ports.tz), "docs": alert.doc_count,
        "channels": "、".join(labels.channel(c) for c in alert.channels) or "-",
        "negativity": round(alert.negativity, 2), "level_reason": alert.level_reason,
        "risk_type": card.risk_type, "stage": card.stage, "trend": card.trend, "stage_reason": card.stage_reason,
        "carriers": "、".join(card.carriers[:4]) or "-", "steps": list(card.steps),
        "deadline_hours": card.deadline_hours,
        # Past the playbook's response deadline by the report's date: the advice says so, not "within N hours".
        "overdue": as_of - raised > timedelta(hours=card.deadline_hours),
        # The duty officer's own 研判意见 replaces the rule-based advice when there is one.
        "assessment": assessed[-1] if assessed else "", "handling_notes": handled[-2:],
    }


def _cases(ports: Ports, period: Period, real: list[Alert], detected: dict[str, str], own: bool = False) -> list[dict]:
    """The 典型案例: the most serious alerts first, blue ones never — a 蓝色 alert (一般关注, e-mail only) is
    counted in the numbers and the handling table, not held up to the leaders as a typical case."""
    ranked = sorted((a for a in real if a.level != Level.blue), key=lambda a: (a.level.rank, -a.doc_count, -a.negativity))
    as_of = min(ports.now(), _bounds(ports, period)[1])
    return [_case(ports, a, detected, as_of, own) for a in ranked[:CASES[period.kind]]]


def _handling(ports: Ports, alerts: list[Alert], dismissed: list[Alert]) -> list[dict]:
    """Per unit: alerts, acknowledged, median time to acknowledge, resolved, still open, 误报. An alert the
    association closed while it was held for review is not the unit's: counted apart (association_resolved)."""
    per_unit: dict[str, list[Alert]] = defaultdict(list)
    for a in alerts:
        per_unit[a.unit_id].append(a)
    false = Counter(a.unit_id for a in dismissed)
    detected = ports.detected_at([a.id for a in alerts])
    # Closed by the association while held for review (处置完毕 before forwarding): the unit was never told,
    # so the closing is not the unit's acknowledgement and says nothing about how fast it responds.
    untold = {i for i, r in ports.reviews([a.id for a in alerts]).items() if r.get("state") == "resolved"}
    rows = []
    for unit_id in sorted(set(per_unit) | set(false), key=lambda u: (-len(per_unit.get(u, [])), u)):
        unit_alerts = per_unit.get(unit_id, [])
        waits = []
        for a in unit_alerts:
            if a.id in untold:
                continue
            acked = [t["at"] for t in ports.audit_trail(a.id) if t["event"] in ACK_EVENTS]
            if acked:
                raised = datetime.fromisoformat(detected.get(a.id) or a.first_seen.isoformat())
                waits.append((datetime.fromisoformat(min(acked)) - raised).total_seconds() / 60)
        status = Counter(a.status for a in unit_alerts)
        rows.append({
            "unit": ports.unit_names.get(unit_id, unit_id), "alerts": len(unit_alerts),
            "levels": "、".join(f"{labels.level(k)}{v}" for k, v in sorted(
                Counter(a.level for a in unit_alerts).items(), key=lambda kv: kv[0].rank)) or "-",
            "acknowledged": len(waits), "unacknowledged": status[AlertStatus.new] + status[AlertStatus.notified],
            "ack_minutes": round(median(waits)) if waits else None,
            "ack_time": narrative.duration(median(waits)) if waits else "-",
            "resolved": sum(1 for a in unit_alerts if a.status is AlertStatus.resolved and a.id not in untold),
            "association_resolved": sum(1 for a in unit_alerts if a.id in untold),
            "handling": status[AlertStatus.handling],
            "false_alarms": false[unit_id],
        })
    return rows


def _false_alarm_list(ports: Ports, dismissed: list[Alert]) -> list[dict]:
    reasons = {r["alert_id"]: r for r in ports.casebook.false_alarms()}
    return [{"title": reader_title(a.representative.title), "unit": ports.unit_names.get(a.unit_id, a.unit_name),
             "level": labels.level(a.level), "first_seen": labels.local(a.first_seen, "%m-%d %H:%M", ports.tz),
             "reason": reasons.get(a.id, {}).get("reason") or "-", "by": reasons.get(a.id, {}).get("marked_by") or "-"}
            for a in sorted(dismissed, key=lambda a: a.first_seen)]


def _rows(mapping: dict, names: dict[str, str] | None, label) -> list[tuple[str, int, int]]:
    return [(names.get(k, k) if names is not None else label(k), n, neg) for k, (n, neg) in mapping.items()]


def _unit_rows(ports: Ports, cur: dict, prev: dict) -> list[tuple[str, int, int]]:
    """The unit table's rows: this period's units, then each unit that had negative information last
    period and nothing this period (0 and 0, its 上期负面 beside them: a drop to zero is news too)."""
    gone = {k: (0, 0) for k, (_, neg) in prev.items() if neg and k not in cur}
    return _rows(cur, ports.unit_names, None) + _rows(gone, ports.unit_names, None)


def _issued(ports: Ports, period: Period) -> str:
    """The 报头's date: the day the report is issued — the morning after its period (the daily report
    for yesterday today, the 周报 on Monday), or today for a period not over yet."""
    day = min(ports.now().astimezone(ports.tz).date(), period.last + timedelta(days=1))
    return f"{day.year}年{day.month}月{day.day}日"


def build(ports: Ports, period: Period, issue: int | None = None, unit_id: str | None = None) -> dict:
    """The report for every unit, or for one (``unit_id``: that unit's alerts, documents, handling, trend)."""
    tz = ports.tz
    unit = ports.units[unit_id] if unit_id else None
    everyone = ports.list_alerts(unit_id=unit_id, limit=20_000)
    prev_period = period.previous()
    lo, hi = _bounds(ports, prev_period)[0], _bounds(ports, period)[1]
    fa = _FalseAlarms(ports, [a for a in everyone if a.status == AlertStatus.dismissed and lo <= a.first_seen < hi])
    # A unit's report follows the console's rule for its lead (alert_service.visible): no alert the unit was not
    # told of for the association's review. One the association closed while held (处置完毕) is only counted, as
    # the note under 各单位预警处置情况 says; its documents stay in the counts like any other's.
    untold = alert_service.untold(ports, [a for a in everyone if lo <= a.first_seen < hi]) if unit_id else {}
    told = [a for a in everyone if untold.get(a.id, "resolved") == "resolved"]
    cur, prev = _numbers(ports, period, told, fa, unit_id), _numbers(ports, prev_period, told, fa, unit_id)
    detected = ports.detected_at([a.id for a in cur["alert_list"]])
    risks = sorted(set(cur["risks"]) | set(prev["risks"]), key=lambda r: (-cur["risks"].get(r, 0), r))
    report: dict[str, Any] = {
        "kind": period.kind, "title": title(period.kind, unit.short if unit else None),
        # A unit's report is headed 「<short name>舆情周报」; the association's 「舆情监测周报」.
        "masthead": title(period.kind, unit.short) if unit else MASTHEAD[period.kind], "name": period.name,
        "unit": {"id": unit.id, "name": unit.name, "short": unit.short} if unit else None,
        "period": period.label, "previous_period": prev_period.label, "issue": issue,
        "association": ports.config.members.association.name,
        "generated_at": labels.local(ports.now(), "%Y-%m-%d %H:%M", tz),
        "date_text": _issued(ports, period),
        "threshold": ports.config.rules.negative_threshold,
        "key_numbers": narrative.key_numbers(cur, prev),
        "first_period": narrative.first_period(prev),  # nothing monitored before: no 环比 anywhere
        "trend": _trend(ports, period, fa, unit_id),
        "by_channel": _rows(cur["by_channel"], None, labels.channel),
        "by_unit": _unit_rows(ports, cur["by_unit"], prev["by_unit"]),
        # Each unit's negative count in the previous period, by name: the unit table's 上期负面 (what changed).
        "unit_previous": {name: neg for name, _, neg in _rows(prev["by_unit"], ports.unit_names, None)},
        "unit_labels": {ports.unit_names[u]: ports.unit_short[u] for u in {**prev["by_unit"], **cur["by_unit"]}
                        if u in ports.unit_names},
        "by_level": [(labels.level(k), n) for k, n in sorted(cur["by_level"].items(), key=lambda kv: Level(kv[0]).rank)],
        "risks": [(r, cur["risks"].get(r, 0), prev["risks"].get(r, 0)) for r in risks],
        "cases": _cases(ports, period, [a for a in cur["alert_list"] if a.id not in untold], detected,
                        own=unit_id is not None),
        "blue_alerts": sum(1 for a in cur["alert_list"] if a.id not in untold and a.level == Level.blue),
        "handling": _handling(ports, cur["alert_list"], cur["dismissed"]),
        "false_alarms": _false_alarm_list(ports, cur["dismissed"]),
        # What the unit was not told of yet, with each review state (the service keeps it beside the files:
        # once one is forwarded, closed or dismissed, the report is out of date and is made again when opened).
        "held": untold,
    }
    report["summary"] = narrative.summary(report, cur, prev)
    report["risk_shifts"] = narrative.risk_shifts(report["risks"], report["first_period"])
    report["advice"] = narrative.advice(report)
    return report
