"""Page routes by area (auth, alerts, search, reports, sources, admin), the JSON API (api)
and the SMS providers' delivery-receipt callbacks (receipts)."""
from __future__ import annotations

from fastapi import Request

from console.security import session_of


def render(request: Request, name: str, context: dict, status_code: int = 200, headers: dict | None = None):
    """A template with what every page needs: the session (user, CSRF token) and a one-line message."""
    ctx = {"session": session_of(request), "msg": request.query_params.get("msg", ""), **context}
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                                        headers=headers)
