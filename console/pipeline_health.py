"""Is the pipeline doing its work? The duty room's banner (feed, wall, phone) when it is not.

The console reads, on every feed and wall refresh (one reading serves ``console.health.refresh``
seconds), what it can read in both deployments, embedded SQLite and Kafka + PostgreSQL:

* the alert store (``AlertStore.overdue``): notifications due more than ``outbox_grace`` ago and not
  sent — the notify role is down; notifications queued that long ago whose attempts failed and wait
  for a retry — a provider (SMS gateway, mail server) cannot be reached; and alerts held for review whose
  automatic forward time passed more than ``review_grace`` ago without the forward — the forward is
  fired by the escalator, which runs inside the notify role;
* the bus (``Bus.group_lag``): for each of score, index and route that this deployment runs
  (``settings.roles``), the messages its consumer group has not committed, and how old the oldest is.
  The embedded bus knows when each message was appended; on Kafka the age is the timestamp of the first
  record at the group's committed offset (one record read per partition by a reader of no group:
  pipeline/bus/kafka.py). Where the bus gives no age (that record could not be read in time), it is how
  long ago this console last saw the role's backlog empty or shrinking (kept in memory: a restarted
  console starts counting again), said as a lower bound (至少, 最早一条的时间未知).

The bus is read in a background thread, one reading at a time, never under the lock that serves the
feed: a Kafka broker that answers slowly (or not at all) must not hang the duty room. ``read`` waits
for a fresh reading at most ``wait`` seconds and otherwise answers from the last one it has; when a
reading has been in flight longer than ``refresh`` (at least ``wait``), the banner says so: 积压未知 when
there is no earlier reading, else the time of the reading it still shows.

Whose banner: the association's staff see everything. A unit's lead sees what is late about its own
unit's alerts (sends overdue or failing for them; never the reviews, which are the association's), and
the pipeline-wide stalls as they are, said to be pipeline-wide (a scoring backlog delays every unit).

Why no heartbeats ("role X alive at …" rows): a heartbeat says a process runs, not that it works
(a loop stuck on a lock still beats), it would need a writer in every role and a store each of them
can reach, and it cannot say what the duty room must know: that messages are waiting and since when.
The work waiting is already recorded by both deployments (due times in the outbox and the reviews,
committed offsets on the bus), so nothing new is written by any role. A role that is stopped while
nothing waits for it misses nothing; the banner appears as soon as work for it is waiting too long.
The crawlers are watched by source health (/sources, the wall's 失明渠道), not here.

``assess`` is pure (readings in, problems out) for the tests; ``PipelineHealth`` reads, caches and
remembers Kafka backlogs between readings.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pipeline.bus import GroupLag
from pipeline.config.settings import PipelineHealthSettings

log = logging.getLogger(__name__)

ROLE_LABELS = {"score": "评分", "index": "索引", "route": "预警分发"}
# The outbox's channels (alerting/notifier.py: robots are dingtalk or wecom), in the banner's order.
CHANNEL_LABELS = {"sms": "短信", "email": "邮件", "dingtalk": "钉钉群消息", "wecom": "企业微信群消息", "robot": "群消息"}


def _when(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """03:35 today, 12-01 03:35 another day, in the association's time zone."""
    local, today = at.astimezone(tz), now.astimezone(tz)
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%m-%d %H:%M")


def _ago(seconds: float) -> str:
    minutes = max(int(seconds // 60), 1)
    return f"{minutes} 分钟" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分钟"


def _waited(seconds: float) -> str:
    """12 秒 under a minute, else as ``_ago``."""
    return f"{max(int(seconds), 1)} 秒" if seconds < 60 else _ago(seconds)


def _kinds(channels: dict) -> str:
    """短信/邮件: the channels' names, in a fixed order."""
    order = list(CHANNEL_LABELS)
    return "/".join(CHANNEL_LABELS.get(c, c) for c in sorted(channels, key=lambda c: (
        order.index(c) if c in order else len(order), c)))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _total(by_channel: Mapping[str, dict]) -> tuple[int, datetime]:
    """The count over every channel and the earliest of their oldest due times."""
    return (sum(v["count"] for v in by_channel.values()),
            min(_parse(v["oldest"]) for v in by_channel.values() if v["oldest"]))


def assess(overdue: dict | None, lags: Mapping[str, GroupLag | None], now: datetime, tz: ZoneInfo,
           errors: list[str] | None = None, wall: float | None = None, unit: bool = False,
           floors: Collection[str] = (), late: tuple[float, float | None] | None = None) -> list[dict]:
    """Problems, the worst first: ``{"kind": outbox|failing|review|lag|unreadable, "role", "count", "since"
    (UTC ISO, or None), "text" (Chinese, for the banner)}``. ``overdue`` is ``AlertStore.overdue``'s
    answer already cut at each grace; ``lags`` maps a role to its backlog already found too old (its
    ``oldest`` an epoch time, never None here); ``errors`` name what could not be read; ``wall`` is the
    bus's clock now (epoch s; default: the system's); ``unit``: a unit lead's banner (``overdue`` is about the
    unit's alerts alone; reviews are left out; backlogs are said to be the whole system's); ``floors``: roles
    whose age is a lower bound (the bus could not tell the first record's time); ``late``: the bus has not
    answered for that many seconds, and the backlogs are its reading at that epoch time (None: no reading)."""
    wall = time.time() if wall is None else wall
    ours = "本单位预警的 " if unit else ""
    problems: list[dict] = []
    outbox = (overdue or {}).get("outbox") or {}
    if outbox:
        count, oldest = _total(outbox)
        problems.append({"kind": "outbox", "role": "notify", "count": count, "since": oldest.isoformat(),
                         "text": f"通知发送停滞：{ours}{count:,} 条{_kinds(outbox)}逾期未发，最早应于 {_when(oldest, now, tz)} 发出"
                                 f"（已过 {_ago((now - oldest).total_seconds())}）"})
    failing = (overdue or {}).get("failing") or {}
    if failing:
        count, oldest = _total(failing)
        problems.append({"kind": "failing", "role": "notify", "count": count, "since": oldest.isoformat(),
                         "text": f"通知发送失败：{ours}{count:,} 条{_kinds(failing)}发送失败、正在重试，"
                                 f"最早的于 {_when(oldest, now, tz)} 生成（请检查短信/邮件服务）"})
    reviews = (overdue or {}).get("reviews") or {}
    if reviews.get("count") and not unit:
        oldest = _parse(reviews["oldest"])
        problems.append({"kind": "review", "role": "notify", "count": reviews["count"], "since": oldest.isoformat(),
                         "text": f"自动转发停滞：{reviews['count']:,} 条待复核预警应于 {_when(oldest, now, tz)} 自动转发单位，"
                                 f"已逾期 {_ago((now - oldest).total_seconds())}，单位尚未收到通知"})
    for role, lag in lags.items():
        if lag is None or not lag.messages or lag.oldest is None:
            continue
        since = datetime.fromtimestamp(lag.oldest, timezone.utc)
        age = _ago(max(wall - lag.oldest, 0.0))
        age = f"已持续至少 {age}（最早一条的时间未知）" if role in floors else f"最久 {age}"
        problems.append({"kind": "lag", "role": role, "count": lag.messages, "since": since.isoformat(),
                         "text": f"{'全系统' if unit else ''}{ROLE_LABELS.get(role, role)}积压 {lag.messages:,} 条，"
                                 f"{age}{'（各单位的预警都会延迟）' if unit else ''}"})
    if late is not None:
        waited, at = late
        if at is None:
            text = f"积压未知：消息总线已 {_waited(waited)}未应答，评分、索引、预警分发的处理进度读不到"
        else:
            shown = _when(datetime.fromtimestamp(at, timezone.utc), now, tz)
            text = f"积压读数停在 {shown}：消息总线已 {_waited(waited)}未应答，所示积压是当时的读数"
        problems.append({"kind": "unknown" if at is None else "stale", "role": "", "count": 0,
                         "since": None if at is None else datetime.fromtimestamp(at, timezone.utc).isoformat(),
                         "text": text})
    for what in errors or ():
        problems.append({"kind": "unreadable", "role": "", "count": 0, "since": None,
                         "text": f"无法读取处理进度：{what}"})
    return problems


class PipelineHealth:
    """Reads the alert store's overdue work and the bus's backlogs, at most once per ``refresh`` (the store
    once per unit whose lead asks); the bus in a background thread (see the module's docstring)."""

    def __init__(self, settings: PipelineHealthSettings, tz: ZoneInfo, now: Callable[[], datetime],
                 overdue: Callable[..., dict], lags: Callable[[], dict[str, GroupLag | None]],
                 wall: Callable[[], float] = time.time, tick: Callable[[], float] = time.monotonic,
                 wait: float = 1.0) -> None:
        self.settings = settings
        self.tz = tz
        self.now = now
        self.overdue = overdue  # (outbox cut, review cut[, unit]) → AlertStore.overdue's answer
        self.lags = lags
        self.wall = wall  # the bus's clock: append times are epoch seconds
        self.tick = tick  # the cache's clock
        self.wait = wait  # how long a request waits for a fresh bus reading before answering from the last
        self._lock = threading.Lock()
        self._read_at: float | None = None  # the cache's clock when the bus's last reading was asked for
        # The last bus reading finished: wall, stale backlogs, roles whose age is a lower bound, errors.
        self._bus: tuple[float, dict[str, GroupLag], set[str], list[str]] | None = None
        self._reading: tuple[threading.Thread, float] | None = None  # the one in flight, and since (monotonic)
        self._cached: dict[str | None, dict] = {}  # unit (None: the association) → its reading
        self._calm: dict[str, tuple[int, float]] = {}  # role → (backlog, when last seen empty or shrinking)

    def read(self, unit: str | None = None) -> dict:
        """``{"ok", "checked_at", "problems": assess(…)}``, from the cache when fresh; ``unit``: as that unit's
        lead sees it (its alerts' overdue work, the pipeline's backlogs). Never waits on the bus longer than
        ``wait``."""
        pending = None
        with self._lock:
            tick = self.tick()
            if self._read_at is None or tick - self._read_at >= self.settings.refresh:
                self._cached.clear()
                self._read_at = tick
                if self._reading is None:
                    thread = threading.Thread(target=self._read_bus, name="pipeline-health-bus", daemon=True)
                    self._reading = (thread, time.monotonic())
                    thread.start()
                pending = self._reading[0]
            elif unit in self._cached:
                return self._cached[unit]
        if pending is not None:
            pending.join(self.wait)  # outside the lock: other requests answer meanwhile
        with self._lock:
            if unit in self._cached:
                return self._cached[unit]
            now, errors = self.now(), []
            cuts = (now - timedelta(seconds=self.settings.outbox_grace),
                    now - timedelta(seconds=self.settings.review_grace))
            try:
                overdue = self.overdue(*cuts) if unit is None else self.overdue(*cuts, unit)
            except Exception as e:  # the feed itself still shows what the store gives
                log.warning("pipeline health: alert store unreadable: %s", e)
                overdue, errors = None, [f"预警库（{type(e).__name__}）"]
            wall, lags, floors, bus_errors = self._bus or (self.wall(), {}, set(), [])
            late = None
            if self._reading is not None:
                waited = time.monotonic() - self._reading[1]
                if self._bus is None and waited >= self.wait or waited >= max(self.settings.refresh, self.wait):
                    late = (waited, None if self._bus is None else wall)
            problems = assess(overdue, lags, now, self.tz, [*errors, *bus_errors], wall, unit=unit is not None,
                              floors=floors, late=late)
            out = {"ok": not problems, "checked_at": now.isoformat(), "problems": problems}
            self._cached[unit] = out
            return out

    def _read_bus(self) -> None:
        """In the background thread: one reading of the bus, kept for ``read``."""
        try:
            wall = self.wall()
            try:
                lags = self.lags()
            except Exception as e:
                log.warning("pipeline health: bus unreadable: %s", e)
                reading: tuple[float, dict[str, GroupLag], set[str], list[str]] = (
                    wall, {}, set(), [f"消息总线（{type(e).__name__}）"])
            else:
                reading = (wall, *self._stale(lags, wall), [])
        except Exception:  # a bug here must not leave a reading in flight for ever
            log.exception("pipeline health: bus reading failed")
            reading = (time.time(), {}, set(), ["消息总线（内部错误）"])
        with self._lock:
            self._bus, self._reading = reading, None
            self._cached.clear()  # the next request shows this reading

    def _stale(self, lags: dict[str, GroupLag | None], wall: float) -> tuple[dict[str, GroupLag], set[str]]:
        """The backlogs older than ``lag_age``, each with an age: the bus's, else since calm (Kafka, a lower
        bound: those roles are the second value)."""
        out, floors = {}, set()
        for role, lag in lags.items():
            if lag is None:
                continue
            before = self._calm.get(role)
            if not lag.messages or before is None or lag.messages < before[0]:
                self._calm[role] = (lag.messages, wall)
            else:
                self._calm[role] = (lag.messages, before[1])
            oldest = lag.oldest if lag.oldest is not None else (self._calm[role][1] if lag.messages else None)
            if lag.messages and oldest is not None and wall - oldest >= self.settings.lag_age:
                out[role] = GroupLag(lag.messages, oldest)
                if lag.oldest is None:
                    floors.add(role)
        return out, floors
