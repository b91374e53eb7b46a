"""Login, logout, and the one-click acknowledgement links sent in every alert message."""
from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from alerting.acklinks import InvalidAckLink
from console.routes import render
from console.security import COOKIE, client_of, ports_of, require_write, same_origin, token_of
from console.users import TooManyAttempts
from contracts.messages import AlertStatus

log = logging.getLogger(__name__)
router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only local paths: a crafted ?next=https://evil.example must not bounce users off-site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def set_session_cookie(response, request: Request, token: str) -> None:
    ports = ports_of(request)
    # Secure when configured, when the console's public address is https (behind a TLS proxy),
    # or when this request itself came over https.
    secure = (ports.console.cookie_secure or ports.settings.console_base_url.startswith("https://")
              or request.url.scheme == "https")
    response.set_cookie(COOKIE, token, max_age=int(ports.console.session_ttl), httponly=True, samesite="lax",
                        secure=secure, path="/")


@router.get("/login")
def login_page(request: Request, next: str = "/", reason: str = ""):
    return render(request, "login.html", {"next": _safe_next(next), "reason": reason, "error": ""})


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")):
    ports = ports_of(request)
    if not same_origin(request):  # login CSRF: another site must not log a browser into our console
        return render(request, "login.html", {"next": "/", "reason": "", "error": "请从本系统登录页登录"},
                      status_code=403)
    try:
        user = ports.users.authenticate(username, password, ports.now(), client_of(request))
    except TooManyAttempts as e:
        log.warning("console login locked for %r from %s", username, request.client.host if request.client else "?")
        return render(request, "login.html", {"next": _safe_next(next), "reason": "", "error": str(e)},
                      status_code=429, headers={"Retry-After": str(int(e.retry_after) + 1)})
    if user is None:
        log.info("console login failed for %r from %s", username, request.client.host if request.client else "?")
        return render(request, "login.html", {"next": _safe_next(next), "reason": "",
                                              "error": "用户名或密码错误"}, status_code=401)
    previous, _ = token_of(request)
    if previous:  # shift handover: logging in over an open session switches user and ends the old session
        ports.users.end_session(previous)
    token, _ = ports.users.create_session(user, ports.now(), ports.console.session_ttl)
    log.info("console login: %s (%s)", user.username, user.role)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.post("/logout")
async def logout(request: Request):
    await require_write()(request)
    ports = ports_of(request)
    token, _ = token_of(request)
    ports.users.end_session(token)
    response = RedirectResponse("/login?reason=" + quote("您已退出登录"), status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _people(ports, unit_id: str) -> list[str]:
    """Who a short (SMS) link may name: the unit's contacts and the duty officers, as audited."""
    unit = ports.units.get(unit_id)
    people = list(unit.contacts) if unit else []
    people += ports.config.members.association.duty_officers
    return [p.label for p in people]


def _verify(ports, token: str):
    if token.startswith("s:"):  # a short link (/a/<token>)
        first = ports.ack_signer.verify_short(token[2:], ports.now())
        alert = ports.get_alert(first.alert_id)
        return ports.ack_signer.verify_short(token[2:], ports.now(), _people(ports, alert.unit_id) if alert else [])
    return ports.ack_signer.verify(token, ports.now())


def _ack_claim(request: Request, token: str):
    """(claim, alert) for a valid link, or the error page to show."""
    ports = ports_of(request)
    try:
        claim = _verify(ports, token)
    except InvalidAckLink as e:
        return None, render(request, "ack.html", {"ok": False, "message": str(e), "alert": None}, status_code=400)
    except Exception:  # malformed payload inside a valid-looking token
        return None, render(request, "ack.html", {"ok": False, "message": "链接无效", "alert": None},
                            status_code=400)
    alert = ports.get_alert(claim.alert_id)
    if alert is None:
        return None, render(request, "ack.html", {"ok": False, "message": "预警不存在或已被清理", "alert": None},
                            status_code=404)
    return (claim, alert), None


@router.get("/ack/{token}")
def acknowledge_link(request: Request, token: str):
    """The link in SMS / email / robot messages: no login needed, the signature is the credential.

    Opening it shows the alert and a 确认收到 button; the button's post
    acknowledges. Neither the GET nor the page's script changes anything:
    mail gateways and chat apps fetch links to scan or preview them (some in
    a script-running browser), and that must not acknowledge an alert nobody
    has read, nor cancel its escalation."""
    found, error = _ack_claim(request, token)
    if error:
        return error
    claim, alert = found
    if alert.status not in (AlertStatus.new, AlertStatus.notified):
        return render(request, "ack.html", {"ok": True, "alert": alert, "who": claim.recipient,
                                            "message": _already(alert)})
    return render(request, "ack.html", {"ok": True, "confirm": True, "alert": alert, "who": claim.recipient,
                                        "token": token})


@router.get("/a/{token}")
def short_ack_link(request: Request, token: str):
    """The SMS's short link (``alerting.acklinks`` short token): the same page as ``/ack/{token}``."""
    return acknowledge_link(request, "s:" + token)


@router.post("/ack/{token}")
def acknowledge(request: Request, token: str, confirm: str = Form("")):
    """Acknowledge by link (the confirmation page's button posts here). Repeats are harmless."""
    found, error = _ack_claim(request, token)
    if error:
        return error
    claim, alert = found
    if confirm != "1":  # not the button (a bot submitting the form): show the page again, change nothing
        return render(request, "ack.html", {"ok": True, "confirm": True, "alert": alert, "who": claim.recipient,
                                            "token": token}, status_code=400)
    ports = ports_of(request)
    before = alert.status
    try:
        alert = ports.change_status(alert.id, AlertStatus.acknowledged, actor=claim.recipient, via="ack-link")
        message = "已确认收到，感谢您的及时处置。" if before is not AlertStatus.acknowledged else _already(alert)
    except ValueError:
        # Already being handled, resolved or dismissed: acknowledging adds nothing; say so plainly.
        message = _already(alert)
    return render(request, "ack.html", {"ok": True, "message": message, "alert": alert, "who": claim.recipient})


def _already(alert) -> str:
    if alert.status is AlertStatus.acknowledged:
        return "此预警此前已确认，无需重复操作。"
    return f"此预警当前状态为「{_status_label(alert.status)}」，无需再次确认。"


def _status_label(status) -> str:
    from console import labels
    return labels.status(status)


@router.get("/ops")
def ops_link():
    """Ops alert messages link to {console}/ops: the source health page shows them."""
    return RedirectResponse("/sources", status_code=303)
