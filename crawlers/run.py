"""Run ONE crawl of ONE source, in this process: ``run_source`` and its CLI.

    python -m crawlers.run --config config/demo [--data-dir var/demo] --source demo-news \\
        [-s AUTOTHROTTLE_START_DELAY=0]

The scheduler (``pipeline.scheduler``) starts this CLI in a subprocess per
run, because Twisted's reactor cannot be restarted in one process and because
a crash, hang or memory blow-up of one source must never stop the others.
The last line on stdout is one JSON object of stats; the exit status is 0
unless the crawl failed entirely (nothing fetched, the bus failed, or the
crawl could not start), so a partly failing site still publishes what it can.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawlers.dates import get_tz
from crawlers.spiders.listdetail import ListDetailSpider
from crawlers.spiders.rss import RssSpider
from crawlers.state import CrawlState
from pipeline.config import AppConfig, ConfigError, load_config

log = logging.getLogger(__name__)

SPIDERS = {"listdetail": ListDetailSpider, "rss": RssSpider}

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
}


def crawl_settings(cfg: AppConfig, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = dict(SETTINGS)
    settings.update({
        "YUQING_BUS_URL": cfg.settings.bus.url,
        "YUQING_BUS_OPTIONS": dict(cfg.settings.bus.options),
        "YUQING_DATA_DIR": str(cfg.data_dir),
    })
    settings.update(overrides or {})
    return settings


def run_source(cfg: AppConfig, source_id: str, settings: dict[str, Any] | None = None) -> dict:
    """Crawl ``source_id`` once and return stats: items published, pages
    fetched, errors and more (see ``_stats``). Call at most once per process."""
    source = cfg.source(source_id)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = CrawlerProcess(crawl_settings(cfg, settings))
    crawler = process.create_crawler(SPIDERS[source.spider])
    startup_errors: list[str] = []

    def failed(failure) -> None:  # e.g. the bus could not be opened in open_spider
        startup_errors.append(failure.getErrorMessage())
        log.error("source %s: crawl failed: %s", source_id, failure.getTraceback())

    with CrawlState.in_data_dir(cfg.data_dir) as state:
        d = process.crawl(crawler, source=source, state=state, tz=get_tz(cfg.settings.timezone))
        d.addErrback(failed)
        process.start()
    return _stats(source_id, crawler.stats.get_stats() if crawler.stats else {}, startup_errors,
                  time.monotonic() - started)


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
        "skipped_seen": get("skipped_seen"),
        "skipped_empty": get("skipped_empty"),
        "fallbacks": {k.split("/", 2)[2]: v for k, v in raw.items() if k.startswith("yuqing/fallback/")},
        "finish_reason": reason,
        "elapsed_s": round(elapsed, 2),
    }
    stats["ok"] = bool(stats["pages_fetched"] and not get("bus_errors") and not startup_errors)
    return stats


def _parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-s expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="configuration folder (settings.yaml, sources.yaml, …)")
    parser.add_argument("--data-dir", help="override settings.data_dir")
    parser.add_argument("--source", required=True, help="source id from sources.yaml")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, data_dir=args.data_dir)
        cfg.source(args.source)
    except (ConfigError, KeyError) as exc:
        print(json.dumps({"source": args.source, "ok": False, "error": str(exc).strip("'\"")},
                         ensure_ascii=False))
        return 2
    stats = run_source(cfg, args.source, _parse_overrides(args.set))
    print(json.dumps(stats, ensure_ascii=False), flush=True)
    return 0 if stats["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
