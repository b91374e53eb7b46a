"""Signed, expiring one-click acknowledgement links.

A token carries (alert id, recipient, expiry) and an HMAC-SHA256 over them
with a server secret, so a link cannot be forged or moved to another alert,
and stops working after ``ttl``. Verifying is pure: the console's
``/ack/{token}`` page verifies it and, when opened in a browser, posts itself
to acknowledge via ``AlertStore.change_status`` (idempotent, so a double
click is harmless); a bare fetch by a link scanner changes nothing.

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
