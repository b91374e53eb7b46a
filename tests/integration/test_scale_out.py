"""Scale-out on one machine: two scoring workers in one consumer group share
the embedded bus's partitions, and together score every document."""
from __future__ import annotations

import subprocess
import sys

import requests

from contracts.messages import Document, ScoredDocument
from contracts.topics import DOCS_RAW, DOCS_SCORED
from pipeline.bus import open_bus
from pipeline.config import load_config
from tests.kit import copy_config, scrape_metric, wait_for


def test_two_scoring_workers_share_partitions(tmp_path):
    root = copy_config(tmp_path / "config", settings={"data_dir": str(tmp_path / "data"),
                                                     "demo": {"site_port": None, "mailsink_port": None}})
    cfg = load_config(root)
    run_dir = cfg.data_dir / "run"
    workers = [subprocess.Popen([sys.executable, "-m", "yuqing.cli", "score", "--config", str(root),
                                 "--metrics-port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    try:
        files = wait_for(lambda: (lambda f: f if len(f) == 2 else None)(sorted(run_dir.glob("score-*.metrics"))),
                         30, "both workers' metrics endpoints")
        ports = [int(f.read_text()) for f in files]
        # Both have joined the group once each has reported its lag (done on its first poll).
        wait_for(lambda: all("yuqing_consumer_lag{" in requests.get(f"http://127.0.0.1:{p}/metrics").text
                             for p in ports), 60, "both workers to join the group")
        total = 400
        bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
        with bus.producer() as producer:
            for i in range(total):
                d = Document.create(url=f"http://feed.example.cn/{i}.html", source_id="feed", channel="news",
                                    site="feed.example.cn", title=f"吉林保险业动态第{i}期", text="行业资讯。")
                producer.send(DOCS_RAW, d.to_bytes(), key=d.id)

        seen: set[str] = set()
        with bus.consumer([DOCS_SCORED], "checker") as consumer:
            def all_scored():
                for rec in consumer.poll(500, timeout=0.5):
                    seen.add(ScoredDocument.from_bytes(rec.value).id)
                return len(seen) == total
            wait_for(all_scored, 120, f"{total} scored documents")
        bus.close()
        consumed = [scrape_metric(p, "yuqing_records_consumed_total", stage="scorer") for p in ports]
        assert all(c > 0 for c in consumed), consumed
        assert sum(consumed) >= total
        # Routine news: scored, none negative.
        assert sum(scrape_metric(p, "yuqing_documents_scored_total", level="none") for p in ports) >= total
        assert sum(scrape_metric(p, "yuqing_negativity_count") for p in ports) >= total
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
