"""The index at a year's scale: ingest rate, bytes per document and query
latency of the embedded engines, side by side, against the old SQLite FTS5
adapter as the baseline in the same run.

    python bench/bench_index.py                   # 100,000 documents
    python bench/bench_index.py --docs 1000000    # a year at ~2,700 a day (takes a while)

Engines (``--engines``, comma-separated):

* ``fts5``: ``pipeline/index/sqlite_fts.py`` (the embedded default before
  tantivy): the baseline;
* ``fts5-lean``: route (a), SQLite FTS5 used as intended (bench/fts5_lean.py:
  contentless, rowid = time, capped totals), a prototype;
* ``tantivy``: ``pipeline/index/tantivy_index.py``, the embedded default.

Every engine gets the same documents (bench/index_corpus.py, generated once
per batch and written to each in turn) and the same tokenizer, the one the
composition root passes (rjieba search mode with the insurance dictionary);
ingest time is the time spent in ``upsert`` (tokenising included), batches of
``--batch`` as the index role writes them, each a durable commit. Queries ask
for 20 hits newest first (highlights included), rotating over terms of equal
frequency and over units; p50/p95 over ``--repeat`` queries after a warm-up,
the median of ``--runs`` such runs; the load average is printed beside them.
Totals of the engines with exact counts are checked against each other.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.index_corpus import AND_TERM, HOT, TERMS, UNITS, Corpus  # noqa: E402
from contracts.messages import Level  # noqa: E402
from pipeline.index import SearchQuery, open_index  # noqa: E402
from sentiment.tokenize import Tokenizer  # noqa: E402

KINDS = ["term", "term_30d", "term_unit_level", "hot", "and", "deep_page", "days_90d", "units_90d"]
LABELS = {
    "term": "one term (理赔 …, 12 %)",
    "term_30d": "one term, last 30 days",
    "term_unit_level": "one term + unit + level",
    "hot": "hot term (保险, 50 %)",
    "and": "two terms AND (… 拖延)",
    "deep_page": "deep page (offset 980)",
    "days_90d": "counts by day, hot term, 90 days",
    "units_90d": "counts by unit, hot term, 90 days",
}


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Engine:
    def __init__(self, name: str, base: Path, tokenizer: Callable[[str], list[str]]) -> None:
        self.name = name
        self.ingest_s = 0.0
        self.ingest_cpu = 0.0
        self.index: Any
        if name == "fts5":
            self.path = base / "fts5.db"
            self.index = open_index(f"sqlite:///{self.path}", tokenizer=tokenizer)
        elif name == "fts5-lean":
            from bench.fts5_lean import LeanFts5
            self.path = base / "lean.db"
            self.index = LeanFts5(self.path, tokenizer)
        elif name == "tantivy":
            self.path = base / "tantivy"
            self.index = open_index(f"tantivy:///{self.path}", tokenizer=tokenizer)
        else:
            raise SystemExit(f"unknown engine {name!r}")

    def upsert(self, docs) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.index.upsert(docs)
        self.ingest_s += time.perf_counter() - wall
        self.ingest_cpu += time.process_time() - cpu

    def size(self) -> int:
        if self.name != "tantivy":
            import sqlite3
            conn = sqlite3.connect(self.path)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
        return dir_bytes(self.path)

    def run(self, kind: str, q: SearchQuery) -> int | None:
        """Run one query; the total (or number of buckets) it found, None when unsupported."""
        if kind in ("days_90d", "units_90d"):
            by = "day" if kind == "days_90d" else "unit"
            if self.name == "fts5-lean":
                if by != "day":
                    return None
                quarters = self.index.counts_by_quarter(q)
                days: dict[str, int] = {}
                end_tz = q.end.tzinfo if q.end else None
                for quarter, n in quarters.items():
                    day = datetime.fromtimestamp(quarter * 900, end_tz).strftime("%Y-%m-%d")
                    days[day] = days.get(day, 0) + n
                return sum(days.values())
            counted: dict[str, int] = self.index.counts(q, by)
            return sum(counted.values())
        return self.index.search(q).total


def queries(kind: str, end: datetime) -> list[SearchQuery]:
    terms = list(TERMS)
    recent = {"start": end - timedelta(days=90), "end": end}
    if kind == "term":
        return [SearchQuery(text=t) for t in terms]
    if kind == "term_30d":
        return [SearchQuery(text=t, start=end - timedelta(days=30), end=end) for t in terms]
    if kind == "term_unit_level":
        return [SearchQuery(text=t, units=[UNITS[i % len(UNITS)]], levels=[Level.orange, Level.red])
                for i, t in enumerate(terms * 3)]
    if kind == "hot":
        return [SearchQuery(text=HOT)]
    if kind == "and":
        return [SearchQuery(text=f"{t} {AND_TERM[0]}") for t in terms]
    if kind == "deep_page":
        return [SearchQuery(text=t, offset=980) for t in terms]
    if kind in ("days_90d", "units_90d"):
        return [SearchQuery(text=HOT, **recent)]
    raise ValueError(kind)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def measure(engine: Engine, kind: str, end: datetime, repeat: int) -> tuple[float, float, dict, float] | None:
    qs = queries(kind, end)
    totals = {}
    for q in qs:  # warm-up, and the totals
        found = engine.run(kind, q)
        if found is None:
            return None
        totals[q.model_dump_json()] = found
    times, cpu = [], []
    for i in range(repeat):
        q = qs[i % len(qs)]
        t, c = time.perf_counter(), time.thread_time()
        engine.run(kind, q)
        cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 0.95), totals, percentile(cpu, 0.95)


def median_run(engine: Engine, kind: str, end: datetime, repeat: int,
               runs: int) -> tuple[float, float, dict, float] | None:
    """``measure`` ``runs`` times; the run with the median p95 (other work on the
    machine comes and goes, one run can catch a burst of it)."""
    done = [measure(engine, kind, end, repeat) for _ in range(max(runs, 1))]
    measured = sorted((r for r in done if r is not None), key=lambda r: r[1])
    return measured[len(measured) // 2] if measured else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--engines", default="fts5,fts5-lean,tantivy")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3, help="query runs per kind; the median run is reported")
    ap.add_argument("--dir", default=None, help="where to build the indexes (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the indexes afterwards")
    ap.add_argument("--resume", action="store_true",
                    help="continue an earlier run in --dir that was stopped (same --docs and --batch)")
    ap.add_argument("--query-only", action="store_true",
                    help="reuse the indexes of an earlier run in --dir (same --docs): queries only")
    args = ap.parse_args()

    base = Path(args.dir or tempfile.mkdtemp(prefix="yuqing-bench-index-"))
    base.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer().search_tokens
    engines = [Engine(name, base, tokenizer) for name in args.engines.split(",")]
    corpus = Corpus(args.docs)
    text_bytes = 0
    started = time.perf_counter()
    start = 0
    if args.resume:  # the engines hold the same documents when stopped between batches
        start = engines[-1].index.search(SearchQuery(limit=0)).total
        print(f"  resuming at {start:,}", file=sys.stderr, flush=True)
    batches = corpus.batches(args.batch, start)
    if args.query_only:  # the text size only, from a sample
        sample = next(batches)
        text_bytes = sum(len(d.title.encode()) + len(d.text.encode()) for d in sample) * args.docs // len(sample)
    for i, batch in enumerate(() if args.query_only else batches):
        text_bytes += sum(len(d.title.encode()) + len(d.text.encode()) for d in batch)
        for engine in engines:
            engine.upsert(batch)
        if (i + 1) % max(1, 20_000 // args.batch) == 0:
            done = (i + 1) * args.batch
            print(f"  {done:,} docs, {time.perf_counter() - started:.0f} s: " + ", ".join(
                f"{e.name} {done / e.ingest_s:,.0f}/s" for e in engines), file=sys.stderr, flush=True)
    end = corpus.end
    n = args.docs
    if start:
        text_bytes = text_bytes * n // (n - start)
    if args.query_only:
        # Whatever the earlier run got to (it may have been stopped early):
        # as many documents as the index holds, up to the newest of them.
        newest = engines[-1].index.search(SearchQuery(limit=1))
        n, end = newest.total, newest.hits[0].doc.crawled_at
        text_bytes = text_bytes * n // args.docs
    print(f"\n{n:,} documents, {text_bytes / max(n, 1):,.0f} bytes of title+text each (UTF-8); "
          f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average "
          f"{os.getloadavg()[0]:.1f} after ingest\n")
    print("| engine | ingest docs/s (wall) | docs per CPU-second | bytes/doc on disk | besides the text |")
    print("|---|---|---|---|---|")
    for e in engines:
        size = e.size()
        written = n - start  # a resumed run times only its own part
        rates = "— | —" if args.query_only else f"{written / e.ingest_s:,.0f} | {written / e.ingest_cpu:,.0f}"
        print(f"| {e.name} | {rates} | {size / n:,.0f} | {(size - text_bytes) / n:,.0f} |")

    load_before = os.getloadavg()
    results = {e.name: {k: median_run(e, k, end, args.repeat, args.runs) for k in KINDS} for e in engines}
    load_after = os.getloadavg()
    baseline = engines[0].name
    head = " | ".join(f"{e.name} p50 / p95 (CPU p95) ms" for e in engines)
    ratios = " | ".join(f"{e.name} × (wall / CPU p95)" for e in engines[1:])
    print(f"\n| query (limit 20, newest first) | {head} |" + (f" {ratios} |" if ratios else ""))
    print("|---|" + "---|" * (len(engines) + len(engines) - 1))
    for kind in KINDS:
        cells = []
        for e in engines:
            r = results[e.name][kind]
            cells.append(f"{r[0]:.2f} / {r[1]:.2f} ({r[3]:.2f})" if r else "—")
        base_r = results[baseline][kind]
        ratio_cells = []
        for e in engines[1:]:
            r = results[e.name][kind]
            ratio_cells.append(f"{base_r[1] / r[1]:,.0f}× / {base_r[3] / max(r[3], 1e-3):,.0f}×" if r and base_r else "—")
        print(f"| {LABELS[kind]} | {' | '.join(cells)} |" + "".join(f" {c} |" for c in ratio_cells))
    print(f"\nload average (1/5/15 min) {' / '.join(f'{x:.1f}' for x in load_before)} before the queries, "
          f"{' / '.join(f'{x:.1f}' for x in load_after)} after; each cell the median of {args.runs} runs (by p95)")
    print(f"(× = {baseline} p95 / engine p95, wall and CPU: how many times faster; CPU p95: this thread's CPU time, "
          "which other work on the machine does not inflate)")
    exact = [e.name for e in engines if e.name != "fts5-lean"]
    mismatches = 0
    for kind in KINDS:
        ref = results[exact[0]][kind]
        for name in exact[1:]:
            other = results[name][kind]
            if ref and other and ref[2] != other[2]:
                mismatches += 1
                print(f"totals differ for {kind}: {exact[0]} {ref[2]} vs {name} {other[2]}")
    checked = sum(len(r[2]) for r in (results[exact[0]][k] for k in KINDS) if r) if exact else 0
    print(f"totals of {', '.join(exact)} agree on {checked - mismatches} of {checked} queries")
    for e in engines:
        e.index.close()
    if not args.keep and not args.dir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
