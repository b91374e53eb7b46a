"""Signature checks exactly as each provider documents them, written apart
from the clients (``alerting.channels``) so a test against the simulator is
not the client checking itself. Each returns an error message, or None if
the request is properly signed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import urllib.parse
from datetime import datetime, timezone

MAX_SKEW = {"aliyun": 15 * 60, "tencent": 5 * 60, "dingtalk": 60 * 60}


def _rfc3986(s: str) -> str:
    # Aliyun's rule: encode everything but A-Z a-z 0-9 - _ . ~ ; space as %20.
    return "".join(c if re.match(r"[A-Za-z0-9\-_.~]", c) else
                   "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in s)


def aliyun_rpc_v1(method: str, params: dict[str, str], secrets: dict[str, str]) -> str | None:
    """Aliyun RPC signature v1 (HMAC-SHA1 over METHOD&%2F&encoded sorted query)."""
    for p in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp"):
        if p not in params:
            return f"MissingParameter: {p}"
    if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
        return "InvalidSignatureMethod"
    secret = secrets.get(params["AccessKeyId"])
    if secret is None:
        return "InvalidAccessKeyId.NotFound"
    try:
        sent = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return "InvalidTimeStamp.Format"
    if abs(sent.timestamp() - time.time()) > MAX_SKEW["aliyun"]:
        return "InvalidTimeStamp.Expired"
    query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = f"{method}&{_rfc3986('/')}&{_rfc3986(query)}"
    want = base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), "sha1").digest()).decode()
    return None if hmac.compare_digest(want, params["Signature"]) else "SignatureDoesNotMatch"


def tencent_tc3(headers: dict[str, str], body: bytes, secrets: dict[str, str], service: str = "sms") -> str | None:
    """Tencent Cloud API 3.0 TC3-HMAC-SHA256, signed headers as the Authorization header lists them."""
    h = {k.lower(): v for k, v in headers.items()}
    m = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, "
                     r"SignedHeaders=([a-z0-9;\-]+), Signature=([0-9a-f]{64})", h.get("authorization", ""))
    if not m:
        return "AuthFailure.InvalidAuthorization"
    secret_id, date, svc, signed, signature = m.groups()
    key = secrets.get(secret_id)
    if key is None:
        return "AuthFailure.SecretIdNotFound"
    try:
        ts = int(h.get("x-tc-timestamp", ""))
    except ValueError:
        return "MissingParameter"
    if abs(ts - time.time()) > MAX_SKEW["tencent"]:
        return "AuthFailure.SignatureExpire"
    if svc != service or date != datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d"):
        return "AuthFailure.SignatureFailure"
    names = signed.split(";")
    if "content-type" not in names or "host" not in names:
        return "AuthFailure.SignatureFailure"
    canonical_headers = "".join(f"{n}:{h.get(n, '').strip().lower()}\n" for n in names)
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    to_sign = (f"TC3-HMAC-SHA256\n{ts}\n{date}/{svc}/tc3_request\n"
               f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    k = hmac.new(("TC3" + key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, svc.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(want, signature) else "AuthFailure.SignatureFailure"


def dingtalk_sign(query: dict[str, str], secret: str | None) -> str | None:
    """DingTalk 加签: sign = Base64(HmacSHA256(secret, timestamp + "\\n" + secret)), URL-encoded in the query."""
    if secret is None:
        return None
    ts, sign = query.get("timestamp"), query.get("sign")
    if not ts or not sign:
        return "sign not match, more: [sign is missing]"
    try:
        ms = int(ts)
    except ValueError:
        return "invalid timestamp"
    if abs(ms / 1000 - time.time()) > MAX_SKEW["dingtalk"]:
        return "invalid timestamp"
    want = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    # parse_qs already URL-decoded the sign
    return None if hmac.compare_digest(want, sign) else "sign not match"


def parse_query(path: str) -> tuple[str, dict[str, str]]:
    parts = urllib.parse.urlsplit(path)
    return parts.path, {k: v[0] for k, v in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items()}
