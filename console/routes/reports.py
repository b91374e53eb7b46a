"""Report pages: the list of 日报/周报, on-demand generation, downloads."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from console.routes import render
from console.security import NotFound, Refused, require, require_write
from console.users import Session

router = APIRouter()

MEDIA = {"html": "text/html; charset=utf-8",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@router.get("/reports")
def reports_page(request: Request, session: Session = Depends(require("reports.read"))):
    service = request.app.state.reports
    return render(request, "reports.html", {"reports": service.list(), "today": service.today().isoformat()})


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refused("日期格式应为 YYYY-MM-DD") from None


@router.post("/reports")
async def generate_report(request: Request, kind: str = Form("daily"), day: str = Form(""),
                          session: Session = Depends(require_write("reports.generate"))):
    if kind not in ("daily", "weekly"):
        raise Refused("报告类型应为日报或周报")
    entry = await run_in_threadpool(request.app.state.reports.generate, kind, parse_day(day))
    return RedirectResponse(f"/reports?msg={quote('已生成' + entry['title'] + '：' + entry['period'])}",
                            status_code=303)


def report_file(request: Request, filename: str) -> FileResponse:
    path = request.app.state.reports.path(filename)
    if path is None:
        raise NotFound(filename)
    ext = filename.rsplit(".", 1)[1]
    disposition = "inline" if ext == "html" else "attachment"
    return FileResponse(path, media_type=MEDIA[ext], headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})


@router.get("/reports/files/{filename}")
def report_download(request: Request, filename: str, session: Session = Depends(require("reports.read"))):
    return report_file(request, filename)
