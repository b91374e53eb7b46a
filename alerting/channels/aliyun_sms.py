"""Aliyun SMS: dysmsapi ``SendSms`` (2017-05-25), RPC style, signature v1.

Signing (Aliyun "RPC signature mechanism"): every parameter except Signature
is sorted by name; names and values are percent-encoded per RFC 3986 (only
A-Z a-z 0-9 - _ . ~ stay, space is %20); joined as k=v&…; the string to sign
is ``POST&%2F&`` + percent-encode(that query); Signature =
Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

One phone number per request, so success is judged per number: the body's
``Code`` must be ``OK`` (HTTP 200 alone means nothing). ``OutId`` carries our
notification id, and ``BizId`` is kept to match delivery receipts.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import requests

from alerting.channels import NotConfigured, PermanentError, RateLimited, Sent, TransientError, secret_from_env
from alerting.channels._http import post, where
from alerting.channels._sms import template_values
from pipeline.config import AliyunSmsConfig

# Codes that mean "throttled": per number per minute/hour/day, or account-wide.
RATE_LIMIT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL",
                    "Throttling.User", "Throttling"}
# Codes worth retrying: the provider's side is having trouble.
TRANSIENT_CODES = {"isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "ServiceUnavailable", "InternalError",
                   "SignatureNonceUsed"}


def percent_encode(value: str) -> str:
    return quote(str(value), safe="-_.~")


def string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(params: dict[str, str], access_key_secret: str, method: str = "POST") -> str:
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def domestic_number(phone: str) -> str:
    """13900000011 from +86 139-0000-0011 (Aliyun wants mainland numbers without a prefix)."""
    digits = re.sub(r"[\s-]", "", phone)
    return re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)


class AliyunSmsClient:
    name = "sms"
    provider = "aliyun-sms"

    def __init__(self, config: AliyunSmsConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.key_id = secret_from_env(config.access_key_id_env, "Aliyun SMS AccessKey ID")
        self._secret = secret_from_env(config.access_key_secret_env, "Aliyun SMS AccessKey secret")
        if not config.endpoint.startswith(("http://", "https://")):
            raise NotConfigured(f"Aliyun SMS endpoint {config.endpoint!r} is not an http(s) URL")
        self.session = session or requests.Session()

    def params(self, note_id: str, phone: str, sms: dict) -> dict[str, str]:
        cfg = self.config
        template, values = template_values(cfg.templates, cfg.param_max, sms)
        return {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON", "RegionId": cfg.region_id,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
            "PhoneNumbers": domestic_number(phone), "SignName": cfg.sign_name, "TemplateCode": template.code,
            "TemplateParam": json.dumps(dict(values), ensure_ascii=False),
            "OutId": note_id[:64],
        }

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        params = self.params(note_id, recipient, payload["sms"])
        params["Signature"] = sign(params, self._secret)
        status, body = post(self.session, self.config.endpoint, provider=self.provider, data=params,
                            secrets=[self._secret], timeout=self.config.timeout,
                            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        code = str(body.get("Code", ""))
        if code == "OK" and body.get("BizId"):
            return Sent(str(body["BizId"]))
        msg = (f"{self.provider} {where(self.config.endpoint)}: {code or 'no Code'} {body.get('Message', '')} "
               f"(HTTP {status}, RequestId {body.get('RequestId', '-')})")
        if code in RATE_LIMIT_CODES:
            raise RateLimited(msg, retry_after=3600 if "DAY" in code else 60)
        if code in TRANSIENT_CODES or code.startswith("isp."):
            raise TransientError(msg)
        raise PermanentError(msg)
