"""Alert pages: the live feed (duty officers, leads) and one alert's detail with its actions."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from console import alert_service, labels
from console.access import ACTION_LABELS, ACTIONS, can, unit_scope
from console.routes import render
from console.routes.emergency import emergency_of_alert
from console.routes.wall import health_for
from console.security import Refused, ports_of, require, require_write
from console.users import Session
from contracts.messages import Channel, Level

router = APIRouter()


FILTERS = ("q", "status", "level", "unit", "channel", "source", "risk", "time", "sort")


@router.get("/")
def feed_page(request: Request, session: Session = Depends(require("feed"))):
    """The feed; filters, search and sort run in the page (feed.js) and are kept in the query string."""
    ports = ports_of(request)
    f = {k: request.query_params.get(k, "") for k in FILTERS}
    f["sort"] = f["sort"] or "duty"
    # The cursor is read before the list: a change between the two is sent
    # again by the stream (harmless upsert), never lost.
    cursor = ports.last_change()
    alerts = alert_service.feed(ports, session.user)
    ops = ports.ops_alerts() if can(session.user, "sources") else []
    scope = unit_scope(session.user)
    units = [u for u in ports.config.members.units if scope is None or u.id == scope]
    sources = sorted({s.name for s in ports.config.sources} | {a["source_name"] for a in alerts})
    return render(request, "feed.html", {
        "alerts": alerts, "cursor": cursor, "ops": [labels.ops_view(o) for o in ops], "f": f,
        "levels": list(Level), "actions": {a: ACTION_LABELS[a] for a in ACTIONS},
        "units": units, "channels": [(c.value, labels.channel(c)) for c in Channel], "sources": sources,
        "risks": sorted({r for a in alerts for r in a["risk_types"]}),
        "feed_interval": ports.console.feed_interval, "now_iso": ports.now().isoformat(),
        "health": health_for(ports, session),
    })


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, session: Session = Depends(require("feed"))):
    ports = ports_of(request)
    detail = alert_service.detail(ports, session.user, alert_id)
    return render(request, "alert.html", {"a": detail, "emergency": emergency_of_alert(request, alert_id)})


@router.post("/alerts/{alert_id}/action")
def alert_action(request: Request, alert_id: str, action: str = Form(...), text: str = Form(""),
                 assignee: str = Form(""), session: Session = Depends(require_write())):
    """Form post from the detail page (the feed uses the API with fetch)."""
    ports = ports_of(request)
    try:
        out = alert_service.act(ports, session.user, alert_id, action, text=text, assignee=assignee, via="console")
        msg = alert_service.done_message(action, out)
    except Refused as e:
        msg = str(e)
    return RedirectResponse(f"/alerts/{alert_id}?msg={quote(msg)}", status_code=303)


@router.post("/alerts/{alert_id}/forward")
def alert_forward(request: Request, alert_id: str, notes: str = Form(""), advice: str = Form(""),
                  session: Session = Depends(require_write())):
    """复核并转发 from the detail page: the unit's held messages go out with these notes and advice."""
    ports = ports_of(request)
    try:
        alert_service.forward(ports, session.user, alert_id, notes=notes, advice=advice, via="console")
        msg = "已复核并转发单位"
    except Refused as e:
        msg = str(e)
    return RedirectResponse(f"/alerts/{alert_id}?msg={quote(msg)}", status_code=303)
