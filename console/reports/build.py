"""What a 舆情日报 / 周报 says, as plain data (rendered by ``render``).

Periods are calendar days in the settings time zone: a daily report covers
one day, a weekly report the seven days ending on the given day (scheduled
on Monday: the week Monday–Sunday just ended). Counts come from the index
(``counts`` / ``search`` totals, so Elasticsearch and SQLite agree); alerts
and their handling status from the alert store, with assignments and
false alarms from the console's casebook.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from console import labels
from console.ports import Ports
from contracts.messages import AlertStatus
from pipeline.index import SearchQuery

KINDS = {"daily": "舆情日报", "weekly": "舆情周报"}
TOP_STORIES = 10


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


def build(ports: Ports, period: Period) -> dict:
    tz = ports.tz
    start = datetime.combine(period.first, time(), tz)
    end = datetime.combine(period.last + timedelta(days=1), time(), tz)
    threshold = ports.config.rules.negative_threshold
    everything = SearchQuery(start=start, end=end, limit=0)
    negative = everything.model_copy(update={"min_negativity": threshold})

    # Trend: always at least the last 7 days, so a daily report shows its context.
    trend_first = min(period.first, period.last - timedelta(days=6))
    trend_q = SearchQuery(start=datetime.combine(trend_first, time(), tz), end=end, limit=0)
    vol = ports.counts(trend_q, "day")
    neg = ports.counts(trend_q.model_copy(update={"min_negativity": threshold}), "day")
    days = [(trend_first + timedelta(days=i)).isoformat() for i in range((period.last - trend_first).days + 1)]

    by_channel, neg_channel = ports.counts(everything, "channel"), ports.counts(negative, "channel")
    by_unit, neg_unit = ports.counts(everything, "unit"), ports.counts(negative, "unit")
    by_level = ports.counts(everything, "level")

    top = ports.search(negative.model_copy(update={"sort": "negativity_desc", "limit": 200}))
    stories: dict[str, dict] = {}
    for hit in top.hits:
        d = hit.doc
        key = d.story_id or d.id
        if key in stories:
            stories[key]["docs"] += 1
            continue
        stories[key] = {"title": d.title, "url": d.url, "site": d.site, "channel": labels.channel(d.channel),
                        "published_at": labels.local(d.published_at or d.crawled_at, "%m-%d %H:%M", tz),
                        "negativity": round(d.negativity, 2), "level": labels.level(d.level),
                        "units": "、".join(ports.unit_names.get(u.unit_id, u.unit_name) for u in d.units) or "-",
                        "phrases": "、".join(list(dict.fromkeys(r.phrase for r in d.reasons))[:4]), "docs": 1}
    top_stories = list(stories.values())[:TOP_STORIES]

    return {
        "kind": period.kind, "title": KINDS[period.kind], "name": period.name, "period": period.label,
        "association": ports.config.members.association.name,
        "generated_at": labels.local(ports.now(), "%Y-%m-%d %H:%M", tz),
        "total": ports.search(everything).total, "negative": ports.search(negative).total,
        "threshold": threshold,
        "trend": {"days": days, "volume": [vol.get(d, 0) for d in days], "negative": [neg.get(d, 0) for d in days]},
        "by_channel": [(labels.channel(k), n, neg_channel.get(k, 0)) for k, n in by_channel.items()],
        "by_unit": [(ports.unit_names.get(k, k), n, neg_unit.get(k, 0)) for k, n in by_unit.items()],
        "by_level": [(labels.level(k), n) for k, n in by_level.items()],
        "top_stories": top_stories,
        **_handling(ports, start, end),
    }


def _handling(ports: Ports, start: datetime, end: datetime) -> dict:
    """Alerts raised in the period, per unit: levels, status, unacknowledged, false alarms."""
    alerts = [a for a in ports.list_alerts(limit=20_000) if start <= a.first_seen < end]
    per_unit: dict[str, dict] = defaultdict(lambda: {"alerts": 0, "levels": Counter(), "status": Counter()})
    for a in alerts:
        row = per_unit[a.unit_id]
        row["alerts"] += 1
        row["levels"][labels.level(a.level)] += 1
        row["status"][a.status.value] += 1
    rows = []
    for unit_id, row in sorted(per_unit.items(), key=lambda kv: -kv[1]["alerts"]):
        st = row["status"]
        rows.append({
            "unit": ports.unit_names.get(unit_id, unit_id), "alerts": row["alerts"],
            "levels": "、".join(f"{k}{v}" for k, v in row["levels"].items()),
            "unacknowledged": st["new"] + st["notified"], "acknowledged": st["acknowledged"],
            "handling": st["handling"], "resolved": st["resolved"], "dismissed": st["dismissed"],
            "other": sum(v for k, v in st.items() if k not in {s.value for s in AlertStatus}),
        })
    level_counts = Counter(labels.level(a.level) for a in alerts)
    return {"alerts_total": len(alerts), "alerts_by_level": sorted(level_counts.items()),
            "handling": rows}
