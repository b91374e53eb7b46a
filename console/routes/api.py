"""The HTTP API (``/api``): everything the pages do, as JSON, behind the same login.

Authenticate with ``POST /api/session`` (returns a bearer token and sets the
browser cookie). Pages and API share the services (``alert_service``,
``search_service``, reports), so the rules — unit scope, permissions,
audit — are the same whichever way a request comes in; API actions are
audited with ``via="api"``.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from console import alert_service, manual, search_service
from console.access import PERMISSIONS
from console.feed import alert_events
from console.routes import render
from console.routes.admin import feedback_jsonl
from console.routes.auth import set_session_cookie
from console.routes.reports import generate_for, report_file, report_list
from console.routes.search import export_response, search_form
from console.routes.sources import health_rows
from console.schemas import (
    ActionRequest,
    AlertDetail,
    AlertSummary,
    ForwardRequest,
    LoginRequest,
    MeOut,
    RaiseOut,
    RaiseRequest,
    ReportRequest,
    SearchOut,
    SessionOut,
    UserChange,
    UserCreate,
    UserOut,
)
from console.search_service import SearchForm
from console.security import (
    COOKIE,
    LoginRequired,
    NotFound,
    Refused,
    client_of,
    current_session,
    ports_of,
    require,
    require_write,
    token_of,
)
from console.users import Session, TooManyAttempts

router = APIRouter()


def _me(session: Session) -> dict:
    return {"user": session.user.to_dict(), "permissions": sorted(PERMISSIONS.get(session.user.role, ())),
            "csrf": session.csrf, "expires_at": session.expires_at.isoformat()}


@router.get("", include_in_schema=False)
def api_index(request: Request, session: Session = Depends(current_session)):
    """A readable list of the endpoints (Swagger UI would need a CDN)."""
    schema = request.app.openapi()
    endpoints = [(method.upper(), path, op.get("summary", ""), (op.get("description") or "").strip())
                 for path, ops in schema["paths"].items() for method, op in ops.items()]
    return render(request, "api.html", {"endpoints": endpoints, "description": schema["info"].get("description")})


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, session: Session = Depends(current_session)):
    return JSONResponse(request.app.openapi())


# ------------------------------------------------------------------ session

@router.post("/session", response_model=SessionOut, summary="登录，获取会话令牌", tags=["会话"])
def api_login(request: Request, body: LoginRequest):
    ports = ports_of(request)
    try:
        user = ports.users.authenticate(body.username, body.password, ports.now(), client_of(request))
    except TooManyAttempts as e:
        return JSONResponse({"detail": str(e)}, status_code=429, headers={"Retry-After": str(int(e.retry_after) + 1)})
    if user is None:
        raise LoginRequired("用户名或密码错误")
    token, session = ports.users.create_session(user, ports.now(), ports.console.session_ttl)
    response = JSONResponse({"token": token, **_me(session)})
    set_session_cookie(response, request, token)
    return response


@router.delete("/session", summary="退出登录", tags=["会话"])
async def api_logout(request: Request, session: Session = Depends(require_write())):
    ports_of(request).users.end_session(token_of(request)[0])
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, summary="当前用户与权限", tags=["会话"])
def me(session: Session = Depends(current_session)):
    return _me(session)


# ------------------------------------------------------------------ alerts

@router.get("/alerts", response_model=list[AlertSummary], summary="预警列表（单位负责人只见本单位）", tags=["预警"])
def list_alerts(request: Request, session: Session = Depends(require("feed")),
                status: str | None = Query(None, description="状态；open = 未处置完毕的，review = 待复核"),
                level: str | None = Query(None), limit: int = Query(200, ge=1, le=2000)):
    return alert_service.feed(ports_of(request), session.user, limit=limit, status=status, level=level)


@router.get("/alerts/stream", summary="实时预警推送（Server-Sent Events）", tags=["预警"],
            description="text/event-stream：`event: alert` 的 data 为预警摘要 JSON，新预警与状态变化在 2 秒内推送；"
                        "`id` 为游标，断线重连时浏览器以 Last-Event-ID 续传。")
async def stream(request: Request, session: Session = Depends(require("feed")),
                 since: int | None = Query(None, description="从此游标之后开始（默认：现在）"),
                 last_event_id: str | None = Header(None)):
    if last_event_id and last_event_id.isdigit():
        since = int(last_event_id)
    return StreamingResponse(alert_events(request, session, since), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="预警详情", tags=["预警"])
def get_alert(request: Request, alert_id: str, session: Session = Depends(require("feed"))):
    return alert_service.detail(ports_of(request), session.user, alert_id)


@router.post("/alerts/{alert_id}/actions", response_model=AlertSummary, tags=["预警"],
             summary="确认、指派、处置记录、处置完毕、误报、重新打开")
def alert_action(request: Request, alert_id: str, body: ActionRequest,
                 session: Session = Depends(require_write())):
    return alert_service.act(ports_of(request), session.user, alert_id, body.action, text=body.text,
                             assignee=body.assignee, via="api")


@router.post("/alerts/{alert_id}/forward", response_model=AlertSummary, tags=["预警"],
             summary="复核并转发：把待复核预警连同研判意见与建议发给单位（仅一次）")
def forward_alert(request: Request, alert_id: str, body: ForwardRequest, session: Session = Depends(require_write())):
    return alert_service.forward(ports_of(request), session.user, alert_id, notes=body.notes, advice=body.advice,
                                 via="api")


@router.post("/alerts/raise", response_model=RaiseOut, tags=["预警"],
             summary="人工预警：为会员单位发出预警（按该单位的通知规则发送），并记为漏报")
def raise_alert(request: Request, body: RaiseRequest, session: Session = Depends(require_write("alerts.raise"))):
    return manual.raise_alert(ports_of(request), session.user, unit_id=body.unit_id, level=body.level, note=body.note,
                              doc_id=body.doc_id, url=body.url, title=body.title, text=body.text,
                              channel=body.channel, via="api")


@router.get("/feedback/false-alarms", summary="误报反馈（JSON Lines，供调优）", tags=["预警"])
def false_alarms(request: Request, session: Session = Depends(require("feedback"))):
    return Response(feedback_jsonl(ports_of(request)), media_type="application/x-ndjson")


# ------------------------------------------------------------------ search

@router.get("/search", response_model=SearchOut, summary="全文检索（高亮、筛选、排序、分页）", tags=["检索"])
def search(request: Request, form: SearchForm = Depends(search_form), session: Session = Depends(require("search"))):
    return search_service.run(ports_of(request), form)


@router.get("/search/stats", summary="趋势（每日信息量与负面占比）及单位、渠道、信息源分布", tags=["检索"])
def stats(request: Request, form: SearchForm = Depends(search_form), session: Session = Depends(require("search"))):
    return search_service.stats(ports_of(request), form)


@router.get("/search/export", summary="导出检索结果（CSV 或 Excel）", tags=["检索"])
def export(request: Request, form: SearchForm = Depends(search_form),
           format: str = Query("csv", pattern="^(csv|xlsx)$"), session: Session = Depends(require("export"))):
    return export_response(ports_of(request), form, format)


# ------------------------------------------------------------------ reports and sources

UNIT_HELP = "会员单位 id：该单位自己的报告；单位宣传负责人只能是本单位（默认即本单位）"


@router.get("/reports", summary="已生成的日报 / 周报（单位宣传负责人：本单位的）", tags=["报告"])
def reports(request: Request, unit: str | None = Query(None, description=UNIT_HELP),
            session: Session = Depends(require("reports.read"))):
    return report_list(request, session, unit)


@router.post("/reports", summary="立即生成日报或周报（HTML + Word；可只含一个会员单位）", tags=["报告"])
async def generate(request: Request, body: ReportRequest, session: Session = Depends(require_write("reports.generate"))):
    return await generate_for(request, session, body.kind, body.day, body.unit)


@router.get("/reports/{filename}", summary="下载报告文件（.html / .docx）", tags=["报告"])
def report_download(request: Request, filename: str, unit: str | None = Query(None, description=UNIT_HELP),
                    session: Session = Depends(require("reports.read"))):
    return report_file(request, session, filename, unit)


@router.get("/sources", summary="信息源健康状态（最近成功、错误、停滞时长；失明渠道在前）", tags=["信息源"])
def sources(request: Request, session: Session = Depends(require("sources"))):
    ports = ports_of(request)
    rows, note = health_rows(ports)
    return {"sources": rows, "note": note, "ops_alerts": ports.ops_alerts()}


# ------------------------------------------------------------------ users (admin)

@router.get("/users", response_model=list[UserOut], summary="用户列表", tags=["用户"])
def users(request: Request, session: Session = Depends(require("users"))):
    return [u.to_dict() for u in ports_of(request).users.list_users()]


@router.post("/users", response_model=UserOut, summary="添加用户", tags=["用户"])
def add_user(request: Request, body: UserCreate, session: Session = Depends(require_write("users"))):
    ports = ports_of(request)
    if body.role == "lead" and body.unit_id not in ports.unit_names:
        raise Refused("单位宣传负责人必须指定有效的会员单位")
    try:
        return ports.users.add_user(body.username, body.password, body.role, unit_id=body.unit_id,
                                    display_name=body.display_name, now=ports.now()).to_dict()
    except ValueError as e:
        raise Refused(str(e)) from None


@router.patch("/users/{username}", response_model=UserOut, summary="重置密码 / 停用 / 启用", tags=["用户"])
def change_user(request: Request, username: str, body: UserChange, session: Session = Depends(require_write("users"))):
    ports = ports_of(request)
    try:
        if body.password:
            ports.users.set_password(username, body.password, ports.now())
        if body.disabled is not None:
            ports.users.set_disabled(username, body.disabled, ports.now())
    except KeyError:
        raise NotFound(username) from None
    except ValueError as e:
        raise Refused(str(e)) from None
    user = ports.users.get_user(username)
    if user is None:  # deleted meanwhile
        raise NotFound(username)
    return user.to_dict()
