"""Test kit shipped with the package: real local servers and a test app
built through the real composition root (STYLE 4).

* ``SmtpRecorder`` — a real SMTP server (aiosmtpd) on a free local port that
  keeps every message, and can refuse chosen recipients.
* ``build_test_app`` — an App over a copy of a configuration folder, with the
  data directory, bus and index in a temp folder and SMTP pointed at a recorder.
"""
from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import yaml
from aiosmtpd.controller import Controller

from pipeline.bootstrap import App
from pipeline.clock import Clock
from pipeline.config import load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO_ROOT / "config" / "demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class _Handler:
    def __init__(self, recorder: "SmtpRecorder") -> None:
        self.recorder = recorder

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.recorder.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.recorder.lock:
            self.recorder.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


class SmtpRecorder:
    def __init__(self, refuse: set[str] | None = None) -> None:
        self.port = free_port()
        self.refuse = set(refuse or ())
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpRecorder":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpRecorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]


def copy_config(dest: Path, source: Path = DEMO_CONFIG, settings: dict | None = None) -> Path:
    """Copy a configuration folder, merging ``settings`` into settings.yaml."""
    shutil.copytree(source, dest, dirs_exist_ok=True)
    if settings:
        path = dest / "settings.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _merge(data, settings)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return dest


def _merge(base: dict, extra: dict) -> None:
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v


def build_test_app(tmp: Path, *, smtp_port: int | None = None, clock: Clock | None = None,
                   settings: dict | None = None, source: Path = DEMO_CONFIG) -> App:
    overrides = {"data_dir": str(tmp / "data"), "demo": {"site_port": None, "mailsink_port": None}}
    if smtp_port is not None:
        overrides["smtp"] = {"host": "127.0.0.1", "port": smtp_port}
    _merge(overrides, settings or {})
    root = copy_config(tmp / "config", source, overrides)
    return App(load_config(root), clock=clock)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value (returned), or fail
    naming ``what``. For waiting on other processes; never for fake-clock timers."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def scrape_metric(port: int, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` with these labels at a /metrics endpoint."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


# ---------------------------------------------------------------- provider stand-ins (alerting)

# Credentials the demo configuration names (settings.yaml sms, members.yaml
# robots), with test values: set them in the environment (monkeypatch) and
# point the gateways at a GatewaySim built by ``gateway_sim()``.
GATEWAY_ENV = {
    "YUQING_ALIYUN_SMS_KEY_ID": "LTAI5tTestKeyId",
    "YUQING_ALIYUN_SMS_KEY_SECRET": "aliyun-test-secret-0123456789",
    "YUQING_TENCENT_SECRET_ID": "AKIDtestSecretId",
    "YUQING_TENCENT_SECRET_KEY": "tencent-test-key-0123456789",
    "YUQING_ROBOT_DUTY_TOKEN": "dingtalk-duty-token-0123",
    "YUQING_ROBOT_DUTY_SECRET": "SECduty0123456789abcdef",
    "YUQING_ROBOT_PICC_KEY": "wecom-picc-key-0123",
    "YUQING_ROBOT_CHINALIFE_TOKEN": "dingtalk-chinalife-token-0123",
    "YUQING_ROBOT_CHINALIFE_SECRET": "SECchinalife0123456789",
}


def gateway_sim(**kwargs):
    """A GatewaySim (alerting.gatewaysim) that knows the GATEWAY_ENV credentials."""
    from alerting.gatewaysim import GatewaySim
    e = GATEWAY_ENV
    return GatewaySim(aliyun={e["YUQING_ALIYUN_SMS_KEY_ID"]: e["YUQING_ALIYUN_SMS_KEY_SECRET"]},
                      tencent={e["YUQING_TENCENT_SECRET_ID"]: e["YUQING_TENCENT_SECRET_KEY"]},
                      dingtalk={e["YUQING_ROBOT_DUTY_TOKEN"]: e["YUQING_ROBOT_DUTY_SECRET"],
                                e["YUQING_ROBOT_CHINALIFE_TOKEN"]: e["YUQING_ROBOT_CHINALIFE_SECRET"]},
                      wecom={e["YUQING_ROBOT_PICC_KEY"]}, **kwargs)


def gateway_settings(sim, provider: str = "aliyun", timeout: float = 2.0) -> dict:
    """settings.yaml overrides pointing SMS and robots at ``sim``."""
    return {"sms": {"provider": provider,
                    "aliyun": {"endpoint": f"{sim.url}/aliyun/", "timeout": timeout},
                    "tencent": {"endpoint": f"{sim.url}/tencent/", "timeout": timeout}},
            "robots": {"dingtalk_endpoint": f"{sim.url}/dingtalk/robot/send",
                       "wecom_endpoint": f"{sim.url}/wecom/cgi-bin/webhook/send", "timeout": timeout}}


def make_scored(unit_levels: dict, *, story: str = "story-1", url: str = "http://news.example.cn/a/1.html",
                title: str = "市民投诉中国人寿吉林省分公司拖延理赔长达半年", site: str = "news.example.cn",
                channel: str = "news", source_id: str = "demo-news", at=None, negativity: float = 0.85,
                text: str = "长春市民反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔，已向监管部门投诉。"):
    """A ScoredDocument as the scorer would publish it, without running the scorer
    (alerting tests choose levels and stories directly)."""
    from datetime import datetime, timezone
    from pipeline.messages import Document, Level, Reason, ScoredDocument
    at = at or datetime(2026, 1, 1, tzinfo=timezone.utc)
    doc = Document.create(url=url, source_id=source_id, channel=channel, site=site, title=title, text=text,
                          crawled_at=at, published_at=at)
    levels = {u: Level(v) for u, v in unit_levels.items()}
    return ScoredDocument.from_document(doc, unit_levels=levels, level=min(levels.values(), key=lambda lv: lv.rank),
                                        story_id=story, negativity=negativity,
                                        unit_negativity={u: negativity for u in levels},
                                        reasons=[Reason(phrase="拖延理赔", sentence=text[:40], risk_type="理赔纠纷")])
