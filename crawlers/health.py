"""Source health: every crawl run recorded, blind channels raised as ops alerts.

A blind channel must never look like a quiet one. Every run of a source is
recorded (``HealthStore.record_run``, in ``<data_dir>/crawl_state.db``) with
its outcome:

* ``ok``     — pages fetched and read;
* ``blind``  — the site answered, but with nothing we could read (a login
  wall, a captcha, an API refusal, list selectors that no longer match);
* ``failed`` — nothing fetched, the bus failed, or the process died.

``crawlers.run`` records its own runs; the scheduler records the runs whose
process died before it could. ``HealthMonitor.check`` (run by the scheduler
after every crawl and once a minute) compares each enabled source with its
``health`` policy in sources.yaml and publishes ``OpsAlert``s to
``ops.alerts``:

* ``source_failing`` — no ``ok`` run for ``fail_after`` × interval;
* ``source_silent``  — runs are fine but no new item for
  ``silent_after`` × ``expect_new_every``;

never sooner than ``min_alert_after`` after the last good run / new item.
An alert's id is derived from (problem, source), so repeats (re-sent every
``repeat`` seconds while open, to refresh ``last_seen``) dedupe downstream;
when the problem clears, the same id is sent with ``resolved=True``. The
open problem is stored only after the bus flush succeeded, so a crash
re-sends rather than forgets.

**Read API for the console**: ``source_health(cfg, now=None) ->
list[SourceHealth]`` (one per configured source, in sources.yaml order) and
``recent_runs(cfg, source_id, limit=20) -> list[dict]``; both read only.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from urllib.parse import unquote

from contracts.language import has_han
from contracts.messages import Level, OpsAlert, stable_id
from contracts.topics import OPS_ALERTS
from crawlers.health_store import HealthStore, RunOutcome, outcome_of
from pipeline.bus import Producer
from pipeline.config import AppConfig, SourceConfig

log = logging.getLogger(__name__)

__all__ = ["HealthMonitor", "HealthStore", "RunOutcome", "SourceHealth", "outcome_of", "recent_runs",
           "source_health"]

FAILING, SILENT = "source_failing", "source_silent"


@dataclass
class SourceHealth:
    """One source's health, as the console shows it. Times are aware UTC
    datetimes or None; ``staleness_s`` is seconds since the source last
    brought a new item (or since its first run, if it never did)."""

    source_id: str
    name: str
    channel: str
    spider: str
    enabled: bool
    interval_s: float
    state: str  # ok | failing | blind | silent | never_run | disabled
    problem: str | None  # the open ops alert's problem, if any
    problem_since: datetime | None
    last_run_at: datetime | None
    last_status: str | None  # ok | blind | failed
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    items_last_run: int
    items_24h: int
    runs_24h: int
    last_item_at: datetime | None
    staleness_s: float | None

    def to_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _dt(ts: float | None) -> datetime | None:
    """A health row's optional time (NULL or 0: never)."""
    return _at(ts) if ts else None


def diagnose(source: SourceConfig, row: dict | None, now: float) -> tuple[str, float, str] | None:
    """(problem, since, reason) when ``source`` is blind by its policy, else None."""
    if row is None:
        return None  # never ran: the scheduler has not got to it yet
    policy = source.health
    last_ok = row["last_success_at"] or row["first_run_at"]
    if row["last_status"] != "ok" and now - last_ok >= max(policy.fail_after * source.interval, policy.min_alert_after):
        return FAILING, last_ok, row["last_error"] or row["last_status"]
    if policy.silent_after > 0:
        last_new = row["last_item_at"] or row["first_run_at"]
        if now - last_new >= max(policy.silent_after * policy.expect_new_every, policy.min_alert_after):
            return SILENT, last_new, ""
    return None


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f}天"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}小时"
    return f"{max(1, round(seconds / 60))}分钟"


_ERRORS = [  # (pattern in a technical error, what a duty officer reads)
    (r"connection (was )?refused|ConnectionRefused|errno 111", "网站拒绝连接（服务器未响应）"),
    (r"timed? ?out|TimeoutError", "连接超时（网站响应过慢或网络不通）"),
    (r"DNS lookup failed|Name or service not known|getaddrinfo|nodename nor servname|No address", "域名解析失败（网址无法访问）"),
    (r"SSL|certificate|TLS", "加密连接（证书）错误"),
    (r"Connection (was )?(closed|lost|reset)|ConnectionLost|ResponseNeverReceived|errno 104", "连接被中断"),
    (r"\b(HTTP )?403\b|Forbidden", "网站拒绝访问（HTTP 403，可能被屏蔽）"),
    (r"\b(HTTP )?404\b|Not Found", "页面不存在（HTTP 404，网址可能已变更）"),
    (r"\b(HTTP )?429\b|Too Many Requests", "访问过于频繁被限制（HTTP 429）"),
    (r"\b(?:HTTP )?(5\d\d)\b", "网站服务器出错（HTTP {0}）"),
    (r"crawl killed after", "采集进程超时被终止"),
    (r"crawl process died \(exit (-?\d+)\)", "采集进程异常退出（退出码 {0}）"),
    (r"login|登录", "需要登录才能读取"),
]


def readable_reason(reason: str | None) -> str:
    """A crawl error as a duty officer reads it: Chinese, no URL-encoded addresses, no socket jargon.
    Chinese reasons (from the spiders' blind checks) are kept; the technical text stays on the sources page."""
    text = _URL.sub("", unquote(reason or "")).strip(" ：:")
    if not text:
        return "原因未知"
    if has_han(text):
        return text
    for pattern, label in _ERRORS:
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return label.format(*found.groups())
    return "采集出错（技术细节见控制台“信息源状态”）"


_URL = re.compile(r"https?://\S+")


def ops_alert(source: SourceConfig, problem: str, since: float, reason: str, now: float,
              resolved: bool = False) -> OpsAlert:
    label = f"信息源「{source.name}」({source.id})"
    if resolved:
        summary = f"{label}已恢复正常"
    elif problem == FAILING:
        summary = f"{label}已{_duration(now - since)}无法正常采集：{readable_reason(reason)}"[:200]
    else:
        summary = (f"{label}已{_duration(now - since)}没有新内容"
                   f"（通常每{_duration(source.health.expect_new_every)}就有），请确认渠道是否被屏蔽")
    detail = json.dumps({"source": source.id, "channel": source.channel.value, "spider": source.spider,
                         "since": _at(since).isoformat(), "reason": reason}, ensure_ascii=False)
    return OpsAlert(id=stable_id("ops", problem, source.id), problem=problem, subject=source.id,
                    severity=Level.orange if problem == FAILING else Level.yellow, summary=summary,
                    detail=detail, first_seen=_at(since), last_seen=_at(now), resolved=resolved)


class HealthMonitor:
    """Turns source health into ops alerts (see the module docstring)."""

    def __init__(self, config: AppConfig, store: HealthStore, producer: Producer, repeat: float = 3600.0) -> None:
        self.config = config
        self.store = store
        self.producer = producer
        self.repeat = repeat

    def check(self, now: float | None = None, sources: list[SourceConfig] | None = None) -> list[OpsAlert]:
        """Evaluate ``sources`` (default: every enabled one); returns the alerts sent."""
        now = time.time() if now is None else now
        sent: list[tuple[OpsAlert, str, dict]] = []
        for source in sources if sources is not None else [s for s in self.config.sources if s.enabled]:
            row = self.store.get(source.id)
            found = diagnose(source, row, now)
            open_problem = row["problem"] if row else None
            if row is not None and open_problem and (found is None or found[0] != open_problem):
                since = row["problem_since"] or now
                sent.append((ops_alert(source, open_problem, since, "", now, resolved=True), source.id,
                             {"problem": None, "problem_since": None, "problem_reported_at": None}))
            if found is not None:
                problem, since, reason = found
                due = row is None or problem != open_problem or now - (row["problem_reported_at"] or 0) >= self.repeat
                if due:
                    sent.append((ops_alert(source, problem, since, reason, now), source.id,
                                 {"problem": problem, "problem_since": since, "problem_reported_at": now}))
        if not sent:
            return []
        for alert, _, _ in sent:
            self.producer.send(OPS_ALERTS, alert.to_bytes(), key=alert.subject)
        self.producer.flush()  # durable first; only then remember what is open
        for alert, source_id, update in sent:
            self.store.set_problem(source_id, **update)
            log.warning("ops alert %s: %s", "resolved" if alert.resolved else alert.problem, alert.summary)
        return [alert for alert, _, _ in sent]


def source_health(cfg: AppConfig, now: float | None = None) -> list[SourceHealth]:
    """Health of every configured source (read only; for the console and
    ``yuqing sources``). See the module docstring for what the fields mean."""
    now = time.time() if now is None else now
    with HealthStore.in_data_dir(cfg.data_dir) as store:
        rows, recent = store.all(), store.window_counts(now - 86400)
    out = []
    for s in cfg.sources:
        row = rows.get(s.id)
        found = diagnose(s, row, now) if row else None
        if not s.enabled:
            state = "disabled"
        elif row is None:
            state = "never_run"
        elif found and found[0] == SILENT:
            state = "silent"
        elif row["last_status"] == "blind":
            state = "blind"
        elif found or row["last_status"] == "failed":
            state = "failing"
        else:
            state = "ok"
        runs, items = recent.get(s.id, (0, 0))
        last_new = (row["last_item_at"] or row["first_run_at"]) if row else None
        out.append(SourceHealth(
            source_id=s.id, name=s.name, channel=s.channel.value, spider=s.spider, enabled=s.enabled,
            interval_s=s.interval, state=state, problem=row["problem"] if row else None,
            problem_since=_dt(row["problem_since"]) if row else None,
            last_run_at=_dt(row["last_run_at"]) if row else None, last_status=row["last_status"] if row else None,
            last_success_at=_dt(row["last_success_at"]) if row else None,
            last_error_at=_dt(row["last_error_at"]) if row else None, last_error=row["last_error"] if row else None,
            consecutive_failures=row["consecutive_failures"] if row else 0,
            items_last_run=row["items_last_run"] if row else 0, items_24h=items, runs_24h=runs,
            last_item_at=_dt(row["last_item_at"]) if row else None,
            staleness_s=round(now - last_new, 1) if last_new else None))
    return out


def recent_runs(cfg: AppConfig, source_id: str, limit: int = 20) -> list[dict]:
    """The last ``limit`` runs of a source, newest first (read only)."""
    with HealthStore.in_data_dir(cfg.data_dir) as store:
        return store.runs(source_id, limit)
