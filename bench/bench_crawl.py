"""Crawl throughput and publish latency against the local demo site.

    python bench/bench_crawl.py [--items 300] [--concurrency 8]

* **pages/s**: one `python -m crawlers.run` of the demo news source (list
  pages plus one detail page per item, selectors + extraction + publishing to
  the embedded SQLite bus), politeness delays off, against the baseline of
  fetching the same URLs with a bare thread pool of `urllib` clients at the
  same concurrency (no parsing, no bus). The ratio is what the spider's
  work costs on top of HTTP itself.
* **publish latency**: from a document's creation in the spider
  (`crawled_at`) to the moment a consumer polling `docs.raw` sees it, p50 and
  p95. Documents are flushed every 50 (`crawlers.publish.FLUSH_EVERY`) and at
  the end, which dominates the figure.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.messages import Document  # noqa: E402
from contracts.topics import DOCS_RAW  # noqa: E402
from demo.site import DemoSite  # noqa: E402
from pipeline.bus import open_bus  # noqa: E402
from tests.kit import copy_config  # noqa: E402

TEXT = ("吉林省保险行业协会组织会员单位开展保险知识宣传，围绕农业保险、健康保险和养老保障等主题，"
        "深入城乡社区和企业园区，帮助群众了解保险产品和理赔流程。\n\n") * 6


def baseline(urls: list[str], concurrency: int) -> float:
    def fetch(url: str) -> int:
        with urllib.request.urlopen(url, timeout=30) as r:
            return len(r.read())

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(fetch, urls))
    return len(urls) / (time.perf_counter() - start)


def crawl(site: DemoSite, pages: int, concurrency: int) -> tuple[dict, float, list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-crawl-"))
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data")})
    sources = (root / "sources.yaml").read_text(encoding="utf-8").replace("max_pages: 3", f"max_pages: {pages}")
    (root / "sources.yaml").write_text(sources, encoding="utf-8")
    bus = open_bus("sqlite:///bus.db", tmp / "data", partitions=4)
    consumer = bus.consumer([DOCS_RAW], "bench")
    latencies: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for rec in consumer.poll(max_records=500, timeout=0.05):
                doc = Document.from_bytes(rec.value)
                latencies.append((datetime.now(timezone.utc) - doc.crawled_at).total_seconds())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    env = {**os.environ, "YUQING_DEMO_SITE": site.url, "YUQING_BUS_URL": "sqlite:///bus.db"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "crawlers.run", "--config", str(root), "--source", "demo-news", "--no-record",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False",
         "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", "-s", "LOG_LEVEL=ERROR"],
        capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - start
    time.sleep(1.0)  # let the watcher drain the last flush
    done.set()
    watcher.join(timeout=10)
    consumer.close()
    bus.close()
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with DemoSite(port=0, script=False, page_size=args.page_size) as site:
        for n in range(args.items):
            site.store.publish_now({"section": "news", "title": f"吉林保险业动态第{n}期：理赔服务提质增效",
                                    "text": TEXT, "author": "记者 王强"})
        pages = -(-args.items // args.page_size)
        urls = [f"{site.url}/news/index.html"] + [f"{site.url}/news/index_{p}.html" for p in range(2, pages + 1)]
        urls += [site.url + it.path for it in site.store.visible("news")]
        base = baseline(urls, args.concurrency)
        stats, wall, lat = crawl(site, pages, args.concurrency)
    rate = stats["pages_fetched"] / stats["elapsed_s"]
    assert stats["items_published"] == args.items, stats
    lat.sort()
    print(f"pages: {stats['pages_fetched']} ({args.items} items), concurrency {args.concurrency}")
    print(f"baseline (urllib thread pool, fetch only): {base:.1f} pages/s")
    print(f"crawl (Scrapy spider, extract, publish):  {rate:.1f} pages/s "
          f"({stats['elapsed_s']:.2f}s in the crawl, {wall:.2f}s wall with process start)")
    print(f"ratio crawl/baseline: {rate / base:.2f}")
    print(f"publish latency (crawled_at -> visible on docs.raw): p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms, n={len(lat)}")


if __name__ == "__main__":
    main()
