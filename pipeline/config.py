"""Configuration: four YAML files under one folder, validated at load.

* ``settings.yaml`` — backends, data directory, console, gateways
* ``sources.yaml``  — what to crawl and how often
* ``members.yaml``  — member units, aliases, contacts, duty officers
* ``rules.yaml``    — lexicon, thresholds, levels, escalation

Errors name the file, the field and the problem, e.g.
``config/members.yaml: units[3].contacts[0].phone: not a mobile number``.
``${VAR}`` and ``${VAR:-default}`` in YAML string values are expanded from the
environment so one file serves several machines. Secrets are never read from
YAML: a field such as ``password_env`` names the environment variable.
"""
from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.messages import Channel, Level


class ConfigError(ValueError):
    """Invalid configuration; ``str(err)`` lists every problem, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """``30`` / ``"30s"`` / ``"5m"`` / ``"2h"`` / ``"1d"`` to seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h)")
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


# ---------------------------------------------------------------- alerting (routes, rota, gateways)
# Used by settings (gateways), members (contacts, robots, rota, unit routes)
# and rules (association default routes, timings, limits); see alerting/.

AlertChannel = Literal["sms", "email", "robot"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def hhmm_minutes(value: str) -> int:
    """``"08:30"`` → 510 (minutes after local midnight)."""
    m = _HHMM.match(value)
    if not m:
        raise ValueError(f"not a time of day: {value!r} (use HH:MM, e.g. 08:30)")
    return int(m.group(1)) * 60 + int(m.group(2))


def _hhmm(value: str) -> str:
    hhmm_minutes(value)
    return value


def _duration_or_never(value: Any) -> float | None:
    # "never" (or 0) switches a timer off; None means "inherit".
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in {"never", "off"} or value == 0:
        return 0.0
    return parse_duration(value)


class QuietHours(Strict):
    """Hold messages to this contact between ``start`` and ``end`` (local
    time, may wrap midnight) unless the level is ``bypass`` or more severe;
    held messages go out when quiet hours end."""

    start: str
    end: str
    bypass: Level = Level.red
    channels: list[Literal["sms", "email"]] = Field(default_factory=lambda: ["sms", "email"])

    _times = field_validator("start", "end")(lambda cls, v: _hhmm(v))


class LevelRoute(Strict):
    """How one level is delivered. Every field left out is inherited: a unit's
    route from the association's (rules.yaml), that one from built-in defaults."""

    channels: list[AlertChannel] | None = None
    duty: bool | None = None  # tell the duty officers at once (not only on escalation)
    digest: bool | None = None  # hold for the morning digest instead of sending now
    escalate_after: float | None = None  # unacknowledged this long → next step; "never" = 0
    repeat_every: float | None = None  # new reposts re-notify at most this often

    _durations = field_validator("escalate_after", "repeat_every", mode="before")(
        lambda cls, v: _duration_or_never(v))


class RobotConfig(Strict):
    """A WeCom or DingTalk group robot. The webhook credential (DingTalk
    access_token, WeCom key) and DingTalk's signing secret are read from the
    environment variables named here, never from YAML."""

    id: str = Field(pattern=_ID)
    kind: Literal["dingtalk", "wecom"]
    name: str = ""
    token_env: str
    secret_env: str | None = None  # DingTalk 加签 secret (SEC…)
    per_minute: int = Field(20, ge=1)  # both providers allow 20 messages a minute per robot

    @model_validator(mode="after")
    def _wecom_has_no_secret(self) -> "RobotConfig":
        if self.kind == "wecom" and self.secret_env:
            raise ValueError("secret_env is for DingTalk robots; a WeCom robot has only its key (token_env)")
        return self


class Shift(Strict):
    """A daily shift; ``rotation`` lists who is on duty, one entry per turn,
    taking turns every ``every_days`` days from the rota's anchor date."""

    name: str
    start: str
    end: str  # equal to start: a 24-hour shift; earlier: wraps midnight
    rotation: list[list[str]] = Field(min_length=1)
    every_days: int = Field(1, ge=1)

    _times = field_validator("start", "end")(lambda cls, v: _hhmm(v))


class RotaOverride(Strict):
    """Who is on duty instead, from ``start`` to ``end`` (local time): holidays, swaps."""

    start: datetime
    end: datetime
    officers: list[str] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "RotaOverride":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DutyRota(Strict):
    timezone: str = "Asia/Shanghai"
    anchor: date  # turn 0 of every shift's rotation starts on this day
    shifts: list[Shift] = Field(min_length=1)
    overrides: list[RotaOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _whole_day_covered(self) -> "DutyRota":
        covered = [False] * 1440
        for s in self.shifts:
            a, b = hhmm_minutes(s.start), hhmm_minutes(s.end)
            span = (b - a) % 1440 or 1440
            for i in range(span):
                covered[(a + i) % 1440] = True
        if not all(covered):
            # Name the gap from where it starts (the minute after a covered one).
            gap = next((i for i in range(1440) if not covered[i] and covered[i - 1]), 0)
            raise ValueError(f"shifts leave {gap // 60:02d}:{gap % 60:02d} uncovered: nobody would be on duty")
        return self


class SpikeRule(Strict):
    docs: int = Field(5, ge=2)  # this many new items in the story …
    within: float = 3600.0  # … within this long re-notifies (VOLUME_SPIKE)

    _within = field_validator("within", mode="before")(lambda cls, v: parse_duration(v))


def _default_routes() -> dict[Level, "LevelRoute"]:
    return {
        Level.red: LevelRoute(channels=["sms", "email", "robot"], escalate_after=900, repeat_every=3600),
        Level.orange: LevelRoute(channels=["sms", "email", "robot"], escalate_after=1800, repeat_every=7200),
        Level.yellow: LevelRoute(channels=["email", "robot"], escalate_after=7200, repeat_every=21600),
        Level.blue: LevelRoute(channels=["email"], digest=True, escalate_after=0, repeat_every=86400),
    }


class AlertingRules(Strict):
    """rules.yaml ``alerting:`` — the association's default routes and timings."""

    routes: dict[Level, LevelRoute] = Field(default_factory=_default_routes)
    digest_at: str = "08:30"  # local time of the morning digest
    min_renotify_gap: float = 900.0  # spread/mainstream/spike updates at most this often
    spike: SpikeRule = Field(default_factory=SpikeRule)
    # Mainstream outlets: site host suffixes (people.com.cn) or source ids.
    mainstream: list[str] = Field(default_factory=list)
    sms_per_phone_per_day: int = Field(10, ge=1)
    # When a personal channel fails for good, try these for the same person.
    fallback: dict[Literal["sms", "email"], list[Literal["sms", "email"]]] = Field(
        default_factory=lambda: {"sms": ["email"], "email": ["sms"]})
    max_attempts: int = Field(8, ge=1)  # transient failures retried this often, with backoff
    ack_link_ttl: float = 3 * 86400.0
    ops_channels: list[AlertChannel] = Field(default_factory=lambda: ["email", "robot"])

    _digest = field_validator("digest_at")(lambda cls, v: _hhmm(v))
    _gaps = field_validator("min_renotify_gap", "ack_link_ttl", mode="before")(lambda cls, v: parse_duration(v))

    @field_validator("routes")
    @classmethod
    def _inherit_builtin(cls, routes: dict) -> dict:
        # Levels and fields left out keep the built-in defaults.
        base = _default_routes()
        for level, route in routes.items():
            base[level] = base[level].model_copy(update=route.model_dump(exclude_none=True))
        return base

    @field_validator("mainstream")
    @classmethod
    def _mainstream_terms(cls, v: list[str]) -> list[str]:
        return _non_empty_terms(v)


class AliyunSmsConfig(Strict):
    """Aliyun SMS (dysmsapi SendSms, RPC signature v1)."""

    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    access_key_id_env: str = "ALIBABA_CLOUD_ACCESS_KEY_ID"
    access_key_secret_env: str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    region_id: str = "cn-hangzhou"
    sign_name: str
    template_code: str
    # Our fields, by the names the approved template uses (TemplateParam JSON).
    template_params: list[str] = Field(default_factory=lambda: ["unit", "level", "title", "source", "link"])
    timeout: float = 10.0


class TencentSmsConfig(Strict):
    """Tencent Cloud SMS (SendSms 2021-01-11, TC3-HMAC-SHA256)."""

    endpoint: str = "https://sms.tencentcloudapi.com"
    secret_id_env: str = "TENCENTCLOUD_SECRET_ID"
    secret_key_env: str = "TENCENTCLOUD_SECRET_KEY"
    region: str = "ap-guangzhou"
    sdk_app_id: str
    sign_name: str
    template_id: str
    # Our fields in the order of the template's {1}, {2}, … (TemplateParamSet).
    template_params: list[str] = Field(default_factory=lambda: ["unit", "level", "title", "source", "link"])
    timeout: float = 10.0


class SmsConfig(Strict):
    provider: Literal["aliyun", "tencent"] | None = None  # none: SMS is off
    aliyun: AliyunSmsConfig | None = None
    tencent: TencentSmsConfig | None = None

    @model_validator(mode="after")
    def _provider_configured(self) -> "SmsConfig":
        if self.provider and getattr(self, self.provider) is None:
            raise ValueError(f"provider is {self.provider!r} but there is no {self.provider}: block")
        return self


class RobotGateways(Strict):
    dingtalk_endpoint: str = "https://oapi.dingtalk.com/robot/send"
    wecom_endpoint: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    timeout: float = 10.0


# ---------------------------------------------------------------- settings


class BackendConfig(Strict):
    url: str
    options: dict[str, Any] = Field(default_factory=dict)


class SmtpConfig(Strict):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "yuqing@localhost"
    sender_name: str = "舆情监测中心"
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None  # name of the env var holding the password
    timeout: float = 10.0

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


class DemoConfig(Strict):
    """Local stand-ins started by ``yuqing run`` for the demo configuration."""

    site_port: int | None = None  # start the demo site on this port
    site_speed: float = 1.0  # >1 publishes the scripted items faster
    mailsink_port: int | None = None  # start a local SMTP sink storing .eml files
    # Start local stand-ins for the SMS and robot providers (alerting.gatewaysim)
    # with throwaway credentials; messages land in <data_dir>/gateway/.
    gateways: bool = False
    gateway_port: int = 0  # 0: any free port


class ConsoleSettings(Strict):
    """The web console (console/): users, sessions, scheduled reports."""

    users_db: str = "console.db"  # users, sessions, handling records; relative to data_dir
    session_ttl: float = 12 * 3600.0  # a login lasts at most this long …
    idle_timeout: float = 4 * 3600.0  # … and ends after this long without a request
    cookie_secure: bool = False  # set true when the console is served over HTTPS
    # Seed demo users (duty, analyst, admin, one lead per unit) into an empty
    # users database; their password is read from this env var, else random
    # and printed once at first start.
    demo_users: bool = False
    demo_password_env: str = "YUQING_CONSOLE_DEMO_PASSWORD"
    reports: bool = True  # 舆情日报 daily and 周报 Monday, at report_time (settings timezone)
    report_time: str = "08:00"
    feed_interval: float = 1.0  # seconds between live-feed polls of the alert store (< 2 s)

    _durations = field_validator("session_ttl", "idle_timeout", "feed_interval", mode="before")(
        lambda cls, v: parse_duration(v))
    _time = field_validator("report_time")(lambda cls, v: _hhmm(v))


class Settings(Strict):
    data_dir: str = "var"
    timezone: str = "Asia/Shanghai"
    bus: BackendConfig = BackendConfig(url="sqlite:///bus.db")
    index: BackendConfig = BackendConfig(url="sqlite:///index.db")
    alert_store: BackendConfig = BackendConfig(url="sqlite:///alerts.db")
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    console_base_url: str = "http://127.0.0.1:8080"
    console: ConsoleSettings = ConsoleSettings()
    smtp: SmtpConfig = SmtpConfig()
    sms: SmsConfig = SmsConfig()
    robots: RobotGateways = RobotGateways()
    demo: DemoConfig = DemoConfig()
    # Prometheus /metrics per role process; -1 disables, 0 picks a free port.
    metrics_host: str = "127.0.0.1"
    metrics_ports: dict[str, int] = Field(default_factory=lambda: {
        "crawl": 9101, "score": 9102, "index": 9103, "route": 9104, "notify": 9105, "console": 9106})
    roles: list[str] = Field(
        default_factory=lambda: ["crawl", "score", "index", "route", "notify"],
        description="roles started by `yuqing run`",
    )

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        known = {"crawl", "score", "index", "route", "notify", "console"}
        bad = [r for r in roles if r not in known]
        if bad:
            raise ValueError(f"unknown role(s) {bad}; known: {sorted(known)}")
        return roles


# ---------------------------------------------------------------- sources


class Selectors(Strict):
    """CSS (default) or XPath (prefix ``xpath:``) selectors for list/detail sites
    (``list_links`` required there), and for the article pages a feed links to."""

    list_links: str | None = None
    next_page: str | None = None
    title: str | None = None
    content: str | None = None
    published_at: str | None = None
    author: str | None = None
    # Counts shown on the detail page, by name: {views: "span.views", replies: "…"};
    # "阅读 1.2万" is read as 12000.
    engagement: dict[str, str] = Field(default_factory=dict)


class EpaperSpec(Strict):
    """An e-newspaper's digital edition (数字报): issue → 版面 → article. The
    first 版面 of an issue is ``issue_url`` formatted with the issue date
    (``{date:%Y%m}/{date:%d}/node_01.html``); every 版面 linked from it by
    ``pages`` is visited and its articles (``selectors.list_links``) fetched."""

    issue_url: str
    pages: str
    days: int = Field(1, ge=1, le=31)  # today's issue and the days before (holidays, late crawls)

    @field_validator("issue_url")
    @classmethod
    def _templated(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v) or "{date" not in v:
            raise ValueError(f"needs an http(s) URL with a {{date:…}} placeholder, got {v!r}")
        return v


class ApiFields(Strict):
    """JMESPath expressions into one item of a JSON API response."""

    url: str | None = None
    url_template: str | None = None  # e.g. "https://vendor.example.cn/doc/{id}" from the id field
    id: str | None = None
    title: str | None = None
    text: str | None = None
    author: str | None = None
    published_at: str | None = None
    language: str | None = None
    channel: str | None = None  # a vendor feed may mix channels (weibo, news, …)
    engagement: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_url(self) -> "ApiFields":
        if not self.url and not (self.url_template and self.id):
            raise ValueError("needs url, or url_template and id")
        return self


class ApiSpec(Strict):
    """A JSON API source: where the items are, what each field is, how to page.
    ``jsonapi`` sources need it; ``weibo`` and ``douyin`` have built-in ones
    (crawlers/presets.yaml) that these fields override."""

    items: str | None = None  # JMESPath to the list of items, e.g. "data.list"
    fields: ApiFields | None = None
    ok: str | None = None  # JMESPath that must be true in a good response, e.g. "code == `0`"
    error: str | None = None  # JMESPath of the provider's error message
    page_param: str | None = None  # query parameter taking the page number (1, 2, …)
    cursor_param: str | None = None  # query parameter taking next_cursor of the previous page
    next_cursor: str | None = None
    has_more: str | None = None  # JMESPath; false stops paging
    since_param: str | None = None  # query parameter: only items newer than the cursor (epoch s)
    html_fields: list[str] = Field(default_factory=list)  # fields holding HTML, turned into text


class Politeness(Strict):
    """How hard a source's site may be hit (Scrapy settings of its crawl)."""

    obey_robots: bool = True
    delay: float = 1.0  # seconds between requests to one site (randomised 0.5–1.5×)
    concurrency: int = Field(2, ge=1, le=16)  # requests in flight per site
    autothrottle: bool = True
    timeout: float = 20.0
    retries: int = Field(2, ge=0, le=10)
    backoff: float = 2.0  # first retry after this many seconds, doubling each time
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    proxies: list[str] = Field(default_factory=list)  # http://host:port, used in turn
    proxies_env: str | None = None  # env var with a comma-separated proxy list (may carry credentials)
    user_agent: str | None = None

    _delays = field_validator("delay", "timeout", "backoff", mode="before")(
        lambda cls, v: 0.0 if v in (0, "0") else parse_duration(v))


class SourceHealthPolicy(Strict):
    """When a source counts as blind (crawlers/health.py): no successful run
    for ``fail_after`` × interval → source_failing; no new item for
    ``silent_after`` × ``expect_new_every`` → source_silent. Never sooner
    than ``min_alert_after`` (a hiccup is not an incident)."""

    fail_after: float = Field(3.0, gt=0)
    expect_new_every: float = 6 * 3600.0
    silent_after: float = Field(4.0, ge=0)  # 0: the source may be quiet for ever
    min_alert_after: float = 600.0

    _durations = field_validator("expect_new_every", "min_alert_after", mode="before")(
        lambda cls, v: parse_duration(v))


SpiderKind = Literal["listdetail", "rss", "epaper", "weibo", "wechat", "douyin", "jsonapi"]
_NEEDS_START_URLS = {"listdetail", "rss", "jsonapi"}
_NEEDS_QUERY_OR_ACCOUNTS = {"weibo", "wechat", "douyin"}


class SourceConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    channel: Channel
    spider: SpiderKind
    start_urls: list[str] = Field(default_factory=list)
    selectors: Selectors | None = None
    interval: float = 300.0
    priority: int = 5
    enabled: bool = True
    max_pages: int = Field(3, ge=1)
    language: str = "zh"  # "auto": guessed per document from its script
    # How much the source matters (reach, authority): levels may require a
    # minimum (rules.yaml levels[].min_source_weight). 1.0 is an ordinary source.
    weight: float = Field(1.0, ge=0)
    timezone: str | None = None  # of dates printed without an offset (default: settings.timezone)
    # Re-fetch detail pages first seen less than this long ago and publish
    # them again if their content changed (news gets corrected).
    revisit: float = 0.0
    # Social platforms and search: keywords, accounts (Weibo uid, Douyin
    # sec_user_id, WeChat account name), the API host (default: the real one).
    query: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    # Secrets never live here: the Cookie header, header values and query
    # parameters (signatures, tokens) are read from the environment variables named.
    cookie_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    params_env: dict[str, str] = Field(default_factory=dict)
    api: ApiSpec | None = None
    epaper: EpaperSpec | None = None
    politeness: Politeness = Field(default_factory=Politeness)
    health: SourceHealthPolicy = Field(default_factory=SourceHealthPolicy)

    _interval = field_validator("interval", mode="before")(lambda cls, v: parse_duration(v))
    _revisit = field_validator("revisit", mode="before")(lambda cls, v: 0.0 if v in (0, "0") else parse_duration(v))

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("endpoint")
    @classmethod
    def _http_endpoint(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _what_each_spider_needs(self) -> "SourceConfig":
        kind = self.spider
        if kind in ("listdetail", "epaper") and (self.selectors is None or not self.selectors.list_links):
            raise ValueError(f"spider {kind!r} needs selectors.list_links")
        if kind in _NEEDS_START_URLS and not self.start_urls:
            raise ValueError(f"spider {kind!r} needs start_urls")
        if kind == "epaper" and self.epaper is None:
            raise ValueError("spider 'epaper' needs epaper.issue_url and epaper.pages")
        if kind in _NEEDS_QUERY_OR_ACCOUNTS and not (self.query or self.accounts):
            raise ValueError(f"spider {kind!r} needs query or accounts")
        if kind == "jsonapi" and (self.api is None or not self.api.items or self.api.fields is None):
            raise ValueError("spider 'jsonapi' needs api.items and api.fields")
        for term in (*self.query, *self.accounts):
            if not term.strip():
                raise ValueError("empty query or account (it would match everything)")
        return self


class SourcesFile(Strict):
    sources: list[SourceConfig]

    @model_validator(mode="after")
    def _unique_ids(self) -> "SourcesFile":
        _no_duplicates([s.id for s in self.sources], "sources", "id")
        return self


# ---------------------------------------------------------------- members

_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Contact(Strict):
    name: str
    role: Literal["primary", "backup"] = "primary"
    phone: str | None = None
    email: str | None = None
    # Group robots are declared once under `robots:` and referenced by units.
    quiet_hours: QuietHours | None = None

    @field_validator("phone")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        if v is not None and not _MOBILE.match(v.replace(" ", "").replace("-", "")):
            raise ValueError("not a mobile number")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.match(v):
            raise ValueError("not an email address")
        return v

    @model_validator(mode="after")
    def _reachable(self) -> "Contact":
        if not (self.phone or self.email):
            raise ValueError("a contact needs a phone or an email")
        return self

    @property
    def label(self) -> str:
        """Who this is, as audited (the ack link's actor): name and address."""
        return f"{self.name} <{self.phone or self.email}>"


def _non_empty_terms(terms: list[str]) -> list[str]:
    for t in terms:
        if not t.strip():
            raise ValueError("empty term (an empty alias would match everything)")
    return terms


def _english_phrases(phrases: list[str]) -> list[str]:
    """Phrases matched on words (sentiment/english.py): each needs a word, and
    ``*`` may only end a word of at least three letters (penalt*)."""
    for p in _non_empty_terms(phrases):
        if not any(c.isalnum() for c in p):
            raise ValueError(f"{p!r} has no word in it")
        for word in re.split(r"[\s\-]+", p):
            if "*" in word and (not word.endswith("*") or word.count("*") > 1 or len(word) < 4):
                raise ValueError(f"{p!r}: '*' may only end a word of at least three letters")
    return phrases


class MonitoringScheme(Strict):
    """A monitoring scheme (监测方案): every group must match (AND), any word
    of a group matches it (OR), no ``exclude`` word may occur (NOT). ``@unit``
    in a group stands for the unit's names and aliases. See sentiment/schemes.py."""

    id: str = Field(pattern=_ID)
    name: str = ""
    groups: dict[str, list[str]] = Field(min_length=1)  # e.g. subject / region / event
    exclude: list[str] = Field(default_factory=list)
    scope: Literal["document", "sentence"] = "document"
    subject_group: str = "subject"  # its words count as mentions of the unit

    @field_validator("groups")
    @classmethod
    def _groups_not_empty(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in groups.items():
            if not words:
                raise ValueError(f"group {name!r} is empty (an empty group would match everything)")
            _non_empty_terms(words)
        return groups

    _exclude = field_validator("exclude")(lambda cls, v: _non_empty_terms(v))


class MemberUnit(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=2)
    aliases: list[str] = Field(default_factory=list)
    # Phrases containing an alias that do NOT refer to the unit (平安夜, 平安回家…).
    exclusions: list[str] = Field(default_factory=list)
    # Aliases (listed in `aliases`) that are everyday words or other
    # organisations' names (平安, 阳光, 大地): they count only with a context
    # word (members.yaml `alias_context_words`) nearby (sentiment/matching.py).
    needs_context: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(min_length=1)
    robots: list[str] = Field(default_factory=list)  # ids from `robots:`: the unit's group robots
    routes: dict[Level, LevelRoute] = Field(default_factory=dict)  # overrides of the association's
    # Monitoring schemes; when present they, not the bare aliases, decide
    # which documents are about the unit (sentiment/schemes.py).
    schemes: list[MonitoringScheme] = Field(default_factory=list)

    _terms = field_validator("aliases", "exclusions")(lambda cls, v: _non_empty_terms(v))

    @model_validator(mode="after")
    def _guarded_aliases_listed(self) -> "MemberUnit":
        for alias in self.needs_context:
            if alias not in self.aliases:
                raise ValueError(f"needs_context: {alias!r} is not one of the unit's aliases")
        return self

    @field_validator("schemes")
    @classmethod
    def _unique_schemes(cls, schemes: list[MonitoringScheme]) -> list[MonitoringScheme]:
        _no_duplicates([s.id for s in schemes], "schemes", "id")
        return schemes

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class DutyOfficer(Contact):
    id: str | None = Field(None, pattern=_ID)  # how the rota names this officer (default: name)

    @property
    def key(self) -> str:
        return self.id or self.name


class Association(Strict):
    name: str
    duty_officers: list[DutyOfficer] = Field(default_factory=list)
    duty_rota: DutyRota | None = None  # none: every duty officer, all the time
    robots: list[str] = Field(default_factory=list)  # the duty group's robots


class MembersFile(Strict):
    association: Association
    units: list[MemberUnit] = Field(min_length=1)
    robots: list[RobotConfig] = Field(default_factory=list)
    # Words that make an alias marked needs_context count (保险, 理赔…);
    # absent: sentiment/matching.py DEFAULT_CONTEXT_WORDS.
    alias_context_words: list[str] | None = None

    _context_words = field_validator("alias_context_words")(
        lambda cls, v: v if v is None else _non_empty_terms(v))

    @model_validator(mode="after")
    def _unique(self) -> "MembersFile":
        _no_duplicates([u.id for u in self.units], "units", "id")
        _no_duplicates([r.id for r in self.robots], "robots", "id")
        _no_duplicates([o.key for o in self.association.duty_officers], "association.duty_officers", "id")
        return self

    @model_validator(mode="after")
    def _references(self) -> "MembersFile":
        robots = {r.id for r in self.robots}
        for where, ids in [("association.robots", self.association.robots),
                           *((f"units[{i}].robots", u.robots) for i, u in enumerate(self.units))]:
            for rid in ids:
                if rid not in robots:
                    raise ValueError(f"{where}: unknown robot {rid!r} (declare it under robots:)")
        rota = self.association.duty_rota
        if rota:
            officers = {o.key for o in self.association.duty_officers}
            names = [(f"association.duty_rota.shifts[{i}].rotation", n) for i, s in enumerate(rota.shifts)
                     for turn in s.rotation for n in turn]
            names += [(f"association.duty_rota.overrides[{i}].officers", n)
                      for i, o in enumerate(rota.overrides) for n in o.officers]
            for where, name in names:
                if name not in officers:
                    raise ValueError(f"{where}: {name!r} is not one of association.duty_officers")
        return self


# ---------------------------------------------------------------- rules


class LevelRule(Strict):
    """The most severe level whose every minimum is met applies (sentiment/levels.py)."""

    level: Level
    min_negativity: float = Field(ge=0, le=1)
    min_relevance: float = Field(0.0, ge=0, le=1)  # how much the item is about the unit
    min_source_weight: float = Field(0.0, ge=0)  # sources.yaml weight (unknown sources: 1.0)


class EngagementBoost(Strict):
    """A negative item already spreading is raised ``levels`` levels (never
    above red): its interactions — the sum of the ``counts`` the page or API
    gave (reposts, comments, likes…; views and plays are not interactions) —
    reach ``min_engagement``. See sentiment/levels.py."""

    min_engagement: int = Field(ge=1)
    levels: int = Field(1, ge=1, le=3)
    counts: list[str] = Field(default_factory=lambda: ["reposts", "shares", "comments", "replies", "likes"],
                              min_length=1)


class RiskLevelBounds(Strict):
    """A risk type's level sensitivity beyond its weight (sentiment/levels.py)."""

    min: Level | None = None  # an alerting item of this type is at least this level
    max: Level | None = None  # an item whose only risk types are capped is at most this level


class Rules(Strict):
    # risk type -> phrases; e.g. 理赔纠纷: [拒赔, 理赔难]
    negative_lexicon: dict[str, list[str]]
    # phrases that weaken a nearby negative phrase (辟谣, 不实…)
    negation_cues: list[str] = Field(default_factory=list)
    # Not negative for the association (routine share sales and unlocks,
    # ordinary market moves: 减持, 解禁, 股价下跌) and hedges (拟, 或将, 传闻):
    # features of the fitted combination (sentiment/combine.py).
    routine_cues: list[str] = Field(default_factory=list)
    hedge_cues: list[str] = Field(default_factory=list)
    # Documents that are not Chinese (overseas media) are scored on English
    # phrases grouped by the same risk types: risk type -> phrases, e.g.
    # 监管处罚: [fined, penalt*] (a word ending in * matches any word it
    # begins). Absent: the built-in lists in sentiment/english_lexicon.py.
    negative_lexicon_en: dict[str, list[str]] | None = None
    negation_cues_en: list[str] | None = None  # refuted, resolved, awareness… (as negation_cues)
    negative_threshold: float = Field(0.6, ge=0, le=1)
    levels: list[LevelRule] = Field(min_length=1)
    # Weight of each lexicon risk type (default 1.0): weak signals such as
    # 投诉 count less than 拒赔 or 罚款.
    risk_weights: dict[str, float] = Field(default_factory=dict)
    risk_levels: dict[str, RiskLevelBounds] = Field(default_factory=dict)
    # Words that place a document in the association's region (吉林, 长春…):
    # a brand-only mention (中国人寿) is more relevant with one of them.
    region_words: list[str] = Field(default_factory=lambda: ["吉林"])
    min_relevance: float = Field(0.0, ge=0, le=1)  # below this, no level at all
    engagement_boost: EngagementBoost | None = None  # spreading items one level up
    # Channels whose documents alert by email; all channels by default.
    alert_channels: list[Literal["email"]] = Field(default_factory=lambda: ["email"])
    notify_duty_officers: bool = True  # default for routes that do not say `duty:`
    alerting: AlertingRules = Field(default_factory=AlertingRules)

    @field_validator("negative_lexicon")
    @classmethod
    def _groups_not_empty(cls, lex: dict[str, list[str]]) -> dict[str, list[str]]:
        for group, phrases in lex.items():
            if not phrases:
                raise ValueError(f"lexicon group {group!r} is empty")
            _non_empty_terms(phrases)
        return lex

    @field_validator("negative_lexicon_en")
    @classmethod
    def _english_groups_known(cls, lex: dict[str, list[str]] | None, info) -> dict[str, list[str]] | None:
        chinese = info.data.get("negative_lexicon") or {}
        for group, phrases in (lex or {}).items():
            if group not in chinese:
                raise ValueError(f"{group!r} is not a negative_lexicon group (English phrases use the same risk types)")
            if not phrases:
                raise ValueError(f"lexicon group {group!r} is empty")
            _english_phrases(phrases)
        return lex

    @field_validator("negation_cues_en")
    @classmethod
    def _english_cues(cls, cues: list[str] | None) -> list[str] | None:
        return None if cues is None else _english_phrases(cues)

    @field_validator("levels")
    @classmethod
    def _levels_sorted(cls, levels: list[LevelRule]) -> list[LevelRule]:
        return sorted(levels, key=lambda r: -r.min_negativity)

    @field_validator("risk_weights")
    @classmethod
    def _risk_weights_known(cls, weights: dict[str, float], info) -> dict[str, float]:
        lexicon = info.data.get("negative_lexicon") or {}
        for risk, weight in weights.items():
            if risk not in lexicon:
                raise ValueError(f"{risk!r} is not a negative_lexicon group")
            if weight < 0:
                raise ValueError(f"{risk!r}: weight must not be negative")
        return weights

    @field_validator("risk_levels")
    @classmethod
    def _risk_levels_known(cls, bounds: dict[str, RiskLevelBounds], info) -> dict[str, RiskLevelBounds]:
        lexicon = info.data.get("negative_lexicon") or {}
        for risk, b in bounds.items():
            if risk not in lexicon:
                raise ValueError(f"{risk!r} is not a negative_lexicon group")
            if b.min and b.max and b.min.rank < b.max.rank:
                raise ValueError(f"{risk!r}: min {b.min.value} is more severe than max {b.max.value}")
        return bounds

    _regions = field_validator("region_words", "routine_cues", "hedge_cues")(lambda cls, v: _non_empty_terms(v))


# ---------------------------------------------------------------- loading


class AppConfig(BaseModel):
    root: Path
    settings: Settings
    sources: list[SourceConfig]
    members: MembersFile
    rules: Rules

    @property
    def data_dir(self) -> Path:
        p = Path(self.settings.data_dir)
        return p if p.is_absolute() else Path.cwd() / p

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"no source {source_id!r} in {self.root / 'sources.yaml'}")

    def unit(self, unit_id: str) -> MemberUnit:
        for u in self.members.units:
            if u.id == unit_id:
                return u
        raise KeyError(f"no unit {unit_id!r} in {self.root / 'members.yaml'}")


def _no_duplicates(values: list[str], where: str, field: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{where}[{i}].{field}: duplicate {v!r}")
        seen.add(v)


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: Any, missing: list[str], where: str) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            missing.append(f"{where}: environment variable {name} is not set")
            return ""
        return _ENV.sub(sub, value)
    if isinstance(value, list):
        return [_expand(v, missing, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, missing, where) for k, v in value.items()}
    return value


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part in {"function-after", "function-before"}:
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return None
    except UnicodeDecodeError as e:
        problems.append(f"{path}: not UTF-8 ({e.reason} at byte {e.start})")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.append(f"{path}: {where}invalid YAML ({getattr(e, 'problem', None) or e})")
        return None
    missing: list[str] = []
    data = _expand(data if data is not None else {}, missing, str(path))
    problems.extend(missing)
    return data


def _validate(model: type[BaseModel], data: Any, path: Path, problems: list[str]):
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{path}: {_loc(err['loc'])}: {msg}")
        return None


def load_config(root: str | Path, data_dir: str | Path | None = None) -> AppConfig:
    """Load and validate the four files under ``root``; raise ConfigError
    listing every problem found (not just the first)."""
    root = Path(root)
    problems: list[str] = []
    if not root.is_dir():
        raise ConfigError([f"{root}: configuration folder not found"])
    settings = _validate(Settings, _read_yaml(root / "settings.yaml", problems), root / "settings.yaml", problems)
    sources = _validate(SourcesFile, _read_yaml(root / "sources.yaml", problems), root / "sources.yaml", problems)
    members = _validate(MembersFile, _read_yaml(root / "members.yaml", problems), root / "members.yaml", problems)
    rules = _validate(Rules, _read_yaml(root / "rules.yaml", problems), root / "rules.yaml", problems)
    if problems:
        raise ConfigError(problems)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": str(data_dir)})
    return AppConfig(root=root, settings=settings, sources=sources.sources, members=members, rules=rules)
