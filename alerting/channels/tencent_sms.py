"""Tencent Cloud SMS: ``SendSms`` (version 2021-01-11), TC3-HMAC-SHA256.

Signing (Tencent Cloud API 3.0 "signature v3"): the canonical request is
``POST\\n/\\n\\ncontent-type:<ct>\\nhost:<host>\\n\\ncontent-type;host\\n<sha256(body)>``;
the string to sign is ``TC3-HMAC-SHA256\\n<timestamp>\\n<date>/sms/tc3_request\\n<sha256(canonical)>``;
the key is HMAC-SHA256 chained over ``"TC3"+SecretKey`` → date → "sms" →
"tc3_request", and the signature is the hex HMAC of the string to sign.

Success is judged per number: ``Response.SendStatusSet[i].Code == "Ok"`` for
our number; a ``Response.Error`` fails the whole request. ``SessionContext``
carries our notification id; ``SerialNo`` is kept for delivery receipts.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests

from alerting.channels import NotConfigured, PermanentError, RateLimited, Sent, TransientError, secret_from_env
from alerting.channels._http import post, where
from alerting.channels._sms import template_values
from pipeline.config import TencentSmsConfig

CONTENT_TYPE = "application/json; charset=utf-8"
SERVICE = "sms"
VERSION = "2021-01-11"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, *, host: str, body: bytes, timestamp: int,
                      service: str = SERVICE, content_type: str = CONTENT_TYPE) -> str:
    date = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={signature}")


def e164(phone: str) -> str:
    digits = re.sub(r"[\s-]", "", phone)
    if digits.startswith("+"):
        return digits
    return "+86" + re.sub(r"^(0086|86)(?=1\d{10}$)", "", digits)


def _classify(code: str, msg: str) -> Exception:
    if code.startswith(("LimitExceeded", "RequestLimitExceeded")):
        return RateLimited(msg, retry_after=3600 if "Daily" in code else 60)
    if code.startswith(("InternalError", "ResourceUnavailable")):
        return TransientError(msg)
    return PermanentError(msg)


class TencentSmsClient:
    name = "sms"
    provider = "tencent-sms"

    def __init__(self, config: TencentSmsConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.secret_id = secret_from_env(config.secret_id_env, "Tencent Cloud SecretId")
        self._key = secret_from_env(config.secret_key_env, "Tencent Cloud SecretKey")
        host = urlsplit(config.endpoint).netloc
        if not host:
            raise NotConfigured(f"Tencent SMS endpoint {config.endpoint!r} is not an http(s) URL")
        self.host = host
        self.session = session or requests.Session()

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        cfg, number = self.config, e164(recipient)
        template, values = template_values(cfg.templates, cfg.param_max, payload["sms"])
        body = json.dumps({"PhoneNumberSet": [number], "SmsSdkAppId": cfg.sdk_app_id, "SignName": cfg.sign_name,
                           "TemplateId": template.code, "TemplateParamSet": [v for _, v in values],
                           "SessionContext": note_id}, ensure_ascii=False).encode("utf-8")
        ts = int(time.time())  # the wire timestamp is checked against the provider's clock, not ours
        headers = {"Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": "SendSms",
                   "X-TC-Version": VERSION, "X-TC-Timestamp": str(ts), "X-TC-Region": cfg.region,
                   "Authorization": tc3_authorization(self.secret_id, self._key, host=self.host, body=body,
                                                      timestamp=ts)}
        status, data = post(self.session, cfg.endpoint, provider=self.provider, data=body, headers=headers,
                            secrets=[self._key], timeout=cfg.timeout)
        resp = data.get("Response") or {}
        rid = resp.get("RequestId", "-")
        if "Error" in resp:
            err = resp["Error"] or {}
            code = str(err.get("Code", ""))
            raise _classify(code, f"{self.provider} {where(cfg.endpoint)}: {code} {err.get('Message', '')} "
                                  f"(HTTP {status}, RequestId {rid})")
        for item in resp.get("SendStatusSet") or []:
            if item.get("PhoneNumber") == number:
                code = str(item.get("Code", ""))
                if code == "Ok":
                    return Sent(str(item.get("SerialNo") or rid))
                raise _classify(code, f"{self.provider}: {number[:-4]}****: {code} {item.get('Message', '')} "
                                      f"(RequestId {rid})")
        raise TransientError(f"{self.provider} {where(cfg.endpoint)}: no status for our number in the answer "
                             f"(HTTP {status}, RequestId {rid})")
