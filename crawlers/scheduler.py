"""Crawl scheduling: each source on its own interval, 7x24, under APScheduler,
and source health checked after every run.

Each run is a separate process (``python -m crawlers.run``): Scrapy's reactor
cannot restart inside one process, and a crash, hang or memory blow-up in
one source must never stop the others. A source never overlaps itself
(``max_instances=1``); missed runs collapse into one (``coalesce``); first
runs are spread over a few seconds so a restart does not start every
spider at once.

The crawl process records its own outcome in the source's health
(``crawlers.health``); a process that died or hung without doing so is
recorded here as failed. After each run, and every ``HEALTH_EVERY`` seconds
for all sources (a source that never gets to run must be noticed too), the
health monitor publishes ops alerts for blind sources to ``ops.alerts``.
"""
from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from pipeline import metrics
from pipeline.bus import Bus
from pipeline.config import AppConfig, SourceConfig

if TYPE_CHECKING:  # imported when the first health check runs
    from crawlers.health import HealthMonitor

log = logging.getLogger(__name__)

HEALTH_EVERY = 60.0
STAGGER = 0.5  # seconds between the first runs of consecutive sources
# A crawl ended by SIGTERM or SIGINT is a stop when the role's own stop follows within this many seconds:
# the supervisor signals the role's process group (the role and its crawls) at once, so the crawl may end
# before the role has set its stop event.
STOP_GRACE = 3.0
_STOP_SIGNALS = (-signal.SIGTERM, -signal.SIGINT)


class _OverrunAtInfo(logging.Filter):
    """APScheduler's "skipped: maximum number of running instances reached" at INFO, not WARNING: a source
    still crawling when its next run is due skips that run by design (max_instances=1, coalesce) — on a busy
    machine every interval, a warning per source that said nothing was wrong (source health says when a
    source falls behind)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and "maximum number of running instances" in str(record.msg):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_OVERRUN = _OverrunAtInfo()


class CrawlScheduler:
    def __init__(self, config: AppConfig, max_parallel: int = 4, bus: Bus | None = None) -> None:
        logging.getLogger("apscheduler.scheduler").addFilter(_OVERRUN)  # once: a logger keeps a filter once
        self.config = config
        self.sources = [s for s in config.sources if s.enabled]
        self._bus = bus  # ops alerts go nowhere without one (e.g. a one-off crawl)
        self._monitor: HealthMonitor | None = None
        self._monitor_lock = threading.Lock()  # one health check at a time: they share a producer
        self._stopping = threading.Event()  # set on shutdown: crawls still finishing record nothing
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max_parallel + 1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=config.settings.timezone,
        )

    def command(self, source: SourceConfig) -> list[str]:
        return [sys.executable, "-m", "crawlers.run", "--config", str(self.config.root),
                "--data-dir", str(self.config.data_dir), "--source", source.id]

    def run_source(self, source: SourceConfig) -> dict | None:
        """One crawl of ``source`` in a subprocess; its stats, or None if it died."""
        timeout = max(300.0, source.interval * 4)
        stats = None
        try:
            proc = subprocess.run(self.command(source), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("source %s: crawl killed after %.0fs", source.id, timeout)
            self._record_death(source, f"crawl killed after {timeout:.0f}s")
        else:
            for line in reversed(proc.stdout.strip().splitlines()):
                try:
                    stats = json.loads(line)
                    break
                except ValueError:
                    continue
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            if self._stopped(proc.returncode):  # a shutdown reached the crawl too: a stop, not a death
                log.info("source %s: crawl stopped with the scheduler (%s)", source.id, _exit(proc.returncode))
                return stats
            if stats is None:
                log.error("source %s: crawl died (%s): %s", source.id, _exit(proc.returncode), tail)
                self._record_death(source, f"crawl process died (exit {proc.returncode}): {tail[-200:]}")
            elif proc.returncode != 0:
                log.error("source %s: crawl failed (exit %d): %s | %s", source.id, proc.returncode,
                          json.dumps(stats, ensure_ascii=False), tail)
            else:
                log.info("source %s: %s", source.id, json.dumps(stats, ensure_ascii=False))
        _count_run(source.id, stats)
        self.check_health([source])
        return stats

    def _stopped(self, returncode: int) -> bool:
        """Whether the crawl ended because the scheduler is stopping (a requested shutdown): the stop is
        set, or the crawl was ended by SIGTERM / SIGINT and the stop follows within STOP_GRACE."""
        if self._stopping.is_set():
            return True
        return returncode in _STOP_SIGNALS and self._stopping.wait(STOP_GRACE)

    def _record_death(self, source: SourceConfig, error: str) -> None:
        from crawlers.health import HealthStore, RunOutcome
        with HealthStore.in_data_dir(self.config.data_dir) as store:
            store.record_run(RunOutcome(source.id, "failed", error=error))

    def check_health(self, sources: list[SourceConfig] | None = None) -> list:
        """Publish ops alerts for blind sources (all enabled ones by default)
        and refresh the source-health gauges."""
        if self._stopping.is_set():
            return []
        _health_gauges(self.config)
        if self._bus is None:
            return []
        from crawlers.health import HealthMonitor, HealthStore
        with self._monitor_lock:
            if self._stopping.is_set():  # the store is closed: a crawl that finished after the stop
                return []
            try:
                if self._monitor is None:
                    self._monitor = HealthMonitor(self.config, HealthStore.in_data_dir(self.config.data_dir),
                                                  self._bus.producer())
                return self._monitor.check(sources=sources)
            except Exception:  # a health check must never stop the crawling
                log.exception("source health check failed")
                return []

    def run(self, stop: threading.Event) -> None:
        now = datetime.now(timezone.utc)
        for n, s in enumerate(self.sources):
            self._scheduler.add_job(self.run_source, "interval", args=[s], seconds=s.interval,
                                    id=s.id, name=s.name, next_run_time=now + timedelta(seconds=n * STAGGER))
        self._scheduler.add_job(self.check_health, "interval", seconds=HEALTH_EVERY, id="_health",
                                name="source health", next_run_time=now + timedelta(seconds=HEALTH_EVERY))
        log.info("scheduling %d source(s): %s", len(self.sources),
                 ", ".join(f"{s.id}/{s.interval:g}s" for s in self.sources))
        self._scheduler.start()
        try:
            stop.wait()
        finally:
            self._stopping.set()
            self._scheduler.shutdown(wait=False)
            with self._monitor_lock:
                if self._monitor is not None:
                    self._monitor.store.close()
                    self._monitor.producer.close()
                    self._monitor = None


def _exit(returncode: int) -> str:
    """How a crawl process ended, for the log: ``exit 3``, or ``SIGTERM`` for a signal."""
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


def _count_run(source_id: str, stats: dict | None) -> None:
    """Per-run counters; the last-success gauge follows the health store (_health_gauges)."""
    if stats:
        metrics.SOURCE_ITEMS.labels(source_id).inc(int(stats.get("items_published") or 0))
    if not (stats and stats.get("ok")):
        metrics.SOURCE_FAILURES.labels(source_id).inc()


_BLIND_STATES = ("failing", "blind", "silent")


def _health_gauges(config: AppConfig) -> None:
    """Staleness and blind-state gauges per source, from the health store."""
    from crawlers.health import source_health
    try:
        rows = source_health(config)
    except Exception:  # metrics must never stop the crawling
        log.exception("source health metrics failed")
        return
    for h in rows:
        if h.staleness_s is not None:
            metrics.SOURCE_STALENESS.labels(h.source_id).set(h.staleness_s)
        if h.last_success_at is not None:
            metrics.SOURCE_LAST_SUCCESS.labels(h.source_id).set(h.last_success_at.timestamp())
        for state in _BLIND_STATES:
            metrics.SOURCE_BLIND.labels(h.source_id, state).set(1 if h.state == state else 0)
