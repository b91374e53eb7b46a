"""Two demo copies started with different YUQING_* ports each crawl their own site (issue 16,
live): two demo sites on their own ports, each with an item only it publishes; ``yuqing
crawl-once`` of each copy (its own data dir, YUQING_DEMO_SITE_PORT naming its site) collects
its own site's item and never the other's. tests/unit/test_demo_ports.py checks the
configuration side (every URL and port follows its variable) without starting anything."""
from __future__ import annotations

import os
import subprocess
import sys

from contracts.messages import Document
from contracts.topics import DOCS_RAW
from demo.site import DemoSite
from pipeline.config import load_config
from tests.kit import DEMO_CONFIG, REPO_ROOT
from yuqing.bootstrap import App


def crawl_copy(data_dir, site_port: int) -> list[str]:
    """``yuqing crawl-once --source demo-news`` as a copy started with YUQING_DEMO_SITE_PORT; the titles it collected."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_DEMO_SITE")}
    env.update(YUQING_DEMO_SITE_PORT=str(site_port), PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-m", "yuqing.cli", "crawl-once", "--source", "demo-news", "--no-alerts",
                           "--config", str(DEMO_CONFIG), "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    app = App(load_config(DEMO_CONFIG, data_dir=data_dir))
    try:
        consumer = app.bus.consumer([DOCS_RAW], "test-reader")
        records = consumer.poll(500, timeout=5)
        consumer.close()
    finally:
        app.close()
    return [Document.from_bytes(r.value).title for r in records]


def test_two_demo_copies_each_crawl_their_own_site(tmp_path):
    with DemoSite(port=0, script=False) as first, DemoSite(port=0, script=False) as second:
        first.publish("news", "甲站独有：人保财险理赔纠纷", "甲站的报道正文。")
        second.publish("news", "乙站独有：国寿吉林服务投诉", "乙站的报道正文。")
        titles_1 = crawl_copy(tmp_path / "copy1", first.port)
        titles_2 = crawl_copy(tmp_path / "copy2", second.port)
    assert "甲站独有：人保财险理赔纠纷" in titles_1 and not any("乙站" in t for t in titles_1)
    assert "乙站独有：国寿吉林服务投诉" in titles_2 and not any("甲站" in t for t in titles_2)
