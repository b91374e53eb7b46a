"""DingTalk custom group robot (自定义机器人), markdown messages.

The webhook is ``<endpoint>?access_token=…``; with 加签 enabled the request
also carries ``timestamp`` (ms) and ``sign`` = urlencode(Base64(HMAC-SHA256(
secret, f"{timestamp}\\n{secret}"))). DingTalk answers HTTP 200 for errors
too, so success is ``errcode == 0`` in the body. A robot takes 20 messages a
minute and throttles for 10 minutes after that (errcode 130101 / 410100).
The access token and the secret come from the environment variables named
by the robot's ``token_env`` / ``secret_env`` in members.yaml.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import requests

from alerting.channels import NotConfigured, PermanentError, RateLimited, Sent, TransientError, secret_from_env
from alerting.channels._http import post, where
from contracts.sanitize import one_line
from pipeline.config import RobotConfig, RobotGateways

RATE_LIMITED = {130101, 410100}
TRANSIENT = {-1}  # 系统繁忙


def sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value (already URL-encoded)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(mac.digest()).decode("ascii"))


class DingTalkClient:
    name = "dingtalk"
    provider = "dingtalk-robot"

    def __init__(self, gateways: RobotGateways, robots: list[RobotConfig],
                 session: requests.Session | None = None) -> None:
        self.endpoint = gateways.dingtalk_endpoint
        self.timeout = gateways.timeout
        self.session = session or requests.Session()
        self._creds: dict[str, tuple[str, str | None]] = {}
        missing = []
        for r in robots:
            if r.kind != "dingtalk":
                continue
            try:
                token = secret_from_env(r.token_env, f"DingTalk robot {r.id} access token")
                secret = secret_from_env(r.secret_env, f"DingTalk robot {r.id} secret") if r.secret_env else None
            except NotConfigured as e:
                missing.append(str(e))
                continue
            self._creds[r.id] = (token, secret)
        if not self._creds:
            raise NotConfigured("; ".join(missing) or "no DingTalk robot in members.yaml")
        self.unavailable = missing  # robots left out, for the start-up log

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        if recipient not in self._creds:
            raise PermanentError(f"{self.provider}: robot {recipient!r} has no credentials in the environment")
        token, secret = self._creds[recipient]
        robot = payload["robot"]
        url = f"{self.endpoint}?access_token={quote_plus(token)}"
        if secret:
            ts = int(time.time() * 1000)  # checked against DingTalk's clock (±1 h), not ours
            url += f"&timestamp={ts}&sign={sign(secret, ts)}"
        body = {"msgtype": "markdown", "markdown": {"title": one_line(robot["title"]), "text": robot["markdown"]},
                "at": {"atMobiles": list(robot.get("mentions", [])), "isAtAll": False}}
        status, data = post(self.session, url, provider=self.provider, json=body, timeout=self.timeout,
                            secrets=[token, secret or ""])
        code = data.get("errcode")
        if code == 0:
            return Sent(f"dingtalk:{recipient}:{note_id}", delivered=True)
        msg = f"{self.provider} {where(self.endpoint)} robot {recipient}: errcode {code} {data.get('errmsg', '')}"
        if code in RATE_LIMITED:
            raise RateLimited(msg, retry_after=600)
        if code in TRANSIENT:
            raise TransientError(msg)
        raise PermanentError(msg)
