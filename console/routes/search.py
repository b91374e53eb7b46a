"""Search pages for analysts: the form, results with highlights, charts, export.

``search_form`` is the one parser of search parameters, shared with the API
(so the page, the export and ``GET /api/search`` accept the same names).
Unknown channel / level values are dropped rather than rejected: a stale
bookmark should still search. Empty dates and an empty minimum negativity
mean "not set": a browser submits the form's empty fields as ``start=&end=``.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BeforeValidator

from console import labels, search_service
from console.access import unit_scope
from console.routes import render
from console.search_service import PAGE_SIZES, SORTS, SearchForm
from console.security import ports_of, require, session_of
from console.users import Session
from contracts.messages import CHANNEL_LABELS, Channel, Level

router = APIRouter()


def _blank_is_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def _date_or_none(value):
    """Empty: not set; a date as typed in the date fields (2026/12/1, 2026年12月1日) read as YYYY-MM-DD."""
    value = _blank_is_none(value)
    return labels.date_text(value) if isinstance(value, str) else value


FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)  # what a search date may be
Blank = BeforeValidator(_blank_is_none)  # after Query() inside Annotated, or FastAPI drops it
Day = BeforeValidator(_date_or_none)


CHANNEL_HELP = "渠道：" + ", ".join(c.value for c in Channel)


def search_form(request: Request, q: str = Query("", description="全文检索词（标题与正文，jieba 分词，多个词同时出现）"),
                start: Annotated[date | None, Query(description="起始日期（含），YYYY-MM-DD，按设置时区"), Day] = None,
                end: Annotated[date | None, Query(description="结束日期（含），YYYY-MM-DD"), Day] = None,
                unit: list[str] = Query([], description="会员单位 id，可多个"),
                channel: list[str] = Query([], description=CHANNEL_HELP),
                source: list[str] = Query([], description="信息源 id，可多个"),
                level: list[str] = Query([], description="等级：red, orange, yellow, blue"),
                min_negativity: Annotated[float | None, Query(ge=0, le=1, description="最低负面度 0–1"), Blank] = None,
                sort: str = Query("time_desc", description="排序：" + ", ".join(SORTS)),
                page: int = Query(1, ge=1, le=10_000),
                size: int = Query(20, ge=1, le=100)) -> SearchForm:
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:  # end=9999-12-31 once overflowed into a 500
            raise RequestValidationError([{"type": "value_error", "loc": ("query", name), "input": day.isoformat(),
                                           "msg": f"日期超出范围（{FIRST_DAY} 至 {LAST_DAY}）"}])
    channels = {c.value for c in Channel}
    levels = {lv.value for lv in Level}
    session = session_of(request)
    scope = unit_scope(session.user) if session else None
    if scope is not None:  # a unit lead searches, exports and counts its own unit only
        unit = [scope]
    return SearchForm(q=q, start=start, end=end, units=[u for u in unit if u],
                      channels=[c for c in channel if c in channels], sources=[s for s in source if s],
                      levels=[lv for lv in level if lv in levels], min_negativity=min_negativity,
                      sort=sort if sort in SORTS else "time_desc", page=page, size=size)


def form_params(form: SearchForm, **override) -> str:
    """The query string for ``form`` (paging links, export links)."""
    params: list[tuple[str, str]] = [("q", form.q)]
    if form.start:
        params.append(("start", form.start.isoformat()))
    if form.end:
        params.append(("end", form.end.isoformat()))
    params += [("unit", u) for u in form.units] + [("channel", c.value) for c in form.channels]
    params += [("source", s) for s in form.sources] + [("level", lv.value) for lv in form.levels]
    if form.min_negativity is not None:
        params.append(("min_negativity", str(form.min_negativity)))
    params += [("sort", form.sort), ("size", str(form.size))]
    params += [(k, str(v)) for k, v in override.items()]
    return urlencode(params)


def active_filters(form: SearchForm, units: dict[str, str], sources: dict[str, str]) -> str:
    """The folded filters as one line (会员单位：人保财险 · 渠道：新闻 · 等级：红色); when none is set, what
    is searched: 未设（全部单位、渠道、等级）. A unit's lead (one unit, no list) is not told its own unit:
    未设（全部渠道、等级）."""
    parts = []
    if form.units and len(units) > 1:
        parts.append("会员单位：" + "、".join(units.get(u, u) for u in form.units))
    if form.sources:
        parts.append("信息源：" + "、".join(sources.get(s, s) for s in form.sources))
    if form.channels:
        parts.append("渠道：" + "、".join(labels.channel(c) for c in form.channels))
    if form.levels:
        parts.append("等级：" + "、".join(labels.level(lv) for lv in form.levels))
    if form.min_negativity is not None:
        parts.append(f"负面度 ≥ {form.min_negativity:g}")
    if form.sort != "time_desc":
        parts.append("排序：" + SORTS.get(form.sort, form.sort))
    if not parts:
        return "未设（全部单位、渠道、等级）" if len(units) > 1 else "未设（全部渠道、等级）"
    return " · ".join(parts)


@router.get("/search")
def search_page(request: Request, form: SearchForm = Depends(search_form),
                session: Session = Depends(require("search"))):
    ports = ports_of(request)
    results = search_service.run(ports, form)
    units = {k: v for k, v in ports.unit_names.items() if unit_scope(session.user) in (None, k)}
    unit_labels = {k: ports.unit_short.get(k, v) for k, v in units.items()}  # 国寿吉林; the full name on hover
    return render(request, "search.html", {
        "form": form, "results": results, "params": form_params(form),
        "page_link": lambda p: "/search?" + form_params(form, page=p),
        "units": units, "unit_labels": unit_labels, "sources": ports.source_names,
        "active": active_filters(form, unit_labels, ports.source_names),
        "channels": {c.value: label for c, label in CHANNEL_LABELS.items()},
        "levels": {lv.value: labels.level(lv) for lv in Level}, "sorts": SORTS, "page_sizes": PAGE_SIZES,
        "negative_threshold": ports.config.rules.negative_threshold,
    })


def export_response(ports, form: SearchForm, fmt: str) -> Response:
    rows = search_service.export_rows(ports, form)
    stamp = ports.now().astimezone(ports.tz).strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        return Response(search_service.to_xlsx(rows),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="yuqing-search-{stamp}.xlsx"'})
    return Response(search_service.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="yuqing-search-{stamp}.csv"'})


@router.get("/search/export.{fmt}")
def search_export(request: Request, fmt: str, form: SearchForm = Depends(search_form),
                  session: Session = Depends(require("export"))):
    return export_response(ports_of(request), form, "xlsx" if fmt == "xlsx" else "csv")
