"""Signed, expiring one-click acknowledgement links.

A token carries (alert id, recipient, expiry) and an HMAC-SHA256 over them
with a server secret, so a link cannot be forged or moved to another alert,
and stops working after ``ttl``. Verifying is pure: the console's
``/ack/{token}`` page verifies it and, when opened in a browser, posts itself
to acknowledge via ``AlertStore.change_status`` (idempotent, so a double
click is harmless); a bare fetch by a link scanner changes nothing.

SMS links are short ids (``/a/<8 characters>``): 48 bits of an HMAC over
(alert id, recipient, expiry day) with the server secret, so they cannot be
guessed (2^48 per try, for a page that reveals nothing without a known id)
and a replayed rendering mints the same id. The id itself carries nothing:
the alert store keeps it with the alert id, the recipient and the expiry
(``short_links``, written with the outbox row in the queueing transaction),
and the console's ``/a/{id}`` looks it up, so the link works after a
restart, on PostgreSQL and from any console process. Eight characters leave
the SMS's one 70-character segment room for the title: the person reading
on a phone sees which company and what happened.

For about ten hours of development (2026-11-30/12-01, never released or
deployed: deploy/README.md) SMS carried a self-contained 23-character token
instead (alert id, recipient hash, expiry day, MAC). No SMS with one can have
reached anyone, and any would have expired by now (``ttl``): neither the
producer nor the verifier is kept; the console answers such a link as it
answers any unknown one (链接无效…登录控制台).

The secret comes from the environment (``YUQING_ACK_SECRET``); when it is
not set, a random secret is created once in the data directory, which is
right for one machine and must be replaced by the environment variable when
several machines serve the console.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SECRET_ENV = "YUQING_ACK_SECRET"


class InvalidAckLink(ValueError):
    """The token is malformed, forged or expired; the message says which (in Chinese for the page)."""


SHORT_ID_CHARS = 8  # 6 bytes, URL-safe base64


@dataclass(frozen=True)
class ShortLink:
    """A server-side short id for an SMS's ack link (kept by the alert store, resolved by ``/a/{code}``)."""

    code: str
    alert_id: str
    recipient: str
    expires: datetime


@dataclass(frozen=True)
class AckClaim:
    alert_id: str
    recipient: str
    expires: datetime


def load_secret(data_dir: Path) -> bytes:
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8")
    path = Path(data_dir) / "ack.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)  # two processes racing both end with one secret file
    return path.read_text().strip().encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _day(at: datetime) -> int:
    return int(at.timestamp() // 86400)


class AckSigner:
    def __init__(self, secret: bytes, ttl: timedelta = timedelta(days=3)) -> None:
        if len(secret) < 16:
            raise ValueError(f"{SECRET_ENV} must be at least 16 characters")
        self._secret = secret
        self.ttl = ttl

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def token(self, alert_id: str, recipient: str, now: datetime) -> str:
        exp = int((now + self.ttl).timestamp())
        payload = json.dumps([alert_id, recipient, exp], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    # ------------------------------------------------------------ short links (SMS)

    def short_link(self, alert_id: str, recipient: str, now: datetime) -> ShortLink:
        """The SMS's short id: expires at the end of the day (UTC) ``ttl`` ahead; the same (alert,
        recipient) on the same day gets the same id."""
        day = _day(now + self.ttl)
        message = "\0".join(("short-id", alert_id, recipient, str(day))).encode("utf-8")
        code = _b64(hmac.new(self._secret, message, hashlib.sha256).digest()[:6])
        return ShortLink(code, alert_id, recipient, datetime.fromtimestamp((day + 1) * 86400, tz=timezone.utc))

    def verify(self, token: str, now: datetime) -> AckClaim:
        try:
            payload_b64, mac_b64 = token.split(".", 1)
            payload, mac = _unb64(payload_b64), _unb64(mac_b64)
        except ValueError:
            raise InvalidAckLink("链接不完整，请从消息中完整复制，或登录控制台处理") from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidAckLink("链接无效（可能被改动过），请登录控制台处理")
        alert_id, recipient, exp = json.loads(payload)
        expires = datetime.fromtimestamp(exp, tz=timezone.utc)
        if now >= expires:
            raise InvalidAckLink("链接已过期，请登录控制台确认")
        return AckClaim(alert_id, recipient, expires)
