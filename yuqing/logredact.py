"""Secrets never reach a log line, at any level.

At DEBUG, urllib3 logs each request line — a DingTalk robot's
``?access_token=…&sign=…`` and a WeCom robot's ``?key=…`` included — and other
libraries may echo credentials in errors. ``RedactingFilter`` sits on the log
handler, so it sees every record of every logger, and replaces

* the value of any credential-like URL/query parameter (access_token, key,
  sign, signature, secret, token, password, AccessKeyId…), and
* the literal value (and URL-encoded forms) of every environment variable whose
  name says it holds a secret (…SECRET…, …TOKEN…, …KEY…, …PASSWORD…), which is
  where the configuration's ``*_env`` fields point,

with ``***``.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

_PARAM = re.compile(r"(?i)\b(access_token|access_key|accesskeyid|key|sign|signature|secret|secretid|secret_key|"
                    r"token|password|passwd|pwd)=([^&\s\"'<>]+)")
_SECRET_NAME = re.compile(r"(?i)(secret|token|key|password|passwd)")


def secret_values(environ: Mapping[str, str]) -> list[str]:
    values = {v for k, v in environ.items() if _SECRET_NAME.search(k) and len(v) >= 6}
    forms = {f for v in values for f in (v, quote(v, safe=""), quote_plus(v))}
    return sorted(forms, key=len, reverse=True)  # longest first: no partial leftovers


def redact(text: str, secrets: list[str]) -> str:
    text = _PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.secrets = secret_values(os.environ if environ is None else environ)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True
