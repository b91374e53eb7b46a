"""The duty room's wall screen (大屏): ``/wall`` and its data, ``/api/wall``.

Read from 3 m: today's counts by level, the unacknowledged and escalated
alerts, each unit's status, the last 24 hours by hour, blind channels and
who is on duty now (the rota, through ``ConsoleBackend.on_duty``), and the pipeline-health banner
(console/pipeline_health.py; also ``/api/health`` for the feed). The page
refreshes itself from ``/api/wall`` every few seconds and whenever the live
stream reports a change; it needs no interaction and reconnects by itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request

from console import alert_service, labels
from console.ports import Ports
from console.routes import render
from console.routes.sources import health_rows
from console.security import ports_of, require
from console.users import Session
from contracts.messages import Level

router = APIRouter()
LEVELS = [lv.value for lv in Level]


def wall_data(ports: Ports, session: Session) -> dict:
    now = ports.now().astimezone(ports.tz)
    alerts = alert_service.feed(ports, session.user, limit=500)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    hours = [now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23 - i) for i in range(24)]
    trend = [0] * 24
    counts = dict.fromkeys(LEVELS, 0)
    units: dict[str, dict] = {u.id: {"id": u.id, "short": u.short, "name": u.name, "open": 0, "unack": 0,
                                     "escalated": 0, "worst": None} for u in ports.config.members.units}
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    for a in alerts:
        detected = datetime.fromisoformat(a["detected_at"]).astimezone(ports.tz)
        if detected >= today:
            counts[a["level"]] = counts.get(a["level"], 0) + 1
        slot = int((detected - hours[0]).total_seconds() // 3600)
        if 0 <= slot < 24:
            trend[slot] += 1
        u = units.get(a["unit_id"])
        if u is None or a["status"] in ("resolved", "dismissed"):
            continue
        u["open"] += 1
        u["unack"] += a["unacknowledged"]
        u["escalated"] += a["escalated"]
        if u["worst"] is None or rank[a["level"]] < rank[u["worst"]]:
            u["worst"] = a["level"]
    rows, _ = health_rows(ports)
    blind = [{"name": r.get("name") or r.get("source_id"), "channel": r["channel_label"], "state": r["state_label"]}
             for r in rows if r["bad"]]
    waiting = [a for a in alerts if a["unacknowledged"]][:12]
    return {
        "now": now.isoformat(), "counts": [{"level": lv, "label": labels.level(lv), "count": counts[lv]} for lv in LEVELS],
        "today_total": sum(counts.values()),
        "unacknowledged": sum(1 for a in alerts if a["unacknowledged"]),
        "escalated": sum(1 for a in alerts if a["escalated"]),
        "waiting": [{"id": a["id"], "level": a["level"], "level_label": a["level_label"], "unit": a["unit_short"],
                     "title": a["title"], "detected_at": a["detected_at"], "escalation": a["escalation"]["label"],
                     "next_at": a["escalation"]["next_at"], "emergency": a["emergency"],
                     # held for the duty officers' 复核并转发: the unit is not told yet, and when it will be
                     "review_due": a["review"]["due_at"] if a["awaiting_review"] else None} for a in waiting],
        "units": sorted(units.values(), key=lambda u: (-u["escalated"], -u["unack"], rank.get(u["worst"] or "", 9),
                                                        u["short"])),
        "trend": [{"hour": h.strftime("%H时"), "count": n} for h, n in zip(hours, trend, strict=True)],
        "blind": blind,
        "on_duty": ports.on_duty(),
        "health": health_for(ports, session),
    }


def health_for(ports: Ports, session: Session) -> dict:
    """The pipeline-health banner as ``session``'s user may see it: a unit's lead sees what is late about its
    own unit's alerts, and the pipeline-wide stalls (PipelineHealth.read)."""
    lead = session.user.role == "lead"
    health = ports.pipeline_health((session.user.unit_id or "") if lead else None)
    return {**health, "now": ports.now().isoformat()}


@router.get("/wall")
def wall_page(request: Request, session: Session = Depends(require("wall"))):
    ports = ports_of(request)
    return render(request, "wall.html", {"wall": wall_data(ports, session), "cursor": ports.last_change()})


@router.get("/api/health")
def health_api(request: Request, session: Session = Depends(require("feed"))) -> dict:
    """The banner's problems (the feed polls this), with the server's time for the page's clocks."""
    return health_for(ports_of(request), session)


@router.get("/api/wall")
def wall_api(request: Request, session: Session = Depends(require("wall"))) -> dict:
    return wall_data(ports_of(request), session)
