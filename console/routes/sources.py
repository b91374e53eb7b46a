"""Source health: each source's last success, errors and staleness; blind ones first.

A blind channel must never look like a quiet one: sources that are failing,
blind (login wall, captcha, selectors broken) or silent beyond their
expected rhythm are listed first with a red banner, and the open
operational alerts from the alert store are shown above the table.
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from console import labels
from console.ports import Ports
from console.routes import render
from console.security import ports_of, require
from console.users import Session

router = APIRouter()
BAD_STATES = ("failing", "blind", "silent")


def health_rows(ports: Ports) -> tuple[list[dict], str | None]:
    rows, note = ports.source_health()
    now = time.time()
    for r in rows:
        r["state_label"] = labels.named(labels.SOURCE_STATES, r.get("state"), "状态未知")
        r["channel_label"] = labels.channel(r.get("channel", ""))
        r["bad"] = r.get("state") in BAD_STATES
        r["staleness_label"] = labels.duration(r.get("staleness_s"))
        if r.get("staleness_s") is None and r.get("last_item_at"):
            r["staleness_label"] = labels.duration(now - _epoch(r["last_item_at"]))
    rows.sort(key=lambda r: (not r["bad"], r.get("state") == "disabled"))
    return rows, note


def _epoch(value: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(value).timestamp()


@router.get("/sources")
def sources_page(request: Request, session: Session = Depends(require("sources"))):
    ports = ports_of(request)
    rows, note = health_rows(ports)
    return render(request, "sources.html", {"rows": rows, "note": note, "ops": [labels.ops_view(o) for o in ports.ops_alerts()],
                                            "blind": [r for r in rows if r["bad"]]})
