"""The example production sources validate, and cover every spider kind and
every channel; politeness reaches Scrapy's settings."""
from __future__ import annotations

from pathlib import Path

import yaml

from contracts.messages import Channel
from crawlers.run import SPIDERS, crawl_settings, politeness_settings
from pipeline.config import Politeness, SourceConfig, SourcesFile
from tests.kit import DEMO_CONFIG

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples" / "sources.yaml"


def test_example_sources_cover_every_kind_and_channel():
    sources = SourcesFile.model_validate(yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))).sources
    assert {s.spider for s in sources} == set(SPIDERS)
    assert {s.channel for s in sources} == set(Channel)
    assert not any(s.enabled for s in sources)  # examples until checked against the live sites


def test_politeness_reaches_scrapy(monkeypatch):
    monkeypatch.setenv("FX_PROXIES", "http://u:p@10.0.0.2:3128, http://10.0.0.3:3128")
    s = SourceConfig(id="x", name="x", channel="news", spider="rss", start_urls=["http://x.cn/rss"],
                     politeness={"delay": "3s", "concurrency": 1, "obey_robots": False, "timeout": "30s",
                                 "retries": 4, "backoff": "5s", "max_bytes": 2048,
                                 "proxies": ["http://10.0.0.1:3128"], "proxies_env": "FX_PROXIES"})
    got = politeness_settings(s)
    assert (got["DOWNLOAD_DELAY"], got["CONCURRENT_REQUESTS_PER_DOMAIN"], got["ROBOTSTXT_OBEY"]) == (3.0, 1, False)
    assert (got["DOWNLOAD_TIMEOUT"], got["RETRY_TIMES"], got["YUQING_BACKOFF"], got["DOWNLOAD_MAXSIZE"]) == \
        (30.0, 4, 5.0, 2048)
    assert got["YUQING_PROXIES"] == ["http://10.0.0.1:3128", "http://u:p@10.0.0.2:3128", "http://10.0.0.3:3128"]
    assert got["DOWNLOADER_MIDDLEWARES"]["crawlers.middlewares.ProxyRotationMiddleware"] == 740


def test_defaults_are_polite_and_overrides_win():
    from pipeline.config import load_config
    cfg = load_config(DEMO_CONFIG)
    source = cfg.sources[0].model_copy(update={"politeness": Politeness()})
    settings = crawl_settings(cfg, {"DOWNLOAD_DELAY": 0}, source)
    assert settings["ROBOTSTXT_OBEY"] and settings["AUTOTHROTTLE_ENABLED"] and settings["DOWNLOAD_DELAY"] == 0
    assert "crawlers.middlewares.ProxyRotationMiddleware" not in settings["DOWNLOADER_MIDDLEWARES"]
    assert settings["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
