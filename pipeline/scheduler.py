"""Crawl scheduling: each source on its own interval, 7x24, under APScheduler.

Each run is a separate process (``python -m crawlers.run``): Scrapy's reactor
cannot restart inside one process, and a crash, hang or memory blow-up in
one source must never stop the others. A source never overlaps itself
(``max_instances=1``); missed runs collapse into one (``coalesce``).
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from pipeline.config import AppConfig, SourceConfig

log = logging.getLogger(__name__)


class CrawlScheduler:
    def __init__(self, config: AppConfig, max_parallel: int = 4) -> None:
        self.config = config
        self.sources = [s for s in config.sources if s.enabled]
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max_parallel)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=config.settings.timezone,
        )

    def command(self, source: SourceConfig) -> list[str]:
        return [sys.executable, "-m", "crawlers.run", "--config", str(self.config.root),
                "--data-dir", str(self.config.data_dir), "--source", source.id]

    def run_source(self, source: SourceConfig) -> dict | None:
        timeout = max(300.0, source.interval * 4)
        try:
            proc = subprocess.run(self.command(source), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("source %s: crawl killed after %.0fs", source.id, timeout)
            return None
        stats = None
        for line in reversed(proc.stdout.strip().splitlines()):
            try:
                stats = json.loads(line)
                break
            except ValueError:
                continue
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            log.error("source %s: crawl failed (exit %d): %s", source.id, proc.returncode, tail)
        else:
            log.info("source %s: %s", source.id, json.dumps(stats, ensure_ascii=False))
        return stats

    def run(self, stop: threading.Event) -> None:
        now = datetime.now(timezone.utc)
        for s in self.sources:
            self._scheduler.add_job(self.run_source, "interval", args=[s], seconds=s.interval,
                                    id=s.id, name=s.name, next_run_time=now)
        log.info("scheduling %d source(s): %s", len(self.sources),
                 ", ".join(f"{s.id}/{s.interval:g}s" for s in self.sources))
        self._scheduler.start()
        try:
            stop.wait()
        finally:
            self._scheduler.shutdown(wait=False)
