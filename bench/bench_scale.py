"""Scale-out on the embedded bus: scoring throughput with 1 and 2 worker
processes in one consumer group, as a ratio (2 workers / 1 worker).

    python bench/bench_scale.py [--docs 2000]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scoring import make_docs  # noqa: E402
from contracts.messages import Document  # noqa: E402
from contracts.topics import DOCS_RAW  # noqa: E402
from pipeline.bus import open_bus  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from tests.kit import copy_config, scrape_metric, wait_for  # noqa: E402


def run(workers: int, docs: list[Document]) -> float:
    tmp = Path(tempfile.mkdtemp(prefix=f"yuqing-scale-{workers}-"))
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data"),
                                                 "demo": {"site_port": None, "mailsink_port": None}})
    cfg = load_config(root)
    procs = [subprocess.Popen([sys.executable, "-m", "yuqing.cli", "score", "--config", str(root),
                               "--metrics-port", "0"], stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        run_dir = cfg.data_dir / "run"
        files = wait_for(lambda: (lambda f: f if len(f) == workers else None)(list(run_dir.glob("score-*.metrics"))),
                         60, "workers")
        ports = [int(f.read_text()) for f in files]
        # A worker has joined the group once it has reported its lag (on its first poll).
        wait_for(lambda: all(requests.get(f"http://127.0.0.1:{p}/metrics").text.count("yuqing_consumer_lag{")
                             for p in ports), 60, "group join")
        bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
        start = time.perf_counter()
        with bus.producer() as producer:
            for d in docs:
                producer.send(DOCS_RAW, d.to_bytes(), key=d.id)
        # Done when the workers together have consumed (and committed) every document.
        wait_for(lambda: sum(scrape_metric(p, "yuqing_records_consumed_total", stage="scorer")
                             for p in ports) >= len(docs), 600, "all documents scored", interval=0.1)
        elapsed = time.perf_counter() - start
        bus.close()
        return len(docs) / elapsed
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    args = ap.parse_args()
    docs = make_docs(args.docs)
    one = run(1, docs)
    two = run(2, docs)
    print(f"{len(docs)} docs x ~1000 chars, embedded SQLite bus, 4 partitions")
    print(f"1 scoring worker : {one:8.1f} docs/s")
    print(f"2 scoring workers: {two:8.1f} docs/s")
    print(f"ratio: {two / one:.2f}x")


if __name__ == "__main__":
    main()
