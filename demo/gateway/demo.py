"""The demo's provider stand-in: ``yuqing run`` with ``demo.gateways: true``
starts a GatewaySim and gives every role the same throwaway credentials
through the environment variables the configuration names (only those not
already set), plus ``YUQING_DEMO_GATEWAY`` with the stand-in's URL, which the
demo settings use for the SMS and robot endpoints. Secrets still never touch
YAML, and nothing leaves the machine."""
from __future__ import annotations

import secrets
from pathlib import Path

from demo.gateway import GatewaySim
from pipeline.config import AppConfig

URL_ENV = "YUQING_DEMO_GATEWAY"


def _value(env: dict[str, str], name: str, prefix: str) -> str:
    if not env.get(name):
        env[name] = f"{prefix}{secrets.token_hex(12)}"
    return env[name]


def approved(cfg: AppConfig) -> dict[str, dict[str, str]]:
    """The configured SMS templates as the stand-in's approved ones (code -> text), per provider."""
    out: dict[str, dict[str, str]] = {}
    for name in ("aliyun", "tencent"):
        provider = getattr(cfg.settings.sms, name)
        if provider:
            out[name] = {t.code: t.text for t in (provider.templates.alert, provider.templates.notice)}
    return out


def start_demo_gateways(cfg: AppConfig, env: dict[str, str], record_dir: Path, port: int = 0) -> GatewaySim:
    """Start the stand-in and fill ``env`` (the roles' environment) in place."""
    sms = cfg.settings.sms
    aliyun: dict[str, str] = {}
    tencent: dict[str, str] = {}
    dingtalk: dict[str, str | None] = {}
    wecom: set[str] = set()
    if sms.aliyun:
        kid = _value(env, sms.aliyun.access_key_id_env, "LTAIdemo")
        aliyun[kid] = _value(env, sms.aliyun.access_key_secret_env, "")
    if sms.tencent:
        sid = _value(env, sms.tencent.secret_id_env, "AKIDdemo")
        tencent[sid] = _value(env, sms.tencent.secret_key_env, "")
    for r in cfg.members.robots:
        token = _value(env, r.token_env, "")
        if r.kind == "dingtalk":
            dingtalk[token] = _value(env, r.secret_env, "SEC") if r.secret_env else None
        else:
            wecom.add(token)
    sim = GatewaySim(aliyun=aliyun, tencent=tencent, dingtalk=dingtalk, wecom=wecom, port=port,
                     record_dir=record_dir, templates=approved(cfg)).start()
    env[URL_ENV] = sim.url
    return sim
