"""Alert pages: the live feed (duty officers, leads) and one alert's detail with its actions."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from console import alert_service
from console.access import ACTION_LABELS, ACTIONS, can
from console.routes import render
from console.security import Refused, ports_of, require, require_write
from console.users import Session
from contracts.messages import Level

router = APIRouter()


@router.get("/")
def feed_page(request: Request, session: Session = Depends(require("feed")), status: str = "", level: str = ""):
    ports = ports_of(request)
    # The cursor is read before the list: a change between the two is sent
    # again by the stream (harmless upsert), never lost.
    cursor = ports.last_change()
    alerts = alert_service.feed(ports, session.user, status=status or None, level=level or None)
    ops = ports.ops_alerts() if can(session.user, "sources") else []
    return render(request, "feed.html", {
        "alerts": alerts, "cursor": cursor, "ops": ops, "status": status, "level": level,
        "levels": list(Level), "actions": {a: ACTION_LABELS[a] for a in ACTIONS},
        "feed_interval": ports.console.feed_interval,
    })


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, session: Session = Depends(require("feed"))):
    ports = ports_of(request)
    detail = alert_service.detail(ports, session.user, alert_id)
    return render(request, "alert.html", {"a": detail})


@router.post("/alerts/{alert_id}/action")
def alert_action(request: Request, alert_id: str, action: str = Form(...), text: str = Form(""),
                 assignee: str = Form(""), session: Session = Depends(require_write())):
    """Form post from the detail page (the feed uses the API with fetch)."""
    ports = ports_of(request)
    try:
        alert_service.act(ports, session.user, alert_id, action, text=text, assignee=assignee, via="console")
        msg = f"已{ACTION_LABELS.get(action, action)}"
    except Refused as e:
        msg = str(e)
    return RedirectResponse(f"/alerts/{alert_id}?msg={quote(msg)}", status_code=303)
