"""Administration: users (add, reset password, disable) and the false-alarm
feedback export for tuning the scorer (analysts may download it too)."""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.routes import render
from console.security import ports_of, require, require_write
from console.users import ROLE_LABELS, Session

router = APIRouter()


def _back(msg: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?msg={quote(msg)}", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, session: Session = Depends(require("users"))):
    ports = ports_of(request)
    return render(request, "users.html", {"users": ports.users.list_users(), "roles": ROLE_LABELS,
                                          "units": ports.unit_names})


@router.post("/admin/users")
def add_user(request: Request, username: str = Form(...), password: str = Form(...), role: str = Form(...),
             display_name: str = Form(""), unit_id: str = Form(""),
             session: Session = Depends(require_write("users"))):
    ports = ports_of(request)
    if role == "lead" and unit_id not in ports.unit_names:
        return _back("请选择单位宣传负责人所属的会员单位")
    try:
        ports.users.add_user(username, password, role, unit_id=unit_id or None, display_name=display_name,
                             now=ports.now())
    except ValueError as e:
        return _back(str(e))
    return _back(f"已添加用户 {username}")


@router.post("/admin/users/{username}")
def change_user(request: Request, username: str, password: str = Form(""), disabled: str = Form(""),
                session: Session = Depends(require_write("users"))):
    ports = ports_of(request)
    try:
        if password:
            ports.users.set_password(username, password, ports.now())
            return _back(f"已重置 {username} 的密码")
        ports.users.set_disabled(username, disabled == "1", ports.now())
        return _back(f"已{'停用' if disabled == '1' else '启用'} {username}")
    except KeyError:
        return _back(f"没有用户 {username}")
    except ValueError as e:
        return _back(str(e))


def feedback_jsonl(ports, since: datetime | None = None, unit_id: str | None = None) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False) for r in ports.casebook.false_alarms(since, unit_id)]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


@router.get("/feedback/false-alarms.jsonl")
def false_alarms(request: Request, session: Session = Depends(require("feedback"))):
    return Response(feedback_jsonl(ports_of(request)), media_type="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="false-alarms.jsonl"'})
