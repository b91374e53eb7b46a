"""WeCom (企业微信) group robot, markdown messages.

The webhook is ``<endpoint>?key=…``; the key is the robot's only credential
and comes from the environment variable named by ``token_env``. Errors come
with HTTP 200, so success is ``errcode == 0``. A robot takes 20 messages a
minute (errcode 45009 when exceeded); markdown content is at most 4096 bytes
(templates keep under it). WeCom markdown cannot @ by mobile number, so the
unit's contacts are named in the text instead.
"""
from __future__ import annotations

from urllib.parse import quote_plus

import requests

from alerting.channels import NotConfigured, PermanentError, RateLimited, Sent, TransientError, secret_from_env
from alerting.channels._http import post, where
from pipeline.config import RobotConfig, RobotGateways

MAX_BYTES = 4096


def fit(text: str, limit: int = MAX_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 8].decode("utf-8", "ignore") + "\n……"


class WeComClient:
    name = "wecom"
    provider = "wecom-robot"

    def __init__(self, gateways: RobotGateways, robots: list[RobotConfig],
                 session: requests.Session | None = None) -> None:
        self.endpoint = gateways.wecom_endpoint
        self.timeout = gateways.timeout
        self.session = session or requests.Session()
        self._keys: dict[str, str] = {}
        missing = []
        for r in robots:
            if r.kind != "wecom":
                continue
            try:
                self._keys[r.id] = secret_from_env(r.token_env, f"WeCom robot {r.id} key")
            except NotConfigured as e:
                missing.append(str(e))
        if not self._keys:
            raise NotConfigured("; ".join(missing) or "no WeCom robot in members.yaml")
        self.unavailable = missing

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        if recipient not in self._keys:
            raise PermanentError(f"{self.provider}: robot {recipient!r} has no key in the environment")
        key = self._keys[recipient]
        body = {"msgtype": "markdown", "markdown": {"content": fit(payload["robot"]["markdown"])}}
        status, data = post(self.session, f"{self.endpoint}?key={quote_plus(key)}", provider=self.provider,
                            json=body, timeout=self.timeout, secrets=[key])
        code = data.get("errcode")
        if code == 0:
            return Sent(f"wecom:{recipient}:{note_id}", delivered=True)
        msg = f"{self.provider} {where(self.endpoint)} robot {recipient}: errcode {code} {data.get('errmsg', '')}"
        if code == 45009:
            raise RateLimited(msg, retry_after=60)
        if code == -1:
            raise TransientError(msg)
        raise PermanentError(msg)
