"""One HTTP POST for the HTTP channel clients, with errors classified and
scrubbed: connection problems, timeouts and 5xx are transient, 429 is a rate
limit; anything requests puts in its message (URLs with tokens and
signatures) is redacted before it can reach a log or the audit trail."""
from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests

from alerting.channels import PermanentError, RateLimited, TransientError, redact


def where(url: str) -> str:
    """scheme://host[:port]/path of an endpoint: safe to print (no query string)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}{p.path}"


def post(session: requests.Session, url: str, *, provider: str, secrets: Iterable[str], timeout: float,
         **kwargs) -> tuple[int, dict]:
    """POST and return (status, JSON body). Raises TransientError/RateLimited;
    a 4xx with a JSON body is returned, because providers explain errors there."""
    secrets = list(secrets)
    try:
        resp = session.post(url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise TransientError(f"{provider} {where(url)}: no answer within {timeout:g}s") from None
    except requests.RequestException as e:
        raise TransientError(f"{provider} {where(url)} unreachable: {type(e).__name__}: "
                             f"{redact(str(e), secrets)}") from None
    if resp.status_code == 429:
        raise RateLimited(f"{provider} {where(url)}: HTTP 429 too many requests",
                          float(resp.headers.get("Retry-After", "60") or 60))
    if resp.status_code >= 500:
        raise TransientError(f"{provider} {where(url)}: HTTP {resp.status_code}")
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        # A 4xx page that is not the provider's JSON: a wrong endpoint, not a hiccup.
        err = PermanentError if 400 <= resp.status_code < 500 else TransientError
        raise err(f"{provider} {where(url)}: HTTP {resp.status_code} with a body that is not JSON: "
                             f"{redact(resp.text[:120], secrets)!r}") from None
    if not isinstance(body, dict):
        raise TransientError(f"{provider} {where(url)}: unexpected JSON {type(body).__name__}")
    return resp.status_code, body
