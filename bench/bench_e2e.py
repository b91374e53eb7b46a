"""End to end on the embedded defaults: sustained documents/s and publish →
alert latency at fixed offered rates, against a bare bus in the same run.

    python bench/bench_e2e.py                         # rates 20,100,300,1000 docs/s, 10 s each
    python bench/bench_e2e.py --rates 100 --seconds 20

Pipeline: ``yuqing score``, ``yuqing index`` and ``yuqing route`` as
processes on the embedded SQLite bus (4 partitions) and the embedded index,
fed by this process publishing ~1,000-character Chinese news items on
``docs.raw`` at a fixed rate (a flush every 10 ms, as a crawler publishes
in small batches). Every item is negative about one member unit and its own
story, so each makes one new alert; its latency runs from the flush that
published it to the router's transaction recording it in the alert store
(``alert_docs.added_at``, the router's clock: same machine). Sustained rate: items / (last alert, or the
index holding every item if later, − first publish).

Baseline: the same publisher and reader with two bare relay processes in
place of the roles (``docs.raw`` → ``docs.scored`` → ``alerts``, the same two
hops, no work): what the bus itself costs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.index_corpus import _vocabulary  # noqa: E402
from contracts.messages import Document  # noqa: E402
from contracts.topics import DOCS_RAW, DOCS_SCORED  # noqa: E402
from pipeline.bus import open_bus  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from tests.kit import copy_config  # noqa: E402

OUT = "bench.out"  # the bare relays' last topic
UNITS = ["中国人寿吉林省分公司", "平安产险吉林分公司", "人保财险吉林省分公司", "太保产险吉林分公司"]
NEGATIVE = ["{u}被多名消费者投诉拖延理赔，车辆出险后三个月仍未获得赔付，投诉至监管部门。",
            "网友称{u}以免责条款为由拒赔，理赔纠纷持续发酵，评论区多人表示有类似经历。",
            "有用户反映{u}业务员销售误导，承诺的收益无法兑现，退保时被扣除大量费用。"]


class Items:
    """Unique negative news items, each about one unit and its own story;
    only those the configured scorer gives a level (so each makes an alert)."""

    def __init__(self, config, seed: int = 5) -> None:
        from yuqing.bootstrap import App
        self.scorer = App(config).scorer
        self.words, self.cum = _vocabulary(20_000)
        self.rng = random.Random(seed)
        self.n = 0

    def make(self, count: int) -> list[Document]:
        rng, out = self.rng, list[Document]()
        while len(out) < count:
            self.n += 1
            unit = rng.choice(UNITS)
            filler = "".join("".join(rng.choices(self.words, cum_weights=self.cum, k=8)) + "，" for _ in range(55))
            title = f"{unit}{rng.choice(['被投诉', '遭质疑', '引争议'])}{''.join(rng.choices(self.words, k=3))}"
            text = rng.choice(NEGATIVE).format(u=unit) + filler[:880] + rng.choice(NEGATIVE).format(u=unit)
            doc = Document.create(url=f"https://bench.example.cn/e2e/{self.n}.html", source_id="bench",
                                  channel="news", site="bench.example.cn", title=title, text=text)
            if self.scorer.score(doc).unit_levels:
                out.append(doc)
        return out


class AlertReader(threading.Thread):
    """When each document's first alert was created (epoch seconds): the
    router's ``alert_docs.added_at`` in the alert store or, for the bare
    relays, arrival on ``bench.out``."""

    def __init__(self, bus, store: Path | None) -> None:
        super().__init__(daemon=True)
        self.bus = bus
        self.store = store
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        if self.store is not None:
            self._read_store(self.store)
            return
        consumer = self.bus.consumer([OUT], "bench-e2e-reader")
        try:
            while not self.stop.is_set():
                records = consumer.poll(500, timeout=0.2)
                now = time.time()
                for rec in records:
                    self.seen.setdefault(json.loads(rec.value)["id"], now)
                if records:
                    consumer.commit()
        finally:
            consumer.close()

    def _read_store(self, path: Path) -> None:
        import sqlite3
        from datetime import datetime
        while not path.exists() and not self.stop.is_set():
            time.sleep(0.05)
        conn = sqlite3.connect(path, timeout=30)
        last = 0
        try:
            while not self.stop.wait(0.02):
                try:
                    rows = conn.execute("SELECT rowid, doc_id, added_at FROM alert_docs WHERE rowid > ? "
                                        "ORDER BY rowid", (last,)).fetchall()
                except sqlite3.OperationalError:  # the router has not created its tables yet
                    continue
                for rowid, doc_id, added_at in rows:
                    last = rowid
                    self.seen.setdefault(doc_id, datetime.fromisoformat(added_at).timestamp())
        finally:
            conn.close()


def publish_at(bus, docs: list[Document], rate: float) -> dict[str, float]:
    """Publish ``docs`` at ``rate`` per second; returns each id's publish time (after its flush)."""
    published: dict[str, float] = {}
    sent = 0
    start = time.perf_counter()
    with bus.producer() as producer:
        while sent < len(docs):
            due = min(len(docs), int((time.perf_counter() - start) * rate) + 1)
            batch = docs[sent:due]
            for d in batch:
                producer.send(DOCS_RAW, d.to_bytes(), key=d.id)
            if batch:
                producer.flush()
                now = time.time()
                for d in batch:
                    published[d.id] = now
                sent = due
            time.sleep(0.01)
    return published


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def measure(bus, reader: AlertReader, items: Items, rate: float, seconds: float, index=None,
            indexed_before: int = 0) -> dict:
    docs = items.make(int(rate * seconds))
    published = publish_at(bus, docs, rate)
    deadline = time.time() + 60 + len(docs) / 50
    indexed_at = None
    ids = [d.id for d in docs]
    while time.time() < deadline:
        done_alerts = all(i in reader.seen for i in ids)
        if index is not None and indexed_at is None:
            from pipeline.index import SearchQuery
            if index.search(SearchQuery(limit=0)).total >= indexed_before + len(docs):
                indexed_at = time.time()
        if done_alerts and (index is None or indexed_at is not None):
            break
        time.sleep(0.02)
    missing = [i for i in ids if i not in reader.seen]
    latencies = [(reader.seen[i] - published[i]) * 1000 for i in ids if i in reader.seen]
    last = max([reader.seen[i] for i in ids if i in reader.seen] + ([indexed_at] if indexed_at else []))
    return {"rate": rate, "docs": len(docs), "missing": len(missing),
            "sustained": len(docs) / (last - min(published.values())),
            "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95),
            "indexed": indexed_at is not None or index is None}


def start(cmds: list[list[str]], env: dict) -> list[subprocess.Popen]:
    return [subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in cmds]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def run(mode: str, rates: list[float], seconds: float) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix=f"yuqing-e2e-{mode}-"))
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data"),
                                                 "demo": {"site_port": None, "mailsink_port": None}})
    cfg = load_config(root)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if mode == "pipeline":
        cmds = [[sys.executable, "-m", "yuqing.cli", role, "--config", str(root), "--metrics-port", "-1"]
                for role in ("score", "index", "route")]
    else:
        cmds = [[sys.executable, __file__, "--relay", src, dst, "--config", str(root)]
                for src, dst in ((DOCS_RAW, DOCS_SCORED), (DOCS_SCORED, OUT))]
    bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
    bus.ensure_topics([DOCS_RAW, DOCS_SCORED, OUT])
    store = None
    if mode == "pipeline":
        url = cfg.settings.alert_store.url
        store = cfg.data_dir / url[len("sqlite:///"):]
    reader = AlertReader(bus, store)
    reader.start()
    procs = start(cmds, env)
    index = None
    try:
        items = Items(cfg)
        warm = measure(bus, reader, items, 20, 1.0)  # processes up, models loaded, groups joined
        if warm["missing"]:
            raise SystemExit(f"{mode}: warm-up items never arrived")
        total = warm["docs"]
        if mode == "pipeline":
            from pipeline.index import open_index
            index = open_index(cfg.settings.index.url, cfg.data_dir)
        results = []
        for rate in rates:
            r = measure(bus, reader, items, rate, seconds, index, total)
            total += r["docs"]
            results.append(r)
            print(f"  {mode} {rate:g}/s: {r}", file=sys.stderr, flush=True)
        return results
    finally:
        stop(procs)
        reader.stop.set()
        reader.join(timeout=5)
        if index is not None:
            index.close()
        bus.close()
        shutil.rmtree(tmp, ignore_errors=True)


def relay(src: str, dst: str, config: str) -> None:
    from pipeline.workers import Output, run_stage
    from yuqing.bootstrap import App
    app = App(load_config(config))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    run_stage(app.bus, [src], f"relay-{src}", lambda recs: [Output(dst, r.key, r.value) for r in recs], done)
    app.close()


def stage_cpu(count: int) -> None:
    """CPU time per document of each role's work, in this process (what the
    roles cost, whatever else the machine is doing)."""
    from contracts.messages import ScoredDocument
    from yuqing.bootstrap import App
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-e2e-cpu-"))
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data"),
                                                 "demo": {"site_port": None, "mailsink_port": None}})
    app = App(load_config(root))
    raw = [d.to_bytes() for d in Items(app.config).make(count)]
    scored: list[bytes] = []

    def score() -> None:
        for i in range(0, len(raw), 100):  # bus batches of 100, as run_stage polls them
            batch = [app.scorer.score(Document.from_bytes(r), now=app.clock.now()) for r in raw[i:i + 100]]
            scored.extend(d.to_bytes() for d in app.story_store.assign_many(batch))

    def index() -> None:
        for i in range(0, len(scored), 100):
            app.index.upsert([ScoredDocument.from_bytes(r) for r in scored[i:i + 100]])

    def route() -> None:
        for r in scored:
            app.router.handle(ScoredDocument.from_bytes(r))

    app.scorer, app.story_store, app.index, app.router  # noqa: B018 - built before the clock starts
    total = 0.0
    print("\n| role | CPU ms per document | documents per CPU-second |\n|---|---|---|")
    for name, fn in (("score (+ story store)", score), ("index", index), ("route", route)):
        cpu = time.process_time()
        fn()
        per_doc = (time.process_time() - cpu) / count * 1000
        total += per_doc
        print(f"| {name} | {per_doc:.2f} | {1000 / per_doc:,.0f} |")
    print(f"| all three | {total:.2f} | {1000 / total:,.0f} (on one core; {2000 / total:,.0f} on two if spread evenly) |")
    app.close()
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="20,100,300,1000")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--stage-cpu", type=int, metavar="N", help="instead: CPU per document of each role on N items")
    ap.add_argument("--relay", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.relay:
        relay(args.relay[0], args.relay[1], args.config)
        return
    if args.stage_cpu:
        stage_cpu(args.stage_cpu)
        return
    rates = [float(r) for r in args.rates.split(",")]
    bare = run("bare", rates, args.seconds)
    piped = run("pipeline", rates, args.seconds)
    print("\n| offered docs/s | bare bus: sustained, p50 / p95 ms | pipeline: sustained docs/s | "
          "publish → alert p50 / p95 ms | pipeline / bare (sustained) |")
    print("|---|---|---|---|---|")
    for b, p in zip(bare, piped):
        note = "" if not p["missing"] and p["indexed"] else f" ({p['missing']} not alerted in time)"
        print(f"| {b['rate']:g} | {b['sustained']:,.0f}, {b['p50']:.0f} / {b['p95']:.0f} | {p['sustained']:,.0f}{note} "
              f"| {p['p50']:.0f} / {p['p95']:.0f} | {p['sustained'] / b['sustained']:.2f} |")


if __name__ == "__main__":
    main()
