"""The console's FastAPI application: built from an ``App`` (the composition root).

``create_app(backend)`` wires the ports, templates, static files (ECharts is
vendored under static/vendor/, never a CDN), the page and API routers, and
maps the console's exceptions to responses: pages get a redirect to the
login page or a Chinese error page, ``/api/*`` gets JSON with a status code.
The OpenAPI schema is at ``/api/openapi.json`` (behind login, like the API)
and listed readably at ``/api``; FastAPI's Swagger UI is off because it
loads its scripts from a CDN.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from console import labels
from console.access import can, nav
from console.ports import ConsoleBackend, Ports
from console.security import Denied, LoginRequired, NotFound, Refused, session_of
from pipeline.metrics import ready_answer

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
VERSION = "1.0"


def _templates(ports: Ports) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["local"] = lambda v, fmt="%Y-%m-%d %H:%M:%S": labels.local(v, fmt, ports.tz)
    env.filters["duration"] = labels.duration
    env.filters["person"] = labels.person
    env.filters["hours"] = lambda h: f"{h:g}"  # 12, not 12.0: this text goes to units as written
    env.globals.update(can=can, nav=nav, labels=labels, unit_names=ports.unit_names, unit_short=ports.unit_short,
                       association=ports.config.members.association.name, timezone=ports.tz.key)
    return templates


def create_app(backend: ConsoleBackend, *, schedule_reports: bool = False) -> FastAPI:
    ports = Ports(backend)

    @asynccontextmanager
    async def lifespan(web: FastAPI):
        scheduler = None
        if schedule_reports:
            from console.reports.service import ReportScheduler
            scheduler = ReportScheduler(web.state.reports)
            scheduler.start()
        try:
            yield
        finally:
            web.state.stopping.set()
            if scheduler:
                scheduler.stop()
            ports.close()

    web = FastAPI(title="舆情监测控制台 API", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="吉林省保险行业协会舆情监测控制台的 HTTP API。登录：POST /api/session 获取令牌，"
                              "之后以 `Authorization: Bearer <token>` 调用；浏览器会话（Cookie）同样有效，"
                              "写操作需带 `X-CSRF-Token`。")
    from console.reports.service import ReportService
    web.state.ports = ports
    web.state.stopping = threading.Event()
    web.state.reports = ReportService(ports)
    web.state.templates = _templates(ports)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from console.routes import admin, alerts, api, auth, emergency, manual, receipts, reports, search, sources, wall
    for module in (auth, alerts, emergency, search, reports, sources, admin, receipts, wall, manual):
        web.include_router(module.router, include_in_schema=False)
    web.include_router(api.router, prefix="/api")
    web.include_router(emergency.api_router, prefix="/api")
    _handlers(web)

    @web.get("/ready", include_in_schema=False)
    def ready() -> PlainTextResponse:
        """The readiness probe (no login): 503 while a store this console needs cannot be reached."""
        status, text = ready_answer(backend.ready())
        return PlainTextResponse(text, status_code=status)

    @web.middleware("http")
    async def hardening_headers(request: Request, call_next):
        response = await call_next(request)
        # No framing (clickjacking of the ack and action buttons), no MIME sniffing, and
        # no Referer with an ack token in it leaving for the sites the pages link to.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return web


RETRY_AFTER = 30  # seconds: what a 503 asks clients to wait


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _page(request: Request, status: int, title: str, message: str):
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"session": session_of(request), "title": title,
                                                              "message": message}, status_code=status)


def _handlers(web: FastAPI) -> None:
    @web.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if _wants_json(request):
            return JSONResponse({"detail": exc.reason}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}&reason={quote(exc.reason)}", status_code=303)

    @web.exception_handler(Denied)
    async def denied(request: Request, exc: Denied):
        message = "页面已过期，请刷新后重试" if str(exc) == "csrf" else (exc.message or "您的账号没有此项权限")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=403)
        return _page(request, 403, "无权访问", message)

    @web.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        if _wants_json(request):
            return JSONResponse({"detail": "未找到"}, status_code=404)
        return _page(request, 404, "未找到", "没有这条记录，或您无权查看。")

    @web.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return _page(request, 409, "无法执行", str(exc))

    @web.exception_handler(sqlite3.OperationalError)
    async def store_unavailable(request: Request, exc: sqlite3.OperationalError):
        # A store locked by another process, a read-only or full data folder: say so, ask to retry.
        log.error("console: store unavailable: %s (%s %s)", exc, request.method, request.url.path)
        headers = {"Retry-After": str(RETRY_AFTER)}
        if _wants_json(request):
            return JSONResponse({"detail": "数据库暂时不可用，请稍后重试"}, status_code=503, headers=headers)
        page = _page(request, 503, "暂时不可用", f"数据库暂时不可用（可能正在维护或被占用），请 {RETRY_AFTER} 秒后重试。")
        page.headers["Retry-After"] = str(RETRY_AFTER)
        return page

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
        return _page(request, 422, "输入有误", "请检查填写的内容（日期格式如 2026-01-31）。")


def jsonable(errors) -> list:
    return [{k: (v if isinstance(v, (str, int, float, list, type(None))) else str(v)) for k, v in e.items()}
            for e in errors]
