"""The scheduler's crawl runs feed source health, and a blind source reaches
``ops.alerts`` — and is resolved there when it recovers. Real crawl
subprocesses against the fixture server; health thresholds shrunk to
milliseconds so no test waits."""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from contracts.messages import OpsAlert
from contracts.topics import OPS_ALERTS
from crawlers import scheduler as scheduler_module
from crawlers.health import FAILING, source_health
from crawlers.scheduler import CrawlScheduler
from pipeline.bus import open_bus
from pipeline.config import load_config
from tests.kit import copy_config
from tests.kit.sites import FixtureSite
from yuqing import cli

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "tests" / "fixtures" / "sites"


def write_sources(config: Path, path: str) -> None:
    source = {"id": "fx-flaky", "name": "时好时坏的网站", "channel": "blog", "spider": "listdetail",
              "start_urls": [f"${{FIXTURE_SITE}}{path}"], "interval": "1s",
              "politeness": {"retries": 0, "delay": 0},
              "health": {"fail_after": 0.001, "min_alert_after": "1ms"},
              "selectors": {"list_links": "span.atc_title a", "title": "h2.titName", "content": "div.articalContent"}}
    (config / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    with FixtureSite(SITES) as site:
        monkeypatch.setenv("FIXTURE_SITE", site.url)
        for name in [k for k in os.environ if k.startswith("YUQING_")]:
            monkeypatch.delenv(name)
        config = copy_config(tmp_path / "config", settings={"data_dir": str(tmp_path / "data")})
        write_sources(config, "/down/list.html")
        cfg = load_config(config)
        bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
        consumer = bus.consumer([OPS_ALERTS], "test")
        yield cfg, bus, consumer
        consumer.close()
        bus.close()


def ops(consumer) -> list[OpsAlert]:
    out = []
    while batch := consumer.poll(100, 0.3):
        out += [OpsAlert.from_bytes(r.value) for r in batch]
    return out


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": "fx-flaky", **labels}) or 0.0


def test_a_failing_source_raises_an_ops_alert_and_resolves_when_it_recovers(setup, capsys):
    cfg, bus, consumer = setup
    scheduler = CrawlScheduler(cfg, bus=bus)
    failures, items = metric("yuqing_source_crawl_failures_total"), metric("yuqing_source_items_published_total")
    stats = scheduler.run_source(cfg.source("fx-flaky"))
    assert stats is not None and stats["ok"] is False and stats["pages_fetched"] == 0
    (alert,) = ops(consumer)
    assert alert.problem == FAILING and alert.subject == "fx-flaky" and not alert.resolved
    (h,) = source_health(cfg)
    assert h.state == "failing" and h.problem == FAILING and h.consecutive_failures == 1
    assert metric("yuqing_source_crawl_failures_total") == failures + 1
    assert metric("yuqing_source_blind", state="failing") == 1

    write_sources(cfg.root, "/blog/list.html")  # the site is back (the crawl process reads the file)
    stats = scheduler.run_source(cfg.source("fx-flaky"))
    assert stats is not None and stats["ok"] and stats["items_published"] == 2
    (resolved,) = ops(consumer)
    assert resolved.id == alert.id and resolved.resolved
    (h,) = source_health(cfg)
    assert h.state == "ok" and h.problem is None and h.items_last_run == 2 and h.runs_24h == 2
    assert metric("yuqing_source_items_published_total") == items + 2
    assert metric("yuqing_source_blind", state="failing") == 0
    assert h.last_success_at is not None
    assert metric("yuqing_source_last_success_timestamp") == pytest.approx(h.last_success_at.timestamp(), abs=5)

    assert cli.main(["sources", "--config", str(cfg.root), "--data-dir", str(cfg.data_dir), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["source_id"] == "fx-flaky" and listed["state"] == "ok" and listed["items_24h"] == 2


def test_a_crawl_process_that_dies_is_recorded_as_failed(setup, monkeypatch):
    cfg, bus, consumer = setup
    scheduler = CrawlScheduler(cfg, bus=bus)
    monkeypatch.setattr(scheduler, "command", lambda s: [sys.executable, "-c", "import sys; sys.exit(3)"])
    assert scheduler.run_source(cfg.source("fx-flaky")) is None
    (h,) = source_health(cfg)
    assert h.state == "failing" and "exit 3" in (h.last_error or "")
    (alert,) = ops(consumer)
    assert alert.problem == FAILING and "退出码 3" in alert.summary


_TERMINATED = [sys.executable, "-c", "import os, signal, time; os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)"]


def test_a_crawl_ended_by_the_shutdown_is_a_stop_logged_at_info_not_a_death(setup, monkeypatch, caplog):
    cfg, bus, consumer = setup
    scheduler = CrawlScheduler(cfg, bus=bus)
    monkeypatch.setattr(scheduler, "command", lambda s: _TERMINATED)
    # The supervisor's SIGTERM reaches the crawl first and the role's stop a moment later.
    stop_follows = threading.Timer(0.3, scheduler._stopping.set)
    stop_follows.start()
    with caplog.at_level(logging.INFO, logger="crawlers.scheduler"):
        assert scheduler.run_source(cfg.source("fx-flaky")) is None
    stop_follows.join()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "crawl stopped with the scheduler (SIGTERM)" in caplog.text
    assert [h.last_error for h in source_health(cfg)] in ([], [None])  # nothing recorded as failed
    assert ops(consumer) == []


def test_a_crawl_terminated_while_the_scheduler_runs_is_a_death(setup, monkeypatch, caplog):
    cfg, bus, consumer = setup
    scheduler = CrawlScheduler(cfg, bus=bus)
    monkeypatch.setattr(scheduler, "command", lambda s: _TERMINATED)
    monkeypatch.setattr(scheduler_module, "STOP_GRACE", 0.05)
    with caplog.at_level(logging.INFO, logger="crawlers.scheduler"):
        assert scheduler.run_source(cfg.source("fx-flaky")) is None
    assert [r.levelno for r in caplog.records if "crawl died (SIGTERM)" in r.getMessage()] == [logging.ERROR]
    (h,) = source_health(cfg)
    assert h.state == "failing" and "exit -15" in (h.last_error or "")


def test_a_corrected_article_is_published_again_within_revisit(tmp_path, monkeypatch):
    """``revisit``: recently published pages are fetched again; only a changed
    one is published again (same document id, new text)."""
    from contracts.messages import Document
    from contracts.topics import DOCS_RAW
    from tests.kit.sites import crawl_in_subprocesses
    sites = tmp_path / "sites"
    shutil.copytree(SITES, sites)
    with FixtureSite(sites) as site:
        config = copy_config(tmp_path / "config", settings={"data_dir": str(tmp_path / "data")})
        source = {"id": "fx-blog", "name": "博客", "channel": "blog", "spider": "listdetail", "revisit": "1h",
                  "start_urls": [f"{site.url}/blog/list.html"],
                  "selectors": {"list_links": "span.atc_title a", "title": "h2.titName",
                                "content": "div.articalContent", "published_at": "div.articalTitle span.time"}}
        (config / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True),
                                             encoding="utf-8")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]

        def run() -> dict:
            ((code, stats),) = crawl_in_subprocesses(config, tmp_path / "data", ["fx-blog"], environ, fast).values()
            assert code == 0, stats
            return stats

        assert run()["items_published"] == 2
        post = sites / "blog" / "a1.html"
        post.write_text(post.read_text(encoding="utf-8").replace("十有六七", "十有七八（更正）"), encoding="utf-8")
        again = run()
        assert again["items_published"] == 1 and again["skipped_seen"] == 1 and again["pages_fetched"] == 3
        assert run()["items_published"] == 0
    bus = open_bus("sqlite:///bus.db", tmp_path / "data")
    consumer = bus.consumer([DOCS_RAW], "t")
    docs = [Document.from_bytes(r.value) for r in consumer.poll(100, 1.0)]
    consumer.close()
    bus.close()
    corrected = [d for d in docs if "十有七八（更正）" in d.text]
    assert len(docs) == 3 and len(corrected) == 1
    assert corrected[0].id == next(d.id for d in docs if "十有六七" in d.text)
