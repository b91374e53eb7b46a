"""人工预警: raise an alert for a unit by hand from a search hit or a pasted link (console.manual),
and the tuning feedback download (漏报 and 误报, JSON lines)."""
from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from console import labels, manual
from console.routes import render
from console.security import Refused, ports_of, require, require_write
from console.users import Session
from contracts.messages import Channel, Level

router = APIRouter()


def _form(request: Request, values: dict, error: str = "", status_code: int = 200):
    ports = ports_of(request)
    doc = manual.find_document(ports, values.get("doc", ""), "" if values.get("doc") else values.get("url", ""))
    return render(request, "raise.html", {
        "v": values, "doc": doc, "error": error, "units": ports.config.members.units,
        "levels": [(lv.value, labels.level(lv)) for lv in Level],
        "channels": [(c.value, labels.channel(c)) for c in Channel],
        "source_name": ports.source_names.get(doc.source_id, doc.site) if doc else "",
    }, status_code=status_code)


@router.get("/raise")
def raise_page(request: Request, doc: str = "", url: str = "", unit: str = "",
               session: Session = Depends(require("alerts.raise"))):
    return _form(request, {"doc": doc, "url": url, "unit": unit, "level": "orange"})


@router.post("/raise")
def raise_alert(request: Request, doc: str = Form(""), url: str = Form(""), unit: str = Form(""),
                level: str = Form(""), note: str = Form(""), title: str = Form(""), text: str = Form(""),
                channel: str = Form("news"), session: Session = Depends(require_write("alerts.raise"))):
    values = {"doc": doc, "url": url, "unit": unit, "level": level, "note": note, "title": title, "text": text,
              "channel": channel}
    try:
        out = manual.raise_alert(ports_of(request), session.user, unit_id=unit, level=level, note=note, doc_id=doc,
                                 url=url, title=title, text=text, channel=channel)
    except Refused as e:
        return _form(request, values, str(e), status_code=400)
    msg = f"已发出人工预警，已通知 {out['queued']} 条（记为漏报）" if out["queued"] else "已发出人工预警（记为漏报）"
    return RedirectResponse(f"/alerts/{out['alert_id']}?msg={quote(msg)}", status_code=303)


@router.get("/feedback/feedback.jsonl")
def feedback_download(request: Request, session: Session = Depends(require("feedback"))):
    """漏报 and 误报 for the scorer's tuning, the same lines as ``yuqing feedback export``."""
    ports = ports_of(request)
    lines = [json.dumps(r, ensure_ascii=False)
             for r in manual.feedback_records(ports.casebook, ports.get_doc, ports.unit_names)]
    return Response(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"), media_type="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'})
