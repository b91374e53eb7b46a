"""应急事件 pages and API: the list, one 事件 (timeline, checklist, people, 续报, close), 升级为事件
from an alert, and the 复盘 report / 专报 as HTML and Word (console.emergency_service, emergency_docs)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from console import emergency_docs
from console import emergency_service as service
from console.routes import render
from console.security import NotFound, Refused, ports_of, require, require_write
from console.users import Session

router = APIRouter()
api_router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def emergency_of_alert(request: Request, alert_id: str) -> dict | None:
    """The alert's 事件, if any (for the alert page's button); None when the ledger is unavailable."""
    try:
        return ports_of(request).emergency("of_alert", alert_id)
    except LookupError:
        return None


@router.get("/emergencies")
def emergencies_page(request: Request, status: str = "", session: Session = Depends(require("emergency.read"))):
    ports = ports_of(request)
    items = service.listing(ports, session.user, status if status in ("open", "closed") else None)
    return render(request, "emergencies.html", {"items": items, "status": status,
                                                "every_hours": service.bulletin_hours(ports)})


@router.get("/emergencies/{emergency_id}")
def emergency_page(request: Request, emergency_id: str, session: Session = Depends(require("emergency.read"))):
    return render(request, "emergency.html", {"e": service.detail(ports_of(request), session.user, emergency_id)})


@router.post("/alerts/{alert_id}/emergency")
def raise_page(request: Request, alert_id: str, reason: str = Form(""),
               session: Session = Depends(require_write("emergency.open"))):
    em = service.open_from_alert(ports_of(request), session.user, alert_id, reason=reason)
    return RedirectResponse(f"/emergencies/{em['id']}?msg={quote('已启动应急响应')}", status_code=303)


@router.post("/emergencies/{emergency_id}/action")
def action_page(request: Request, emergency_id: str, action: str = Form(...), item: str = Form(""),
                text: str = Form(""), name: str = Form(""), role: str = Form(""), phone: str = Form(""),
                email: str = Form(""), lessons: str = Form(""), session: Session = Depends(require_write())):
    try:
        service.act(ports_of(request), session.user, emergency_id, action, item=item, text=text, name=name, role=role,
                    phone=phone, email=email, lessons=lessons)
        msg = f"已{service.ACTION_LABELS.get(action, action)}"
    except Refused as e:
        msg = str(e)
    return RedirectResponse(f"/emergencies/{emergency_id}?msg={quote(msg)}", status_code=303)


def _document(request: Request, session: Session, emergency_id: str, kind: str, fmt: str) -> Response:
    ports = ports_of(request)
    if kind == "review":
        data = service.review(ports, session.user, emergency_id)
        if data["event"]["status"] != "closed":
            raise Refused("事件关闭后才能生成复盘报告")
    elif kind == "special":
        data = service.special(ports, session.user, emergency_id)
    else:
        raise NotFound(kind)
    data["issue"] = emergency_docs.issue_number(ports.issues, ports.data_dir / "reports", data)
    name = f"{'复盘报告' if kind == 'review' else '专报'}-{emergency_id}"
    if fmt == "html":
        return HTMLResponse(emergency_docs.to_html(data))
    if fmt == "docx":
        return Response(emergency_docs.to_docx(data), media_type=DOCX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.docx"})
    raise NotFound(fmt)


@router.get("/emergencies/{emergency_id}/{kind}.{fmt}")
def document_page(request: Request, emergency_id: str, kind: str, fmt: str,
                  session: Session = Depends(require("emergency.read"))):
    return _document(request, session, emergency_id, kind, fmt)


# ---------------------------------------------------------------- API (/api)

class EmergencyOpen(BaseModel):
    reason: str = Field("", max_length=500, description="启动原因（可选）")


class EmergencyAction(BaseModel):
    action: str = Field(description="tick | untick | note | person | remove_person | bulletin（立即续报） | close")
    item: str = Field("", description="清单项编号（tick / untick），如 c1")
    text: str = Field("", max_length=4000, description="记录内容（note），或处置情况小结（close）")
    name: str = Field("", max_length=50, description="责任人姓名（person / remove_person）")
    role: str = Field("", max_length=30)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=100, description="责任人邮箱：填写后也接收续报")
    lessons: str = Field("", max_length=4000, description="经验与改进（close，写入复盘报告）")


@api_router.get("/emergencies", summary="应急事件列表（单位负责人只见本单位）", tags=["应急事件"])
def api_list(request: Request, status: str = "", session: Session = Depends(require("emergency.read"))):
    return service.listing(ports_of(request), session.user, status or None)


@api_router.get("/emergencies/{emergency_id}", summary="应急事件详情：责任人、清单、续报、时间线", tags=["应急事件"])
def api_detail(request: Request, emergency_id: str, session: Session = Depends(require("emergency.read"))):
    return service.detail(ports_of(request), session.user, emergency_id)


@api_router.post("/alerts/{alert_id}/emergency", summary="升级为事件（启动应急响应；已启动则返回该事件）",
                 tags=["应急事件"])
def api_open(request: Request, alert_id: str, body: EmergencyOpen,
             session: Session = Depends(require_write("emergency.open"))):
    em = service.open_from_alert(ports_of(request), session.user, alert_id, reason=body.reason, via="api")
    return service.summary(em, ports_of(request).get_alert(alert_id))


@api_router.post("/emergencies/{emergency_id}/actions", summary="勾选清单、记录、责任人、关闭事件", tags=["应急事件"])
def api_action(request: Request, emergency_id: str, body: EmergencyAction, session: Session = Depends(require_write())):
    return service.act(ports_of(request), session.user, emergency_id, body.action, item=body.item, text=body.text,
                       name=body.name, role=body.role, phone=body.phone, email=body.email, lessons=body.lessons,
                       via="api")


@api_router.get("/emergencies/{emergency_id}/{kind}.{fmt}", tags=["应急事件"],
                summary="复盘报告（review，关闭后）或专报（special）：html 或 docx")
def api_document(request: Request, emergency_id: str, kind: str, fmt: str,
                 session: Session = Depends(require("emergency.read"))):
    return _document(request, session, emergency_id, kind, fmt)
