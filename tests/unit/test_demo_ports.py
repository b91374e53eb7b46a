"""One variable moves each demo port and everything that points at it (issue 16):
two copies of the demo with different YUQING_* ports crawl their own demo site,
and their metrics ports do not collide."""
from __future__ import annotations

import json

import pytest

from pipeline.config import load_config
from pipeline.config.loader import _expand
from tests.kit import DEMO_CONFIG

PORT_VARS = ("YUQING_DEMO_SITE", "YUQING_DEMO_SITE_PORT", "YUQING_METRICS_PORT_BASE", "YUQING_CONSOLE_PORT",
             "YUQING_SMTP_PORT")


def demo_copy(monkeypatch, **env):
    for name in PORT_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_config(DEMO_CONFIG)


def urls(config) -> set[str]:
    text = json.dumps([s.model_dump(mode="json") for s in config.sources], ensure_ascii=False)
    return {part.split("/")[2] for part in text.split('"') if part.startswith("http://127.0.0.1")}


def test_two_copies_with_their_own_ports_crawl_their_own_site(monkeypatch):
    first = demo_copy(monkeypatch)
    second = demo_copy(monkeypatch, YUQING_DEMO_SITE_PORT="18765", YUQING_METRICS_PORT_BASE="19101",
                       YUQING_CONSOLE_PORT="18080", YUQING_SMTP_PORT="18025")
    assert urls(first) == {"127.0.0.1:8765"}
    assert urls(second) == {"127.0.0.1:18765"}
    assert first.settings.demo.site_port == 8765 and second.settings.demo.site_port == 18765
    assert sorted(first.settings.metrics_ports.values()) == list(range(9101, 9107))
    assert sorted(second.settings.metrics_ports.values()) == list(range(19101, 19107))
    assert second.settings.console_port == 18080 and second.settings.console_base_url.endswith(":18080")
    assert second.settings.smtp.port == 18025 and second.settings.demo.mailsink_port == 18025


def test_an_explicit_site_url_still_wins(monkeypatch):
    config = demo_copy(monkeypatch, YUQING_DEMO_SITE="http://127.0.0.1:9999", YUQING_DEMO_SITE_PORT="18765")
    assert urls(config) == {"127.0.0.1:9999"}


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("${A:-x${B:-1}y}", {}, "x1y"),
    ("${A:-x${B:-1}y}", {"B": "2"}, "x2y"),
    ("${A:-x${B:-1}y}", {"A": "a"}, "a"),
    ("${A}", {"A": "$"}, "$"),
])
def test_nested_defaults(monkeypatch, text, env, expected):
    for k in ("A", "B"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    missing: list[str] = []
    assert _expand(text, missing, "x") == expected and not missing
