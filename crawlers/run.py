"""Run ONE crawl of ONE source, in this process: ``run_source`` and its CLI.

    python -m crawlers.run --config config/demo [--data-dir var/demo] --source demo-news \\
        [-s AUTOTHROTTLE_START_DELAY=0] [--now 2026-11-25T03:00:00+08:00]

The scheduler (``crawlers.scheduler``) starts this CLI in a subprocess per
run, because Twisted's reactor cannot be restarted in one process and because
a crash, hang or memory blow-up of one source must never stop the others.
The last line on stdout is one JSON object of stats; the exit status is 0
unless the crawl failed (nothing fetched, the bus failed, the crawl could
not start) or was blind (the site answered with nothing readable: a login
wall, a captcha, selectors that no longer match); a partly failing site
still publishes what it can. The outcome is recorded in the source's health
(``crawlers.health``) before the stats line is printed.

Scrapy settings come from three layers: the polite defaults below, the
source's ``politeness`` block (delay, concurrency, robots.txt, timeouts,
retries with backoff, size limit, proxies), then ``-s`` overrides.

``--now`` sets the crawl's clock (what "3小时前" and "今天" are relative to,
and the time a future publish date is clamped to); tests pass the clock
their fixture site renders its dates with. Without it: the wall clock.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import datetime
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawlers.dates import get_tz
from crawlers.health import HealthStore, outcome_of
from crawlers.spiders.api import JsonApiSpider
from crawlers.spiders.douyin import DouyinSpider
from crawlers.spiders.epaper import EpaperSpider
from crawlers.spiders.listdetail import ListDetailSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.wechat import WechatSpider
from crawlers.spiders.weibo import WeiboSpider
from crawlers.state import CrawlState
from pipeline.config import AppConfig, ConfigError, SourceConfig, load_config

log = logging.getLogger(__name__)

SPIDERS = {"listdetail": ListDetailSpider, "rss": RssSpider, "epaper": EpaperSpider, "weibo": WeiboSpider,
           "wechat": WechatSpider, "douyin": DouyinSpider, "jsonapi": JsonApiSpider}

USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36 yuqing-monitor/0.1 (public-opinion monitoring for the "
              "Jilin insurance industry association)")

# Polite defaults for 7x24 crawling of other people's sites.
SETTINGS: dict[str, Any] = {
    "BOT_NAME": "yuqing",
    "USER_AGENT": USER_AGENT,
    "DEFAULT_REQUEST_HEADERS": {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
    },
    "ROBOTSTXT_OBEY": True,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 20.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_TIMEOUT": 20,
    "RETRY_TIMES": 2,
    "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 5 * 1024 * 1024,
    # End gracefully (and flush) before the scheduler's kill timeout (>= 300 s).
    "CLOSESPIDER_TIMEOUT": 240,
    "LOG_LEVEL": "INFO",
    # Nothing that listens on a port: Scrapy's telnet console and (2.19+) its
    # remote-control HTTP server, which also writes job files to ~/.local/state.
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "ITEM_PIPELINES": {"crawlers.publish.PublishPipeline": 300},
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawlers.middlewares.BackoffRetryMiddleware": 550,
    },
}


def politeness_settings(source: SourceConfig) -> dict[str, Any]:
    """Scrapy settings from the source's ``politeness`` block."""
    p = source.politeness
    proxies = list(p.proxies)
    if p.proxies_env:
        proxies += [x.strip() for x in os.environ.get(p.proxies_env, "").split(",") if x.strip()]
    settings: dict[str, Any] = {
        "ROBOTSTXT_OBEY": p.obey_robots,
        "DOWNLOAD_DELAY": p.delay,  # Scrapy varies it ±50 % (DOWNLOAD_DELAY_JITTER)
        "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrency,
        "AUTOTHROTTLE_ENABLED": p.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(min(p.concurrency, 2)),
        "DOWNLOAD_TIMEOUT": p.timeout,
        "RETRY_TIMES": p.retries,
        "YUQING_BACKOFF": p.backoff,
        "DOWNLOAD_MAXSIZE": p.max_bytes,
        "DOWNLOAD_WARNSIZE": p.max_bytes // 2,
        "YUQING_PROXIES": proxies,
    }
    if p.user_agent:
        settings["USER_AGENT"] = p.user_agent
    if proxies:  # before HttpProxyMiddleware (750), which applies meta["proxy"]
        settings["DOWNLOADER_MIDDLEWARES"] = {**SETTINGS["DOWNLOADER_MIDDLEWARES"],
                                              "crawlers.middlewares.ProxyRotationMiddleware": 740}
    return settings


def crawl_settings(cfg: AppConfig, overrides: dict[str, Any] | None = None,
                   source: SourceConfig | None = None) -> dict[str, Any]:
    settings = dict(SETTINGS)
    settings.update({
        "YUQING_BUS_URL": cfg.settings.bus.url,
        "YUQING_BUS_OPTIONS": dict(cfg.settings.bus.options),
        "YUQING_DATA_DIR": str(cfg.data_dir),
    })
    if source is not None:
        settings.update(politeness_settings(source))
    settings.update(overrides or {})
    return settings


def _offline_public_suffixes() -> None:
    """Scrapy's cookie middleware splits cookie domains with tldextract, which
    by default downloads the Public Suffix List from GitHub on first use — a
    surprise request, blocked from many Chinese networks and impossible
    offline. The snapshot bundled with tldextract is enough for cookies."""
    try:
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract
        cookies._split_domain = TLDExtract(include_psl_private_domains=True, suffix_list_urls=())
    except (ImportError, AttributeError):  # another Scrapy: its own behaviour then
        pass


class _Process(CrawlerProcess):
    """Scrapy's process, remembering a stop by SIGINT/SIGTERM (the scheduler or the whole run stopping):
    such a run was cut short, not failed. (An older or newer Scrapy that never calls this just
    leaves ``interrupted`` False: the run is recorded as before.)"""

    interrupted = False

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        super()._signal_shutdown(signum, frame)


def run_source(cfg: AppConfig, source_id: str, settings: dict[str, Any] | None = None,
               now: datetime | None = None) -> dict:
    """Crawl ``source_id`` once and return stats: items published, pages
    fetched, errors and more (see ``_stats``); ``now`` is the crawl's clock
    at its start (default: the wall clock). Call at most once per process."""
    source = cfg.source(source_id)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    _offline_public_suffixes()
    started = time.monotonic()
    process = _Process(crawl_settings(cfg, settings, source))
    crawler = process.create_crawler(SPIDERS[source.spider])
    startup_errors: list[str] = []

    def failed(failure) -> None:  # e.g. the bus could not be opened in open_spider
        startup_errors.append(failure.getErrorMessage())
        log.error("source %s: crawl failed: %s", source_id, failure.getTraceback())

    with CrawlState.in_data_dir(cfg.data_dir) as state:
        d = process.crawl(crawler, source=source, state=state, tz=get_tz(cfg.settings.timezone), now=now)
        d.addErrback(failed)
        process.start()
    stats = _stats(source_id, crawler.stats.get_stats() if crawler.stats else {}, startup_errors,
                   time.monotonic() - started)
    if process.interrupted:
        stats["interrupted"] = True
    return stats


def _stats(source_id: str, raw: dict, startup_errors: list[str], elapsed: float) -> dict:
    def get(key: str) -> int:
        return int(raw.get(f"yuqing/{key}", 0))

    reason = raw.get("finish_reason")
    errors = get("errors") + get("bus_errors") + len(startup_errors) + sum(
        v for k, v in raw.items() if k.startswith("spider_exceptions/") and isinstance(v, int))
    stats = {
        "source": source_id,
        "items_published": get("published"),
        "pages_fetched": get("pages"),
        "errors": errors,
        "blind": get("blind"),
        "skipped_seen": get("skipped_seen"),
        "skipped_empty": get("skipped_empty"),
        "bus_errors": get("bus_errors"),
        "retries": int(raw.get("retry/count", 0)),
        "robots_forbidden": int(raw.get("robotstxt/forbidden", 0)),
        "fallbacks": {k.split("/", 2)[2]: v for k, v in raw.items() if k.startswith("yuqing/fallback/")},
        "finish_reason": reason,
        "elapsed_s": round(elapsed, 2),
    }
    # Spider-specific counters (missing_issues, articles_gone, long_text_missing …).
    known = {"published", "pages", "errors", "blind", "skipped_seen", "skipped_empty", "bus_errors", "broken"}
    stats["counters"] = {k[len("yuqing/"):]: v for k, v in raw.items() if k.startswith("yuqing/")
                         and isinstance(v, int) and k[len("yuqing/"):] not in known and "/" not in k[len("yuqing/"):]}
    for key in ("blind_reason", "last_error"):
        if raw.get(f"yuqing/{key}"):
            stats[key] = raw[f"yuqing/{key}"]
    if startup_errors:
        stats["error"] = startup_errors[0][:300]
    # "broken": a document that must arrive whole did not (a truncated feed): the run failed.
    stats["ok"] = bool(stats["pages_fetched"] and not get("bus_errors") and not startup_errors
                       and not stats["blind"] and not get("broken"))
    return stats


def record(cfg: AppConfig, stats: dict) -> None:
    """Record the run in the source's health; never fails the run over it."""
    try:
        with HealthStore.in_data_dir(cfg.data_dir) as store:
            store.record_run(outcome_of(stats))
    except Exception as exc:  # a locked or broken health db must not lose the stats line
        log.error("source %s: could not record the run's health: %s", stats.get("source"), exc)


def _parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-s expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def _aware_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset (e.g. +08:00)")
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="configuration folder (settings.yaml, sources.yaml, …)")
    parser.add_argument("--data-dir", help="override settings.data_dir")
    parser.add_argument("--source", required=True, help="source id from sources.yaml")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")
    parser.add_argument("--no-record", action="store_true", help="do not record the run in the source's health")
    parser.add_argument("--now", type=_aware_datetime, metavar="ISO8601",
                        help="the crawl's clock at its start, with an offset (default: now)")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, data_dir=args.data_dir)
        cfg.source(args.source)
    except (ConfigError, KeyError) as exc:
        print(json.dumps({"source": args.source, "ok": False, "error": str(exc).strip("'\"")},
                         ensure_ascii=False))
        return 2
    stats = run_source(cfg, args.source, _parse_overrides(args.set), now=args.now)
    # A crawl stopped by a signal before it got anywhere (a restart, a deploy) says nothing about the source:
    # recorded, it would show the source as failing — 失明渠道 on the wall — until its next run.
    if not args.no_record and not (stats.get("interrupted") and not stats["ok"]):
        record(cfg, stats)
    print(json.dumps(stats, ensure_ascii=False), flush=True)
    return 0 if stats["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
