"""End to end: sustained documents/s and publish → alert created → first send
at fixed offered rates, against a bare bus in the same run — on the embedded
defaults and on Kafka (Tansu) + PostgreSQL, with 1 or 2 of each role.

    python bench/bench_e2e.py                                  # embedded, 1 of each, 20,100,300,1000 docs/s
    python bench/bench_e2e.py --backend kafka --replicas 2 --rates 20,100,300 --seconds 5

Pipeline: ``yuqing score``, ``yuqing route`` and ``yuqing notify`` (``--replicas``
of each, one consumer group per role; on Kafka each replica its own data dir,
a "machine") and one ``yuqing index``, as processes, fed by this process
publishing ~1,000-character Chinese news items on ``docs.raw`` at a fixed rate
(a flush every 10 ms, as a crawler publishes in small batches). Every item is
negative about one member unit and its own story, so each makes one new
alert and e-mails (SMS off). Latencies run from the flush that published an
item to the router's transaction recording it in the alert store
(``alert_docs.added_at``, the router's clock: same machine), and to the first
of its alert's e-mails reaching the local SMTP server. Sustained rate: items /
(last alert, or the index holding every item if later, − first publish).

Baseline: the same publisher and reader with bare relay processes in place
of the roles (``docs.raw`` → ``docs.scored`` → ``bench.out``, the same two
hops, no work; ``--replicas`` of each relay): what the bus itself costs.
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

from bench.e2e_stack import AlertReader, Backend, SendRecorder, first_sends  # noqa: E402
from bench.index_corpus import _vocabulary  # noqa: E402
from contracts.messages import Document  # noqa: E402
from contracts.topics import DOCS_RAW, DOCS_SCORED  # noqa: E402
from pipeline.bus import open_bus  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from tests.kit import copy_config, free_port  # noqa: E402

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


class BusReader(threading.Thread):
    """For the bare relays: when each document arrived on ``bench.out`` (epoch seconds)."""

    def __init__(self, bus) -> None:
        super().__init__(daemon=True)
        self.bus = bus
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
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


def measure(bus, reader, items: Items, rate: float, seconds: float, index=None, indexed_before: int = 0,
            sends=None) -> dict:
    """Offer ``rate`` docs/s for ``seconds``; wait for every alert (and the index, and with ``sends``
    — a () → {alert id: first send} — every alert's first e-mail)."""
    docs = items.make(int(rate * seconds))
    published = publish_at(bus, docs, rate)
    deadline = time.time() + 60 + len(docs) / 20
    indexed_at = None
    ids = [d.id for d in docs]
    sent: dict[str, float] = {}
    while time.time() < deadline:
        done_alerts = all(i in reader.seen for i in ids)
        if index is not None and indexed_at is None:
            from pipeline.index import SearchQuery
            if index.search(SearchQuery(limit=0)).total >= indexed_before + len(docs):
                indexed_at = time.time()
        if done_alerts and sends is not None:
            sent = sends()
            done_alerts = all(reader.alert_of.get(i) in sent for i in ids)
        if done_alerts and (index is None or indexed_at is not None):
            break
        time.sleep(0.1)
    missing = [i for i in ids if i not in reader.seen]
    latencies = [(reader.seen[i] - published[i]) * 1000 for i in ids if i in reader.seen]
    last = max([reader.seen[i] for i in ids if i in reader.seen] + ([indexed_at] if indexed_at else []))
    out = {"rate": rate, "docs": len(docs), "missing": len(missing),
           "sustained": len(docs) / (last - min(published.values())),
           "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95),
           "indexed": indexed_at is not None or index is None}
    if sends is not None:
        to_send = [(sent[reader.alert_of[i]] - published[i]) * 1000 for i in ids if reader.alert_of.get(i) in sent]
        out.update(unsent=len(ids) - len(to_send), send_p50=statistics.median(to_send) if to_send else float("nan"),
                   send_p95=percentile(to_send, 0.95) if to_send else float("nan"))
    return out


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


def run(mode: str, rates: list[float], seconds: float, backend: Backend, replicas: int = 1) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix=f"yuqing-e2e-{mode}-"))
    backend.begin()
    with SendRecorder() as smtp:
        roots = backend.configs(tmp, replicas, smtp.port)
        cfg = load_config(roots[0])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cli = [sys.executable, "-m", "yuqing.cli"]
        if mode == "pipeline":
            cmds = [[*cli, "index", "--config", str(roots[0]), "--metrics-port", "-1"]]
            cmds += [[*cli, role, "--config", str(roots[i % len(roots)]), "--metrics-port", "-1"]
                     for i in range(replicas) for role in ("score", "route", "notify")]
        else:
            cmds = [[sys.executable, __file__, "--relay", src, dst, "--config", str(roots[i % len(roots)])]
                    for i in range(replicas) for src, dst in ((DOCS_RAW, DOCS_SCORED), (DOCS_SCORED, OUT))]
        bus = open_bus(cfg.settings.bus.url, cfg.data_dir, **cfg.settings.bus.options)
        bus.ensure_topics([DOCS_RAW, DOCS_SCORED, OUT])
        store = backend.alert_store(cfg.data_dir)
        reader = AlertReader(store) if mode == "pipeline" else BusReader(bus)
        sends = (lambda: first_sends(store, smtp)) if mode == "pipeline" else None
        reader.start()
        procs = start(cmds, env)
        index = None
        try:
            items = Items(cfg)
            warm = measure(bus, reader, items, 20, 1.0, sends=sends)  # processes up, models loaded, groups joined
            if warm["missing"]:
                raise SystemExit(f"{mode}: warm-up items never arrived")
            total = warm["docs"]
            if mode == "pipeline":
                from pipeline.index import open_index
                index = open_index(cfg.settings.index.url, cfg.data_dir)
            results = []
            for rate in rates:
                r = measure(bus, reader, items, rate, seconds, index, total, sends=sends)
                total += r["docs"]
                results.append(r)
                print(f"  {backend.kind} {mode} x{replicas} {rate:g}/s: {r}", file=sys.stderr, flush=True)
            return results
        finally:
            stop(procs)
            reader.stop.set()
            reader.join(timeout=5)
            if index is not None:
                index.close()
            bus.close()
            backend.end()
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
    roles cost, whatever else the machine is doing); the notifier's includes
    its sender threads, not the SMTP sink's."""
    from contracts.messages import ScoredDocument
    from yuqing.bootstrap import App
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-e2e-cpu-"))
    port = free_port()  # an SMTP sink in its own process: its CPU is not the notifier's
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    root = copy_config(tmp / "config", settings={"data_dir": str(tmp / "data"), "sms": {"provider": None},
                                                 "smtp": {"host": "127.0.0.1", "port": port},
                                                 "demo": {"site_port": None, "mailsink_port": None}},
                       rules={"alerting": {"routes": {"red": {"forward": "auto"}}}})
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
        for i in range(0, len(scored), 100):  # one alert-store commit per bus batch, as the route role
            with app.alert_store.batch():
                for r in scored[i:i + 100]:
                    app.router.handle(ScoredDocument.from_bytes(r))

    def notify() -> None:
        while app.notifier.run_once():
            pass

    app.scorer, app.story_store, app.index, app.router, app.notifier  # noqa: B018 - built before the clock starts
    total = 0.0
    print("\n| role | CPU ms per document | documents per CPU-second |\n|---|---|---|")
    for name, fn in (("score (+ story store)", score), ("index", index), ("route", route),
                     ("notify (e-mails to a local SMTP sink)", notify)):
        cpu = time.process_time()
        fn()
        per_doc = (time.process_time() - cpu) / count * 1000
        total += per_doc
        print(f"| {name} | {per_doc:.2f} | {1000 / per_doc:,.0f} |")
    mails = sum(1 for r in app.alert_store.outbox() if r["channel"] == "email" and r["state"] == "accepted")
    print(f"| all four | {total:.2f} | {1000 / total:,.0f} (on one core; {2000 / total:,.0f} on two if spread evenly) |")
    print(f"\n({mails / count:.1f} e-mails per document sent, {app.send_workers} at once)")
    app.close()
    sink.terminate()
    sink.wait()
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="20,100,300,1000")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--backend", choices=("embedded", "kafka"), default="embedded",
                    help="kafka: Kafka (a Tansu broker) + PostgreSQL, each replica its own data dir")
    ap.add_argument("--replicas", type=int, default=1, help="processes of each role (score, route, notify)")
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
    backend = Backend(args.backend)
    load = [Path("/proc/loadavg").read_text().split()[0]]
    try:
        bare = run("bare", rates, args.seconds, backend, args.replicas)
        piped = run("pipeline", rates, args.seconds, backend, args.replicas)
    finally:
        backend.close()
    load.append(Path("/proc/loadavg").read_text().split()[0])
    print(f"\n{args.backend}, {args.replicas} of each role (load average {load[0]} at the start, {load[1]} at the end,"
          f" {os.cpu_count()} cores):")
    print("\n| offered docs/s | bare bus: sustained, p50 / p95 ms | pipeline: sustained docs/s | "
          "publish → alert p50 / p95 ms | publish → first send p50 / p95 ms | pipeline / bare (sustained) |")
    print("|---|---|---|---|---|---|")
    for b, p in zip(bare, piped):
        note = "" if not p["missing"] and p["indexed"] else f" ({p['missing']} not alerted in time)"
        unsent = f" ({p['unsent']} not sent in time)" if p.get("unsent") else ""
        sent = "—" if p["unsent"] == p["docs"] else f"{p['send_p50']:,.0f} / {p['send_p95']:,.0f}"
        print(f"| {b['rate']:g} | {b['sustained']:,.0f}, {b['p50']:.0f} / {b['p95']:.0f} | {p['sustained']:,.0f}{note} "
              f"| {p['p50']:,.0f} / {p['p95']:,.0f} | {sent}{unsent} "
              f"| {p['sustained'] / b['sustained']:.2f} |")


if __name__ == "__main__":
    main()
