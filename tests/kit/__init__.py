"""Test kit shipped with the package: real local servers and a test app
built through the real composition root (STYLE 4).

* ``SmtpRecorder`` — a real SMTP server (aiosmtpd) on a free local port that
  keeps every message, and can refuse chosen recipients.
* ``build_test_app`` — an App over a copy of a configuration folder, with the
  data directory, bus and index in a temp folder and SMTP pointed at a recorder.
"""
from __future__ import annotations

import functools
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import yaml
from aiosmtpd.controller import Controller

from contracts.clock import Clock
from contracts.topics import DOCS_RAW
from pipeline.bus import open_bus
from pipeline.config import AppConfig, load_config
from yuqing.bootstrap import App
from yuqing.console_role import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO_ROOT / "config" / "demo"


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
        body = self.message.get_body(("plain",))
        assert body is not None, f"no text/plain part in {self.subject!r}"
        return body.get_content()


class _Handler:
    def __init__(self, recorder: SmtpRecorder) -> None:
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

    def start(self) -> SmtpRecorder:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpRecorder:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]


def copy_config(dest: Path, source: Path = DEMO_CONFIG, settings: dict | None = None,
                rules: dict | None = None) -> Path:
    """Copy a configuration folder, merging ``settings`` into settings.yaml (``rules`` into rules.yaml)."""
    shutil.copytree(source, dest, dirs_exist_ok=True)
    for name, extra in (("settings.yaml", settings), ("rules.yaml", rules)):
        if extra:
            path = dest / name
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            _merge(data, extra)
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return dest


def _merge(base: dict, extra: dict) -> None:
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v


def build_test_app(tmp: Path, *, smtp_port: int | None = None, clock: Clock | None = None,
                   settings: dict | None = None, source: Path = DEMO_CONFIG, rules: dict | None = None) -> App:
    overrides = {"data_dir": str(tmp / "data"), "demo": {"site_port": None, "mailsink_port": None}}
    if smtp_port is not None:
        overrides["smtp"] = {"host": "127.0.0.1", "port": smtp_port}
    _merge(overrides, settings or {})
    # The demo holds red alerts for a duty officer's review (forward: review); the alerting tests of
    # delivery, escalation and receipts expect the unit told at once, so the kit forwards red at once
    # unless a test's ``rules`` say otherwise (tests/integration/test_alerting_review.py does).
    red_at_once = {"alerting": {"routes": {"red": {"forward": "auto"}}}}
    _merge(red_at_once, rules or {})
    root = copy_config(tmp / "config", source, overrides, red_at_once)
    return App(load_config(root), clock=clock)


def publish_raw(config: AppConfig, docs) -> None:
    """Put documents on docs.raw of the bus ``config`` names, keyed by document id as the crawlers do."""
    bus = open_bus(config.settings.bus.url, config.data_dir, **config.settings.bus.options)
    try:
        with bus.producer() as producer:
            for d in docs:
                producer.send(DOCS_RAW, d.to_bytes(), key=d.id)
    finally:
        bus.close()


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


# sentiment/'s one warning when it runs from source in a checkout edited after its build, or
# built without a C compiler (sentiment/__init__.py): not what a test of a command's output is about.
_MODE_WARNINGS = ("sentiment/ 全部改用 Python 源码运行", "sentiment/ 安装时未能编译")


def stderr_lines(stderr: str) -> list[str]:
    """A command's stderr lines, without sentiment/'s mode warning."""
    return [line for line in stderr.strip().splitlines() if not any(w in line for w in _MODE_WARNINGS)]


def scrape_metric(port: int, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` with these labels at a /metrics endpoint."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families
    for attempt in range(3):  # prometheus_client's tiny server may reset a connection under load
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            break
        except requests.ConnectionError:
            if attempt == 2:
                raise
            time.sleep(0.2)
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
    """A GatewaySim (demo.gateway) that knows the GATEWAY_ENV credentials."""
    from demo.gateway import GatewaySim
    from demo.gateway.demo import approved
    from pipeline.config import load_config
    kwargs.setdefault("templates", approved(load_config(REPO_ROOT / "config" / "demo")))  # the demo's approved ones
    e = GATEWAY_ENV
    return GatewaySim(aliyun={e["YUQING_ALIYUN_SMS_KEY_ID"]: e["YUQING_ALIYUN_SMS_KEY_SECRET"]},
                      tencent={e["YUQING_TENCENT_SECRET_ID"]: e["YUQING_TENCENT_SECRET_KEY"]},
                      dingtalk={e["YUQING_ROBOT_DUTY_TOKEN"]: e["YUQING_ROBOT_DUTY_SECRET"],
                                e["YUQING_ROBOT_CHINALIFE_TOKEN"]: e["YUQING_ROBOT_CHINALIFE_SECRET"]},
                      wecom={e["YUQING_ROBOT_PICC_KEY"]}, **kwargs)


def gateway_settings(sim, provider: str = "aliyun", timeout: float = 10.0) -> dict:
    """settings.yaml overrides pointing SMS and robots at ``sim``. ``timeout``: the channels' default (10 s,
    which the outbox lease is sized for); 2 s was too short on a loaded machine (two test workers, load
    average 20-40): the stand-in's answer came late, the send counted as failed and was retried, so one
    SMS went twice and the exactly-once test of two notifiers (test_outbox_leases) failed."""
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

    from contracts.messages import Document, Level, Reason, ScoredDocument
    at = at or datetime(2026, 1, 1, tzinfo=timezone.utc)
    doc = Document.create(url=url, source_id=source_id, channel=channel, site=site, title=title, text=text,
                          crawled_at=at, published_at=at)
    levels = {u: Level(v) for u, v in unit_levels.items()}
    return ScoredDocument.from_document(doc, unit_levels=levels, level=min(levels.values(), key=lambda lv: lv.rank),
                                        story_id=story, negativity=negativity,
                                        unit_negativity={u: negativity for u in levels},
                                        reasons=[Reason(phrase="拖延理赔", sentence=text[:40], risk_type="理赔纠纷")])


def scored_levels(app: App, title: str, text: str = "", channel: str = "news") -> set[str]:
    """The units the app's real scorer gives a level for a document with this title and text
    (on ``channel``, from a site of that channel)."""
    from contracts.messages import Document
    site = f"{channel}.example.cn"
    doc = Document.create(url=f"http://{site}/{abs(hash(title + text))}.html", source_id="x",
                          channel=channel, site=site, title=title, text=text)
    return set(app.scorer.score(doc).unit_levels)


def lexicon_risks(app: App, text: str) -> set[str]:
    """The risk types of the lexicon phrases the app's negativity scorer finds in ``text`` (lexicon_hits)."""
    return {h[1] for h in app.scorer.negativity.lexicon_hits(text)}


# ---------------------------------------------------------------- seeding an App (console tests, demos)

def seed_doc(unit_levels: dict, *, title: str, text: str, url: str, at, story: str | None = None,
             channel: str = "news", source_id: str = "demo-news", site: str = "news.example.cn",
             negativity: float = 0.85, phrases: Sequence[str | tuple[str, str]] = ("拖延理赔",),
             unit_names: dict | None = None):
    """A ScoredDocument with matched units (``unit_levels``: unit id → level or None for a
    neutral mention) as the scorer would publish it, without running the scorer.
    Each of ``phrases`` is a lexicon word, tagged with the risk type the demo lexicon gives it
    (``lexicon_risk_type``), or a (phrase, risk type) pair for words the lexicon does not hold."""
    from contracts.messages import Document, Level, Reason, ScoredDocument, UnitMatch
    doc = Document.create(url=url, source_id=source_id, channel=channel, site=site, title=title, text=text,
                          crawled_at=at, published_at=at)
    levels = {u: Level(v) for u, v in unit_levels.items() if v}
    names = unit_names or {}
    units = [UnitMatch(unit_id=u, unit_name=names.get(u, u), aliases=[names.get(u, u)][:1]) for u in unit_levels]
    return ScoredDocument.from_document(
        doc, units=units, unit_levels=levels, level=min(levels.values(), key=lambda lv: lv.rank) if levels else None,
        story_id=story or doc.id, negativity=negativity if levels else min(negativity, 0.2),
        unit_negativity={u: (negativity if u in levels else 0.1) for u in unit_levels},
        # One set per negative unit, each naming its unit, as the scorer writes them.
        reasons=[Reason(phrase=p, sentence=text[:40], risk_type=risk, weight=0.5, unit_id=u)
                 for u in levels for p, risk in map(_tagged, phrases)])


@functools.cache
def _demo_lexicon() -> dict[str, str]:
    lexicon = yaml.safe_load((DEMO_CONFIG / "rules.yaml").read_text(encoding="utf-8"))["negative_lexicon"]
    return {word: risk for risk, words in lexicon.items() for word in words}


def lexicon_risk_type(phrase: str) -> str:
    """The risk type the demo lexicon (config/demo/rules.yaml negative_lexicon) files ``phrase`` under."""
    try:
        return _demo_lexicon()[phrase]
    except KeyError:
        raise KeyError(f"{phrase!r} is not a word of the demo lexicon: give seed_doc (phrase, risk type)") from None


def _tagged(phrase: str | tuple[str, str]) -> tuple[str, str]:
    return phrase if isinstance(phrase, tuple) else (phrase, lexicon_risk_type(phrase))


def sample_docs(app: App, now=None, days: int = 3) -> list:
    """A small mixed set for the demo units: negative stories (some with reposts on
    other channels), neutral mentions, over the last ``days`` days."""
    from datetime import timedelta
    now = now or app.clock.now()
    names = {u.id: u.name for u in app.config.members.units}
    short = {u.id: (u.aliases or [u.name])[0] for u in app.config.members.units}
    unit_ids = list(names)
    docs = []
    # {0}: the unit's short name, {1}: a city. Each seeded document is its own incident (its own story
    # id), so its headline is its own too: one title seen three times as three alerts is what the
    # story store prevents, and screenshots must not show it.
    templates = [("{1}车主投诉{0}理赔拖延", "{1}市民反映{0}迟迟不赔，已向监管部门投诉，要求尽快处理。", "red",
                  ("拖延理赔", "投诉")),
                 ("{1}多名老人称被{0}销售误导购买理财型保险", "{1}多名老人称被{0}业务员误导购买保险，退保损失严重。", "orange",
                  ("销售误导",)),
                 # the scorer files 电话打不通 under 服务纠纷 (服务态度差 is no lexicon word)
                 ("{1}网友反映{0}客服电话长期无人接听", "{1}网友吐槽{0}客服电话打不通，服务态度差。", "yellow", ("电话打不通",)),
                 ("{0}在{1}开展保险知识进社区活动", "{0}在{1}开展保险知识宣传，受到居民欢迎。", None, ())]
    cities = ("长春", "四平", "延边")
    channels = [("news", "demo-news", "news.example.cn"), ("forum", "demo-forum", "bbs.example.cn"),
                ("blog", "demo-blog-rss", "blog.example.cn")]
    for i in range(12):
        unit = unit_ids[i % min(4, len(unit_ids))]
        title, text, level, phrases = templates[i % len(templates)]
        channel, source, site = channels[i % len(channels)]
        at = now - timedelta(days=i % days, hours=i)
        city = cities[i // len(templates) % len(cities)]
        docs.append(seed_doc({unit: level}, title=title.format(short[unit], city), text=text.format(short[unit], city),
                             url=f"http://{site}/seed/{i}.html", at=at, story=f"seed-story-{i}", channel=channel,
                             source_id=source, site=site, negativity=0.9 - 0.05 * (i % 4), phrases=phrases,
                             unit_names=names))
    # A repost of the first story on another channel: one alert, two documents.
    first = docs[0]
    docs.append(seed_doc({unit_ids[0]: "red"}, title="转发：" + first.title, text=first.text,
                         url="http://bbs.example.cn/seed/repost.html", at=first.published_at + timedelta(minutes=30),
                         story=first.story_id, channel="forum", source_id="demo-forum", site="bbs.example.cn",
                         phrases=("拖延理赔",), unit_names=names))
    return docs


def seed_app(app: App, docs: list | None = None) -> list:
    """Put documents through the real index and router, as the index and route
    roles would (no bus, no scorer: quick). Returns the routed alerts."""
    docs = sample_docs(app) if docs is None else docs
    app.index.upsert(docs)
    alerts = {}
    for doc in docs:
        for routed in app.router.handle(doc):
            alerts[routed.alert.id] = routed.alert
    return list(alerts.values())


# ---------------------------------------------------------------- headless browser (console tests)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    import importlib.util
    import os
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found (apt-get install chromium chromium-driver; .ci/run does it)"
    return None


PHONE_WIDTH_MAX = 500  # narrower than headless Chromium's smallest window: emulated as a phone


def chromium(user_data_dir: Path, width: int = 1400, height: int = 900, notifications: bool = False):
    """Headless Debian Chromium through Selenium with the system chromedriver.
    A ``width`` under 500 px is a phone's screen, emulated (deviceScaleFactor 2, mobile viewport):
    the window itself cannot be that narrow.
    SE_OFFLINE keeps Selenium Manager from trying to download a driver or browser.
    ``notifications``: the profile grants web notifications, as a duty officer who allowed them has."""
    import os
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-extensions", "--lang=zh-CN",
                 f"--window-size={width},{height}", f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    if notifications:
        options.add_experimental_option("prefs", {"profile.default_content_setting_values.notifications": 1})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    if width < PHONE_WIDTH_MAX:  # headless Chromium's window is never narrower than 500 px: a phone's screen
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    return driver


def mark_page(driver) -> None:
    """Mark the page about to be left (``new_page`` waits for a page without the mark)."""
    driver.execute_script("window.__leaving = 1;")


def new_page(driver):
    """A condition: the page marked by ``mark_page`` has been replaced and the new one has loaded.
    (This Chromium answers any use of an element of the page being left with a generic
    "node does not belong to the document" error, not a stale element, so Selenium's
    ``staleness_of`` fails now and then; nothing here touches old elements.)"""
    from selenium.common.exceptions import WebDriverException

    def loaded(d):
        try:
            return d.execute_script("return window.__leaving === undefined && document.readyState === 'complete';")
        except WebDriverException:  # mid-navigation
            return False
    return loaded


def click_to_new_page(driver, locator: tuple[str, str], timeout: float = 30.0) -> None:
    """Click what posts a form or follows a link (``locator``: (By…, value)) and wait until the
    page it leads to has replaced this one: reading the new page's content before that could
    read the old page while it is being torn down, under load."""
    from selenium.webdriver.support.ui import WebDriverWait
    mark_page(driver)
    driver.find_element(*locator).click()
    WebDriverWait(driver, timeout, poll_frequency=0.05).until(new_page(driver))


def chromium_session(tmp_path_factory, name: str, **options):
    """A module fixture's browser: ``yield from chromium_session(tmp_path_factory, "chromium-x", width=…)``
    gives a :func:`chromium` driver on a fresh profile and quits it afterwards."""
    driver = chromium(tmp_path_factory.mktemp(name), **options)
    try:
        yield driver
    finally:
        driver.quit()


def terminate(proc, timeout: float = 30.0) -> None:
    """Stop a child as the supervisor would (SIGTERM), killing it if it does not exit within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
