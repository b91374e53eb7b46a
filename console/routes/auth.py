"""Login, logout, and the one-click acknowledgement links sent in every alert message."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from alerting.acklinks import SHORT_ID_CHARS, AckClaim, InvalidAckLink
from console import alert_service, labels
from console.routes import render
from console.security import COOKIE, Refused, client_of, ports_of, require_write, same_origin, token_of
from console.users import TooManyAttempts
from contracts.messages import AlertStatus
from pipeline.config.members import GROUP_SUFFIX, Contact

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
        log.warning("console login locked for %r from %s", username, client_of(request) or "?")
        return render(request, "login.html", {"next": _safe_next(next), "reason": "", "error": str(e)},
                      status_code=429, headers={"Retry-After": str(int(e.retry_after) + 1)})
    if user is None:
        log.info("console login failed for %r from %s", username, client_of(request) or "?")
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


def _verify(ports, token: str):
    if token.startswith("s:") and len(token) == 2 + SHORT_ID_CHARS:  # an SMS's short id (/a/<code>)
        link = ports.short_link(token[2:])
        if link is None:
            raise InvalidAckLink("链接无效，请从短信中完整复制，或登录控制台处理")
        if ports.now() >= link.expires:
            raise InvalidAckLink("链接已过期，请登录控制台确认")
        return AckClaim(link.alert_id, link.recipient, link.expires)
    if token.startswith("s:"):  # not an id the store could know (alerting/acklinks.py: no other SMS format)
        raise InvalidAckLink("链接无效，请从短信中完整复制，或登录控制台处理")
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


GROUP = GROUP_SUFFIX  # how a group robot recipient's name ends (RobotConfig.recipient)
MAX_WRONG_DIGITS = 5  # wrong phone digits per alert within WRONG_WINDOW before the group link refuses
WRONG_WINDOW = timedelta(minutes=15)
_wrong: dict[str, list[datetime]] = {}
_wrong_lock = threading.Lock()


def _page(request: Request, claim, alert, token: str, status_code: int = 200, **extra):
    """The ack page: the alert, the article, why it was flagged, the 研判 card's advice, and what
    the link's holder may do next (after acknowledging). A group's link first asks who is acting."""
    ports = ports_of(request)
    review = alert_service.review_view(ports.reviews([alert.id]).get(alert.id))
    ctx = {"ok": True, "alert": alert, "who": claim.recipient, "token": token,
           # held for review (or closed while held): what the duty officers did, not the unit's status
           "state_label": review["label"] if review and review["state"] in ("pending", "resolved") else "",
           "story": alert_service.link_context(ports, alert), "group": claim.recipient.endswith(GROUP),
           "contacts": [c.name for c in _people(ports, alert, claim)],
           # 开始处置 once: not again on an alert being handled (by the unit, or by the duty officers while held)
           "link_actions": {a: label for a, label in alert_service.LINK_ACTIONS.items()
                            if a != "handling" or not (alert.status is AlertStatus.handling
                                                       or (review and review["state"] == "pending"
                                                           and review.get("handling_by")))},
           "open": alert.status not in (AlertStatus.resolved, AlertStatus.dismissed)}
    ctx.update(extra)
    return render(request, "ack.html", ctx, status_code=status_code)


@router.get("/ack/{token}")
def acknowledge_link(request: Request, token: str):
    """The link in SMS / email / robot messages: no login needed, the signature is the credential.

    Opening it shows the alert, the article, why it was flagged and the
    suggested handling, with a 确认收到 button; the button's post
    acknowledges. Neither the GET nor the page's script changes anything:
    mail gateways and chat apps fetch links to scan or preview them (some in
    a script-running browser), and that must not acknowledge an alert nobody
    has read, nor cancel its escalation. A group's link (DingTalk/WeCom card)
    also asks who is acknowledging: a contact of the unit, confirmed by the
    last 4 digits of their phone."""
    found, error = _ack_claim(request, token)
    if error:
        return error
    claim, alert = found
    if alert.status not in (AlertStatus.new, AlertStatus.notified):
        return _page(request, claim, alert, token, message=_already(alert), confirm=claim.recipient.endswith(GROUP)
                     and alert.status is not AlertStatus.resolved and alert.status is not AlertStatus.dismissed,
                     identify_only=True)
    return _page(request, claim, alert, token, confirm=True)


@router.get("/a/{token}")
def short_ack_link(request: Request, token: str):
    """The SMS's short link (an 8-character id the alert store resolves): the same page as ``/ack/{token}``."""
    return acknowledge_link(request, "s:" + token)


def _people(ports, alert, claim) -> list[Contact]:
    """Who may act through a group's link: the duty officers on the association's duty group card,
    the unit's contacts on a unit group's card."""
    if claim.recipient in ports.duty_groups:
        return list(ports.duty_officers)
    unit = ports.units.get(alert.unit_id)
    return list(unit.contacts) if unit else []


def _person(request: Request, alert, claim, person: str, phone4: str) -> tuple[str | None, str, str]:
    """(actor, via, error) for the link's holder. A personal link names its recipient; a group's
    link must name one of the group's people (``_people``) with the right last 4 phone digits (a
    few tries per alert)."""
    if not claim.recipient.endswith(GROUP):
        return claim.recipient, "ack-link", ""
    ports = ports_of(request)
    now = ports.now()
    with _wrong_lock:
        if len(_wrong) > 1000:  # forget old alerts' tries
            for key in [k for k, times in _wrong.items() if not times or now - times[-1] >= WRONG_WINDOW]:
                del _wrong[key]
        recent = [t for t in _wrong.get(alert.id, []) if now - t < WRONG_WINDOW]
        _wrong[alert.id] = recent
    if len(recent) >= MAX_WRONG_DIGITS:
        return None, "group-link", "手机号后4位错误次数过多，请15分钟后再试，或登录控制台确认"
    contact = next((c for c in _people(ports, alert, claim) if c.name == person), None)
    digits = "".join(ch for ch in (contact.phone or "") if ch.isdigit()) if contact else ""
    if contact is None or len(digits) < 4 or digits[-4:] != phone4.strip():
        if person or phone4:
            with _wrong_lock:
                _wrong.setdefault(alert.id, []).append(now)
        return None, "group-link", "请选择您的姓名，并填写本人手机号后4位（与协会登记的一致）"
    return contact.label, "group-link", ""


@router.post("/ack/{token}")
def acknowledge(request: Request, token: str, confirm: str = Form(""), person: str = Form(""),
                phone4: str = Form("")):
    """Acknowledge by link (the confirmation page's button posts here). Repeats are harmless."""
    found, error = _ack_claim(request, token)
    if error:
        return error
    claim, alert = found
    if confirm != "1":  # not the button (a bot submitting the form): show the page again, change nothing
        return _page(request, claim, alert, token, status_code=400, confirm=True)
    actor, via, problem = _person(request, alert, claim, person, phone4)
    if actor is None:
        return _page(request, claim, alert, token, status_code=400, confirm=True, error=problem,
                     person=person, identify_only=alert.status not in (AlertStatus.new, AlertStatus.notified))
    ports = ports_of(request)
    before = alert.status
    try:
        alert = ports.change_status(alert.id, AlertStatus.acknowledged, actor=actor, via=via)
        message = "已确认收到，感谢您的及时处置。" if before is not AlertStatus.acknowledged else _already(alert)
        review = ports.reviews([alert.id]).get(alert.id) if alert.status is before else None
        if review and review.get("state") == "pending":  # held for review: the ack is the receipt, not the unit's
            message = (f"已确认收到（{alert_service.REVIEW_ACKED}）。单位尚未收到通知：请登录控制台复核并转发；"
                       f"{labels.local(review['due_at'], '%H:%M', ports.tz)}前未复核，系统将自动转发。")
    except ValueError:
        # Already being handled, resolved or dismissed: acknowledging adds nothing; say so plainly.
        message = _already(alert)
    if via == "group-link":
        ports.audit(alert.id, alert.unit_id, "console.ack_person", actor=actor, via=via, person=person)
    return _page(request, claim, alert, token, message=message, who=actor, person=person, phone4=phone4)


@router.post("/ack/{token}/action")
def link_action(request: Request, token: str, action: str = Form(""), go: str = Form(""), text: str = Form(""),
                person: str = Form(""), phone4: str = Form("")):
    """One tap after acknowledging, scoped by the signed link to this alert: 开始处置, 添加处置记录,
    不属于本单位 (the lead's 误报, with a reason). No password: the link is the credential. Like
    the acknowledgement, it needs the button's own field (go=1): a script submitting forms does nothing."""
    found, error = _ack_claim(request, token)
    if error:
        return error
    claim, alert = found
    if go != "1" or action not in alert_service.LINK_ACTIONS:
        return _page(request, claim, alert, token, status_code=400, message="请点击页面上的按钮操作")
    actor, via, problem = _person(request, alert, claim, person, phone4)
    if actor is None:
        return _page(request, claim, alert, token, status_code=400, confirm=True, identify_only=True,
                     error=problem)
    try:
        ports = ports_of(request)
        alert = alert_service.act_by_link(ports, alert, actor, action, text, via=via)
        message = "已记录为不属于本单位（误报），感谢反馈。" if action == "not_ours" else \
            f"已{alert_service.LINK_ACTIONS[action]}。"
        review = ports.reviews([alert.id]).get(alert.id)
        if action == "handling" and review and review.get("state") == "pending":  # the duty officers', not the unit's
            message = (f"已记录：{alert_service.REVIEW_HANDLING}。单位尚未收到通知：请登录控制台复核并转发（转发后单位"
                       f"仍须确认，未确认将按时升级）；{labels.local(review['due_at'], '%H:%M', ports.tz)}前未复核，"
                       f"系统将自动转发。")
    except Refused as e:
        message = str(e)
    return _page(request, claim, alert, token, message=message, who=actor, person=person, phone4=phone4)


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
