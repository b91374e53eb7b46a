"""Search for analysts: query form → ``SearchQuery``, results, statistics, export.

* Dates in the form are calendar days in the settings time zone; the end
  day is inclusive (the index's ``end`` is exclusive, so it gets +1 day).
* "Negative" everywhere means negativity ≥ rules.yaml ``negative_threshold``
  (the scorer's own line), so the console's negative share agrees with it.
* Exports page through the index ``EXPORT_PAGE`` rows at a time, at most
  ``EXPORT_MAX`` rows: CSV in UTF-8 with a BOM (so Excel opens Chinese
  correctly) or a real .xlsx (openpyxl).
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from console import labels
from console.ports import Ports
from contracts.messages import Reason
from contracts.sanitize import cell, one_line
from pipeline.config.sms import trim
from pipeline.index import SearchQuery
from pipeline.index.base import SearchFilters

PAGE_SIZES = (20, 50, 100)
EXPORT_PAGE, EXPORT_MAX = 500, 10_000
SORTS = {"time_desc": "最新发布", "time_asc": "最早发布", "relevance": "相关度", "negativity_desc": "负面程度"}
# (key, heading, Excel column width): what an analyst reads, in the order a 舆情 list is read.
EXPORT_COLUMNS = [("published_at", "发布时间", 17), ("title", "标题", 48), ("summary", "摘要", 60),
                  ("site", "站点", 20), ("source", "信息源", 24), ("channel", "渠道", 9), ("author", "作者", 14),
                  ("units", "涉及单位", 30), ("tendency", "倾向", 7), ("level", "预警等级", 9),
                  ("negativity", "负面度", 8), ("risks", "风险类型", 16), ("phrases", "负面要素", 30),
                  ("url", "链接", 50)]
SUMMARY_CHARS = 120  # 摘要: the text's start on one line
QUOTE_CHARS = 40  # 负面要素 of a document the model alone found negative: its sentence, this long


class SearchForm(SearchFilters):
    """The search page's form: days instead of times, pages instead of offsets; the filters are the query's own."""

    q: str = ""
    start: date | None = None
    end: date | None = None
    sort: str = "time_desc"
    page: int = 1
    size: int = 20

    def query(self, ports: Ports, *, offset: int | None = None, limit: int | None = None) -> SearchQuery:
        tz = ports.tz
        return SearchQuery(
            text=self.q.strip() or None,
            start=datetime.combine(self.start, time(), tz) if self.start else None,
            end=datetime.combine(self.end + timedelta(days=1), time(), tz) if self.end else None,
            **self.filters(), sort=self.sort if self.sort in SORTS else "time_desc",
            offset=(self.page - 1) * self.size if offset is None else offset,
            limit=self.size if limit is None else limit)

    def negative(self, ports: Ports) -> SearchQuery:
        q = self.query(ports, offset=0, limit=0)
        threshold = ports.config.rules.negative_threshold
        return q.model_copy(update={"min_negativity": max(threshold, self.min_negativity or 0.0)})


def run(ports: Ports, form: SearchForm) -> dict:
    result = ports.search(form.query(ports))
    hits = []
    for h in result.hits:
        d = h.doc
        hits.append({
            "id": d.id, "url": d.url, "title": d.title, "site": d.site, "source_id": d.source_id,
            "source_name": ports.source_names.get(d.source_id, d.source_id), "channel": labels.channel(d.channel),
            "published_at": (d.published_at or d.crawled_at).isoformat(), "negativity": round(d.negativity, 3),
            "level": d.level.value if d.level else None, "level_label": labels.level(d.level),
            "units": [ports.unit_names.get(u.unit_id, u.unit_name) for u in d.units],
            "units_short": [ports.unit_short.get(u.unit_id, u.unit_name) for u in d.units],  # the hit's meta line
            "story_id": d.story_id, "score": round(h.score, 3),
            # Fragments are HTML-escaped by the index with matches in <em>: safe to show as HTML.
            "title_html": (h.highlights.get("title") or [None])[0],
            "fragments": h.highlights.get("text", []),
            "excerpt": d.text[:160],
        })
    pages = max(1, -(-result.total // form.size))
    return {"total": result.total, "page": form.page, "pages": pages, "size": form.size, "hits": hits}


def stats(ports: Ports, form: SearchForm) -> dict:
    """Trend per day (volume, negative, negative share) and breakdowns, for the charts."""
    everything = form.query(ports, offset=0, limit=0)
    volume = ports.counts(everything, "day")
    negative = ports.counts(form.negative(ports), "day")
    days = sorted(volume)
    if days:  # every day in the range, so the chart shows quiet days as zero
        first = form.start or date.fromisoformat(days[0])
        last = form.end or date.fromisoformat(days[-1])
        if (last - first).days <= 366:
            days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    trend = {"days": days, "volume": [volume.get(d, 0) for d in days],
             "negative": [negative.get(d, 0) for d in days],
             "share": [round(negative.get(d, 0) / volume[d], 3) if volume.get(d) else 0 for d in days]}

    def named(counts: dict[str, int], names, short=None) -> list[dict]:
        return [{"key": k, "name": names(k), "count": n, **({"short": short(k)} if short else {})}
                for k, n in counts.items()]

    return {
        "trend": trend,
        "total": sum(volume.values()), "negative_total": sum(negative.values()),
        # short: the chart's label (人保财险); the full name does not fit and was cut off
        "by_unit": named(ports.counts(everything, "unit"), lambda k: ports.unit_names.get(k, k),
                         lambda k: ports.unit_short.get(k, k)),
        "by_channel": named(ports.counts(everything, "channel"), labels.channel),
        "by_source": named(ports.counts(everything, "source"), lambda k: ports.source_names.get(k, k)),
        "by_level": named(ports.counts(everything, "level"), labels.level),
    }


def export_rows(ports: Ports, form: SearchForm):
    """Every matching document (up to EXPORT_MAX) as a row of EXPORT_COLUMNS keys."""
    offset = 0
    threshold = ports.config.rules.negative_threshold
    while offset < EXPORT_MAX:
        result = ports.search(form.query(ports, offset=offset, limit=min(EXPORT_PAGE, EXPORT_MAX - offset)))
        for h in result.hits:
            d = h.doc
            negative = d.negativity >= threshold
            yield {"published_at": labels.local(d.published_at or d.crawled_at, "%Y-%m-%d %H:%M", tz=ports.tz),
                   "title": d.title, "summary": trim(one_line(d.text[:SUMMARY_CHARS * 2]), SUMMARY_CHARS), "site": d.site,
                   "source": ports.source_names.get(d.source_id, d.source_id), "channel": labels.channel(d.channel),
                   "author": d.author or "",
                   "units": "、".join(ports.unit_names.get(u.unit_id, u.unit_name) for u in d.units),
                   "tendency": "负面" if negative else "非负面",
                   "level": labels.level(d.level) if d.level else "", "negativity": round(d.negativity, 3),
                   # Why it is negative, for a negative document only (a quiet one's stray hits mean nothing):
                   "risks": "、".join(dict.fromkeys(r.risk_type for r in d.reasons if r.risk_type)) if negative else "",
                   "phrases": _negative_elements(d.reasons) if negative else "", "url": d.url}
        offset += len(result.hits)
        if not result.hits or offset >= result.total:
            return


def _negative_elements(reasons: list[Reason]) -> str:
    """负面要素: the lexicon phrases found; where the model alone found a sentence negative, that sentence
    quoted (「…」), not the words 模型判断该句偏负面, which tell the reader nothing of the document."""
    phrases = [r.phrase for r in reasons if not r.by_model]
    if phrases:
        return "、".join(dict.fromkeys(phrases))
    quoted = dict.fromkeys(trim(one_line(r.sentence), QUOTE_CHARS) for r in reasons if r.by_model)
    return "；".join(f"「{q}」" for q in list(quoted)[:2] if q)


def to_csv(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([title for _, title, _ in EXPORT_COLUMNS])
    for r in rows:  # crawled text: a cell starting with = + - @ must not become a formula
        writer.writerow([cell(r[k]) for k, _, _ in EXPORT_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    wb = Workbook()
    ws = wb.active
    ws.title = "检索结果"
    ws.append([title for _, title, _ in EXPORT_COLUMNS])
    for header in ws[1]:
        header.font = Font(bold=True)
    for r in rows:
        ws.append([cell(r[k]) for k, _, _ in EXPORT_COLUMNS])
    for n, (_, _, width) in enumerate(EXPORT_COLUMNS, start=1):  # each column its own width
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
