"""Alert routing on the embedded bus, with `yuqing route` and `yuqing notify`
as real processes, SMS/robots on the local provider stand-in and email on a
local SMTP server:

* alerts/s through the router (docs.scored → alerts + outbox), as a ratio
  against the bare embedded bus (poll + commit of the same records, no work);
* detection-to-first-send latency, p50/p95: from publishing a negative
  scored document to the first message a provider accepted for its alert.

    python bench/bench_alerting.py [--alerts 500] [--latency-alerts 60]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerting.store import AlertStore  # noqa: E402
from contracts.messages import Alert  # noqa: E402
from contracts.topics import DOCS_SCORED  # noqa: E402
from pipeline.bus import open_bus  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from tests.kit import (  # noqa: E402
    GATEWAY_ENV,
    SmtpRecorder,
    copy_config,
    gateway_settings,
    gateway_sim,
    make_scored,
    scrape_metric,
    wait_for,
)

LEVELS = ["red", "orange", "yellow", "blue"]


def docs(n: int, units: list[str], tag: str):
    return [make_scored({units[i % len(units)]: LEVELS[i % 4]}, story=f"{tag}-{i}",
                        url=f"http://bench.example.cn/{tag}/{i}", title=f"第{i}号：投诉拖延理赔") for i in range(n)]


def setup(tmp: Path, smtp: SmtpRecorder, sim):
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data"),
                                                 "demo": {"site_port": None, "mailsink_port": None},
                                                 "smtp": {"host": "127.0.0.1", "port": smtp.port},
                                                 **gateway_settings(sim)})
    return root, load_config(root)


def start(role: str, root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", role, "--config", str(root), "--metrics-port", "0"],
                            env={**os.environ, **GATEWAY_ENV}, stderr=subprocess.DEVNULL)


def metrics_port(cfg, role: str) -> int:
    f = wait_for(lambda: next(iter((cfg.data_dir / "run").glob(f"{role}-*.metrics")), None), 60, f"{role} metrics")
    return int(f.read_text())


def bus_baseline(cfg, items) -> float:
    """Records/s of a bare consumer (poll + commit) over the same records."""
    bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
    try:
        consumer = bus.consumer([DOCS_SCORED], "bench-baseline")
        start, seen = time.perf_counter(), 0
        while seen < len(items):
            seen += len(consumer.poll(100, timeout=0.5))
            consumer.commit()
        consumer.close()
        return len(items) / (time.perf_counter() - start)
    finally:
        bus.close()


def publish(cfg, items, spacing: float = 0.0) -> dict[str, float]:
    bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
    sent = {}
    try:
        with bus.producer() as producer:
            for d in items:
                producer.send(DOCS_SCORED, d.to_bytes(), key=d.story_id)
                if spacing:
                    producer.flush()
                    sent[Alert.id_for(d.story_id, next(iter(d.unit_levels)))] = time.time()
                    time.sleep(spacing)
    finally:
        bus.close()
    return sent


def throughput(n: int) -> tuple[float, float]:
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-alerting-"))
    with SmtpRecorder() as smtp, gateway_sim() as sim:
        root, cfg = setup(tmp, smtp, sim)
        units = [u.id for u in cfg.members.units]
        items = docs(n, units, "tp")
        proc = start("route", root)
        try:
            port = metrics_port(cfg, "route")
            time.sleep(1.0)  # let the router join its group before the clock starts
            t0 = time.perf_counter()
            publish(cfg, items)
            wait_for(lambda: scrape_metric(port, "yuqing_records_consumed_total", stage="router") >= n, 600,
                     "all documents routed", interval=0.05)
            routed = n / (time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return routed, bus_baseline(cfg, items)


def latency(n: int, spacing: float) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-latency-"))
    with SmtpRecorder() as smtp, gateway_sim(per_minute=10**6) as sim:
        root, cfg = setup(tmp, smtp, sim)
        units = [u.id for u in cfg.members.units]
        procs = [start("route", root), start("notify", root)]
        try:
            metrics_port(cfg, "route")
            metrics_port(cfg, "notify")
            time.sleep(1.0)
            sent = publish(cfg, docs(n, units, "lat"), spacing)
            store = AlertStore(cfg.data_dir / "alerts.db")
            query = ("SELECT alert_id, MIN(updated_at) AS first FROM outbox WHERE state IN ('accepted','delivered')"
                     " GROUP BY alert_id")
            rows = wait_for(lambda: (lambda r: r if len(r) >= n else None)(store._db.execute(query).fetchall()),
                            120, "a first send for every alert")
            store.close()
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    return [datetime.fromisoformat(r["first"]).timestamp() - sent[r["alert_id"]] for r in rows if r["alert_id"] in sent]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=500)
    ap.add_argument("--latency-alerts", type=int, default=60)
    ap.add_argument("--spacing", type=float, default=0.25, help="seconds between documents in the latency run")
    args = ap.parse_args()
    routed, bare = throughput(args.alerts)
    lat = sorted(latency(args.latency_alerts, args.spacing))
    p50 = statistics.median(lat)
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
    print(f"{args.alerts} negative scored documents, one new alert each, embedded SQLite bus, 4 partitions")
    print(f"bare bus (poll + commit)  : {bare:8.1f} records/s")
    print(f"router (yuqing route)     : {routed:8.1f} alerts/s")
    print(f"ratio router / bare bus   : {routed / bare:.3f}")
    print(f"detection-to-first-send over {len(lat)} alerts, one every {args.spacing}s: "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
