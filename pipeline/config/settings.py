"""``settings.yaml``: backends, data directory, console, SMTP, SMS and robot gateways, demo stand-ins."""
from __future__ import annotations

import ipaddress
import os
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pipeline.config.base import Strict, _hhmm, parse_duration
from pipeline.config.sms import PARAM_MAX, SmsForm, SmsTemplates, default_templates


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"port {value} is out of range (1–65535)")
    return value


def _port_or_any(value: int | None) -> int | None:
    return value if value is None or value == 0 else _port(value)


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be more than 0, got {value}")
    return value


def _url(*schemes: str):
    def check(value: str) -> str:
        from urllib.parse import urlsplit
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise ValueError(f"{value!r}: unsupported scheme {parts.scheme + '://' if parts.scheme else '(none)'}; "
                             f"use {', '.join(s + '://' for s in schemes)}")
        if parts.scheme in ("http", "https", "kafka") and not parts.netloc:
            raise ValueError(f"{value!r}: no host")
        return value
    return check


def _host(url: object) -> str | None:
    from urllib.parse import urlsplit
    return urlsplit(url).hostname if isinstance(url, str) else None


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AliyunSmsConfig(Strict):
    """Aliyun SMS (dysmsapi SendSms, RPC signature v1)."""

    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    access_key_id_env: str = "ALIBABA_CLOUD_ACCESS_KEY_ID"
    access_key_secret_env: str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    region_id: str = "cn-hangzhou"
    sign_name: str
    # The approved templates (pipeline/config/sms.py): TemplateCode and text, variables as {name}
    # (TemplateParam JSON carries them by these names).
    templates: SmsTemplates
    param_max: int = PARAM_MAX["aliyun"]  # characters a variable may hold (通知短信 variables: 1-35)
    timeout: float = 10.0

    _endpoint = field_validator("endpoint")(lambda cls, v: _url("http", "https")(v))
    _timeout = field_validator("timeout")(lambda cls, v: _positive(v))


class TencentSmsConfig(Strict):
    """Tencent Cloud SMS (SendSms 2021-01-11, TC3-HMAC-SHA256)."""

    endpoint: str = "https://sms.tencentcloudapi.com"
    secret_id_env: str = "TENCENTCLOUD_SECRET_ID"
    secret_key_env: str = "TENCENTCLOUD_SECRET_KEY"
    region: str = "ap-guangzhou"
    sdk_app_id: str
    sign_name: str
    # The approved templates (pipeline/config/sms.py): TemplateId and text, variables as {name} in the
    # order of the approved text's {1}, {2}, … (TemplateParamSet).
    templates: SmsTemplates
    param_max: int = PARAM_MAX["tencent"]  # 12 for an individually verified account; an enterprise: its console's figure
    timeout: float = 10.0

    _endpoint = field_validator("endpoint")(lambda cls, v: _url("http", "https")(v))
    _timeout = field_validator("timeout")(lambda cls, v: _positive(v))


class SmsConfig(Strict):
    provider: Literal["aliyun", "tencent"] | None = None  # none: SMS is off
    aliyun: AliyunSmsConfig | None = None
    tencent: TencentSmsConfig | None = None

    @model_validator(mode="after")
    def _provider_configured(self) -> SmsConfig:
        if self.provider and getattr(self, self.provider) is None:
            raise ValueError(f"provider is {self.provider!r} but there is no {self.provider}: block")
        return self

    def form(self, console_base_url: str) -> SmsForm:
        """The active provider's approved templates and variable limit (the demo's when SMS is off)."""
        active = getattr(self, self.provider) if self.provider else None
        if active is None:
            return SmsForm(default_templates(console_base_url), PARAM_MAX["aliyun"])
        return SmsForm(active.templates, active.param_max)


class RobotGateways(Strict):
    dingtalk_endpoint: str = "https://oapi.dingtalk.com/robot/send"
    wecom_endpoint: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    timeout: float = 10.0

    _endpoints = field_validator("dingtalk_endpoint", "wecom_endpoint")(lambda cls, v: _url("http", "https")(v))
    _timeout = field_validator("timeout")(lambda cls, v: _positive(v))


# ---------------------------------------------------------------- settings


class BackendConfig(Strict):
    url: str
    options: dict[str, Any] = Field(default_factory=dict)


class IndexConfig(BackendConfig):
    """``index:``: the adapter URL and options, and how long documents stay searchable."""

    url: str = "tantivy:///index"
    # Days a document stays in the index, by channel (news, weibo, …); ``default`` for the
    # channels not named. Empty: keep everything. The index role prunes once a day
    # (``yuqing prune`` on demand); alerts and their audit trail are not touched.
    retention_days: dict[str, int] = Field(default_factory=dict)
    prune_every: float = 24 * 3600.0  # how often the index role prunes

    _every = field_validator("prune_every", mode="before")(lambda cls, v: parse_duration(v))
    _empty = field_validator("retention_days", mode="before")(lambda cls, v: {} if v is None else v)  # keep all

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, days: dict[str, int]) -> dict[str, int]:
        from contracts.messages import Channel
        known = ["default", *(c.value for c in Channel)]
        for key, value in days.items():
            if key not in known:
                raise ValueError(f"{key}: not a channel; use default or one of {', '.join(known[1:])}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key}: must be a whole number of days ≥ 1, got {value!r}")
        return days


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

    _port = field_validator("port")(lambda cls, v: _port(v))
    _timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


class DemoConfig(Strict):
    """Local stand-ins started by ``yuqing run`` for the demo configuration."""

    site_port: int | None = None  # start the demo site on this port
    site_speed: float = 1.0  # >1 publishes the scripted items faster
    mailsink_port: int | None = None  # start a local SMTP sink storing .eml files
    # Start local stand-ins for the SMS and robot providers (demo.gateway)
    # with throwaway credentials; messages land in <data_dir>/gateway/.
    gateways: bool = False
    gateway_port: int = 0  # 0: any free port
    # Seed console users duty, analyst, admin and lead-<unit> into an empty
    # users database, with one password from this variable (else random).
    users: bool = False
    password_env: str = "YUQING_CONSOLE_DEMO_PASSWORD"

    _ports = field_validator("site_port", "mailsink_port", "gateway_port")(lambda cls, v: _port_or_any(v))
    _speed = field_validator("site_speed")(lambda cls, v: _positive(v))

    @property
    def active(self) -> bool:
        """Anything to start besides the roles (the demo launcher, demo/)."""
        return bool(self.site_port or self.mailsink_port or self.gateways or self.users)


class PipelineHealthSettings(Strict):
    """When the duty room's banner says a role of the pipeline is stalled (console/pipeline_health.py)."""

    # An SMS, e-mail or robot message due this long ago and not sent: 通知发送停滞 (the notify role is down
    # or cannot send); a message waits up to a poll interval, plus a retry's backoff, in normal work.
    outbox_grace: float = 120.0
    # A held alert's automatic forward (复核 timeout) this late and not done: 逾期未自动转发.
    review_grace: float = 60.0
    # The oldest message the score, index or route role has not consumed is this old: 积压 (on Kafka, whose
    # lag tells no age: since the console last saw the role's backlog empty or shrinking).
    lag_age: float = 300.0
    # One reading serves every feed and wall refresh for this long (each costs a few indexed queries).
    refresh: float = 5.0

    _durations = field_validator("outbox_grace", "review_grace", "lag_age", "refresh", mode="before")(
        lambda cls, v: parse_duration(v))


class ConsoleSettings(Strict):
    """The web console (console/): users, sessions, scheduled reports."""

    # users, sessions, handling records; relative to data_dir (when console_store is not set and the
    # alert store is not on PostgreSQL)
    users_db: str = "console.db"
    session_ttl: float = 12 * 3600.0  # a login lasts at most this long …
    idle_timeout: float = 4 * 3600.0  # … and ends after this long without a request
    cookie_secure: bool = False  # set true when the console is served over HTTPS
    # Seed demo users (duty, analyst, admin, one lead per unit) into an empty
    # users database; their password is read from this env var, else random
    # and printed once at first start.
    reports: bool = True  # 舆情日报 daily and 周报 Monday, at report_time (settings timezone)
    report_time: str = "08:00"
    feed_interval: float = 1.0  # seconds between live-feed polls of the alert store (< 2 s)
    # Reverse proxies (addresses or networks, e.g. 10.0.0.5, 10.0.0.0/24) whose X-Forwarded-For
    # names the real client, for login throttling and logs; from anyone else the header is ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    health: PipelineHealthSettings = PipelineHealthSettings()  # the pipeline-health banner's thresholds

    _durations = field_validator("session_ttl", "idle_timeout", "feed_interval", mode="before")(
        lambda cls, v: parse_duration(v))
    _time = field_validator("report_time")(lambda cls, v: _hhmm(v))

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for i, value in enumerate(proxies):
            try:
                ipaddress.ip_network(str(value).strip(), strict=False)
            except ValueError:
                raise ValueError(f"[{i}]: {value!r} is not an IP address or network (e.g. 10.0.0.5, "
                                 f"10.0.0.0/24)") from None
        return [str(v).strip() for v in proxies]


METRICS_ROLES = ("crawl", "score", "index", "route", "notify", "console")


class Settings(Strict):
    data_dir: str = "var"
    timezone: str = "Asia/Shanghai"
    bus: BackendConfig = BackendConfig(url="sqlite:///bus.db")
    index: IndexConfig = IndexConfig()
    alert_store: BackendConfig = BackendConfig(url="sqlite:///alerts.db")
    # None: beside the alert store (stories.db in the data dir, or the alert store's PostgreSQL database)
    story_store: BackendConfig | None = None
    # Console users, sessions and handling records. None: beside the alert store when that is on
    # PostgreSQL (every console shares them), else console.users_db in the data dir.
    console_store: BackendConfig | None = None
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
    metrics_ports: dict[str, int] = Field(default_factory=lambda: dict(zip(METRICS_ROLES, range(9101, 9107))))
    # When set, the roles' ports are base, base+1, … in METRICS_ROLES order (settings.yaml:
    # metrics_port_base: ${YUQING_METRICS_PORT_BASE:-9101}); metrics_ports then only overrides single roles.
    metrics_port_base: int | None = Field(None, ge=1, le=65530)
    # Consecutive store failures of one worker (locked, read-only, full) before one ops alert
    # goes to the duty officers (ops.alerts); a "resolved" follows when it works again.
    store_alarm_after: int = Field(5, ge=1, le=1000)
    # The notifier (and its escalator) raise it only once the store has been unusable this many
    # minutes as well: a PostgreSQL restart (seconds) is ridden out by reconnecting, silently.
    store_alarm_minutes: float = Field(2.0, ge=0, le=1440)
    roles: list[str] = Field(
        default_factory=lambda: ["crawl", "score", "index", "route", "notify"],
        description="roles started by `yuqing run`",
    )

    _console_port = field_validator("console_port")(lambda cls, v: _port(v))
    _base_url = field_validator("console_base_url")(lambda cls, v: _url("http", "https")(v))

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: name the folder for the data (e.g. /var/lib/yuqing)")
        return value

    @field_validator("timezone")
    @classmethod
    def _real_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name, e.g. Asia/Shanghai)") from None
        return value

    @field_validator("bus")
    @classmethod
    def _bus(cls, bus: BackendConfig) -> BackendConfig:
        from pipeline.bus import _SCHEMES as BUS_SCHEMES  # the adapters registered, so a new one is accepted
        _url(*BUS_SCHEMES)(bus.url)
        for key, low in (("partitions", 1), ("retention_hours", 1)):
            if key in bus.options:
                value = bus.options[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
                    # retention_hours: 0 once deleted every message at once
                    raise ValueError(f"options.{key}: must be a number ≥ {low}, got {value!r}")
        return bus

    @field_validator("index")
    @classmethod
    def _index(cls, index: IndexConfig) -> IndexConfig:
        from pipeline.index import _SCHEMES as INDEX_SCHEMES
        _url(*INDEX_SCHEMES)(index.url)
        return index

    _state_stores = field_validator("story_store", "console_store")(
        lambda cls, v: v if v is None else (_url("sqlite", "postgresql", "postgres")(v.url), v)[1])
    _alert_store = field_validator("alert_store")(lambda cls, v: (_url("sqlite", "postgresql", "postgres")(v.url),
                                                                  v)[1])

    @field_validator("metrics_ports")
    @classmethod
    def _metrics_ports(cls, ports: dict[str, int]) -> dict[str, int]:
        for role, port in ports.items():
            if port not in (-1, 0):
                try:
                    _port(port)
                except ValueError as e:
                    raise ValueError(f"{role}: {e} (-1: off, 0: any free port)") from None
        return ports

    @field_validator("demo")
    @classmethod
    def _demo_users_only_on_a_local_console(cls, demo: DemoConfig, info: ValidationInfo) -> DemoConfig:
        # Demo users share one password and include an admin: never on a console others can reach.
        if demo.users:
            where = [v for v in (info.data.get("console_host"), _host(info.data.get("console_base_url")))
                     if v is not None and not _loopback(v)]
            if where:
                raise ValueError(f"users: demo users (one shared password, an admin among them) are for a console "
                                 f"on 127.0.0.1 only, this one is reached at {where[0]}; remove the demo: block "
                                 f"and create users with `yuqing user add`")
        return demo

    @model_validator(mode="after")
    def _metrics_from_base(self) -> Settings:
        if self.metrics_port_base is not None:
            given = self.metrics_ports if "metrics_ports" in self.model_fields_set else {}
            self.metrics_ports = {**{r: self.metrics_port_base + i for i, r in enumerate(METRICS_ROLES)}, **given}
        return self

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        known = {"crawl", "score", "index", "route", "notify", "console"}
        bad = [r for r in roles if r not in known]
        if bad:
            raise ValueError(f"unknown role(s) {bad}; known: {sorted(known)}")
        return roles


