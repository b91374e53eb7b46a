"""Report pages: the list of 日报/周报, on-demand generation, downloads.

A unit's publicity lead reads and generates its own unit's reports only: the
unit comes from the session, and a request naming another unit (or the whole
association) is refused. Others read the association's reports and may
generate any unit's own report (``unit``).
"""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from console import labels
from console.access import unit_scope
from console.routes import render
from console.security import Denied, NotFound, Refused, ports_of, require, require_write
from console.users import Session

router = APIRouter()

MEDIA = {"html": "text/html; charset=utf-8",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def report_unit(request: Request, session: Session, asked: str | None) -> str | None:
    """The unit a report request is for: a lead's own (fixed by the session), else the one asked (None: every unit)."""
    ports = ports_of(request)
    asked = (asked or "").strip() or None
    scope = unit_scope(session.user)
    if scope is not None:
        if asked not in (None, scope):
            raise Denied("reports.unit", f"只能查看和生成本单位（{ports.unit_short.get(scope, scope)}）的舆情报告，"
                                         "不能查看其他单位或全协会的报告")
        return scope
    if asked is not None and asked not in ports.units:
        raise NotFound(asked)
    return asked


def report_list(request: Request, session: Session, unit: str | None = None) -> list[dict]:
    scope = report_unit(request, session, unit)
    return request.app.state.reports.list(scope, every_unit=scope is None and not unit)


@router.get("/reports")
def reports_page(request: Request, session: Session = Depends(require("reports.read"))):
    service, ports = request.app.state.reports, ports_of(request)
    scope = unit_scope(session.user)
    units = [] if scope is not None else [(u, ports.unit_short[u]) for u in ports.units]
    return render(request, "reports.html", {"reports": report_list(request, session), "today": service.today().isoformat(),
                                            "scope": ports.unit_short.get(scope) if scope else None, "units": units})


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(labels.date_text(value))
    except ValueError:
        raise Refused("日期格式应为 YYYY-MM-DD") from None


async def generate_for(request: Request, session: Session, kind: str, day: str | None, unit: str | None) -> dict:
    if kind not in ("daily", "weekly"):
        raise Refused("报告类型应为日报或周报")
    scope = report_unit(request, session, unit)
    return await run_in_threadpool(request.app.state.reports.generate, kind, parse_day(day), scope)


@router.post("/reports")
async def generate_report(request: Request, kind: str = Form("daily"), day: str = Form(""), unit: str = Form(""),
                          session: Session = Depends(require_write("reports.generate"))):
    entry = await generate_for(request, session, kind, day, unit)
    return RedirectResponse(f"/reports?msg={quote('已生成' + entry['title'] + '：' + entry['period'])}",
                            status_code=303)


def report_file(request: Request, session: Session, filename: str, unit: str | None = None) -> FileResponse:
    service, scope = request.app.state.reports, report_unit(request, session, unit)
    if scope is not None and service.path(filename, scope) is not None:
        service.refresh(filename, scope)  # an alert held when it was made has been forwarded since: made again
    path = service.path(filename, scope)
    if path is None:
        raise NotFound(filename)
    ext = filename.rsplit(".", 1)[1]
    disposition = "inline" if ext == "html" else "attachment"
    return FileResponse(path, media_type=MEDIA[ext], headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})


@router.get("/reports/files/{filename}")
def report_download(request: Request, filename: str, unit: str | None = Query(None),
                    session: Session = Depends(require("reports.read"))):
    return report_file(request, session, filename, unit)
