"""Request authentication for pages and API alike (FastAPI dependencies).

* The session token comes from the ``yuqing_session`` cookie (browsers) or
  ``Authorization: Bearer <token>`` (API clients; ``POST /api/session``).
* No session → ``LoginRequired``: pages redirect to ``/login?next=…``, the
  API answers 401 (handlers in ``console.web``).
* State-changing requests authenticated by the cookie must echo the
  session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``): the
  cookie is SameSite=Lax already, the token closes the remaining holes
  (older browsers, same-site subdomains). Bearer requests carry no ambient
  credential, so they need no CSRF token.
"""
from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from fastapi import Request

from console.access import can
from console.ports import Ports
from console.users import Session

COOKIE = "yuqing_session"


class LoginRequired(Exception):
    def __init__(self, reason: str = "请先登录") -> None:
        super().__init__(reason)
        self.reason = reason


class Denied(Exception):
    """Logged in, but not allowed (403). ``message``: what the user reads, when more precise than the default."""

    def __init__(self, what: str = "", message: str | None = None) -> None:
        super().__init__(what)
        self.message = message


class NotFound(Exception):
    """No such thing, or not visible to this user (404: a lead cannot probe other units)."""


class Refused(Exception):
    """The request is understood but cannot be done now, e.g. a refused status change (409)."""


def ports_of(request: Request) -> Ports:
    return request.app.state.ports


def client_of(request: Request) -> str:
    """The client's address, for login throttling and logs. Behind a reverse proxy listed in
    settings.yaml ``console.trusted_proxies`` it is the rightmost ``X-Forwarded-For`` address
    that is not itself a trusted proxy (what the proxies saw); from anyone else the header is
    ignored, so a client cannot pick its own address and dodge the throttle."""
    peer = request.client.host if request.client else ""
    trusted = _networks(tuple(ports_of(request).console.trusted_proxies))
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else peer  # every hop a proxy of ours: the first one is the client


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False  # "unknown", garbage: never trusted
    return any(ip.version == n.version and ip in n for n in networks)


def same_origin(request: Request) -> bool:
    """False for a request a browser says came from another site (login CSRF): the
    ``Sec-Fetch-Site`` header, else ``Origin`` against our host. Non-browser clients send neither."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    from urllib.parse import urlsplit
    return urlsplit(origin).netloc == request.headers.get("host", "")


def token_of(request: Request) -> tuple[str | None, bool]:
    """(token, came from a bearer header)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), True
    return request.cookies.get(COOKIE), False


def session_of(request: Request) -> Session | None:
    cached: Session | None | bool = getattr(request.state, "session", False)
    if cached is not False:
        return cached if isinstance(cached, Session) else None
    ports = ports_of(request)
    token, _ = token_of(request)
    session = ports.users.session(token, ports.now(), ports.console.idle_timeout) if token else None
    request.state.session = session
    return session


def current_session(request: Request) -> Session:
    session = session_of(request)
    if session is None:
        token, _ = token_of(request)
        raise LoginRequired("登录已过期，请重新登录" if token else "请先登录")
    return session


def require(permission: str):
    """Dependency: a logged-in user holding ``permission`` (read requests)."""

    def dependency(request: Request) -> Session:
        session = current_session(request)
        if not can(session.user, permission):
            raise Denied(permission)
        return session

    return dependency


def require_write(permission: str | None = None):
    """Dependency for state-changing requests: as ``require``, plus the CSRF check."""

    async def dependency(request: Request) -> Session:
        session = current_session(request)
        if permission and not can(session.user, permission):
            raise Denied(permission)
        _, bearer = token_of(request)
        if not bearer:
            sent = request.headers.get("x-csrf-token")
            if sent is None and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")):
                field = (await request.form()).get("csrf")
                sent = field if isinstance(field, str) else None
            if not sent or not hmac.compare_digest(str(sent), session.csrf):
                raise Denied("csrf")
        return session

    return dependency
