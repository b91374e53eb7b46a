"""Channel clients, one file each (email, aliyun_sms, tencent_sms, dingtalk,
wecom). A client's ``send(note_id, recipient, payload)`` returns a ``Sent``
(or a provider id) once the provider accepted the message, judged from the
provider's response body, never from HTTP 200 alone; otherwise it raises:

* ``TransientError`` — retry later with backoff (timeouts, 5xx, busy);
* ``RateLimited``    — the provider throttled us; ``retry_after`` seconds;
* ``PermanentError`` — do not retry; fall back to another channel and show
  the duty officer.

A client is built from configuration; a missing endpoint setting or secret
raises ``NotConfigured`` and the channel is disabled (start-up logs why).
Secrets come only from environment variables named in the configuration,
and no error message ever contains one (``redact``).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass


class DeliveryError(Exception):
    """Delivery failed; the message never contains secrets."""


class TransientError(DeliveryError):
    pass


class RateLimited(TransientError):
    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    pass


class NotConfigured(Exception):
    """This channel is not set up here; it is disabled, and start-up says why."""


@dataclass(frozen=True)
class Sent:
    provider_id: str
    # True when the provider's answer already means the message arrived
    # (a group robot posted it); SMS and email are only "accepted" until a
    # delivery receipt says otherwise.
    delivered: bool = False


def secret_from_env(var: str | None, what: str) -> str:
    """The value of environment variable ``var``, or NotConfigured naming it (never its value)."""
    if not var:
        raise NotConfigured(f"{what}: no environment variable is configured for it")
    value = os.environ.get(var, "")
    if not value:
        raise NotConfigured(f"{what}: environment variable {var} is not set")
    return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and its URL-encoded form) replaced by ***."""
    from urllib.parse import quote, quote_plus
    for s in secrets:
        if s and len(s) >= 4:
            for form in {s, quote(s, safe=""), quote_plus(s)}:
                text = text.replace(form, "***")
    return text
