"""The story store at realistic sizes: CPU and wall time per document of
``assign_many`` (batches of 100, as the score role) once the window already
holds N documents, and of one ``prune`` — with the store's SQLite settings now
(page cache, WAL checkpoint interval: pipeline/stories.py) and SQLite's
defaults as before, in the same run, on SQLite files.

    python bench/bench_stories.py                       # 1,000, 10,000 and 50,000 documents in the window
    python bench/bench_stories.py --sizes 100000 --measure 3000

Documents: ~500 Chinese characters each of filler words drawn from jieba's
dictionary by frequency, every one its own story (no band shared by chance but
the filler's common words), seen a few seconds apart within the 7-day window.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.index_corpus import _vocabulary  # noqa: E402
from contracts.messages import Document, ScoredDocument  # noqa: E402
from pipeline.stories import StoryStore  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
SETTINGS = {"SQLite's defaults (before)": "PRAGMA cache_size=-2000; PRAGMA wal_autocheckpoint=1000", "now": ""}


class Docs:
    def __init__(self, seed: int = 7) -> None:
        self.words, self.cum = _vocabulary(20_000)
        self.rng = random.Random(seed)
        self.n = 0

    def make(self, count: int, step: timedelta) -> list[ScoredDocument]:
        out = []
        for _ in range(count):
            self.n += 1
            words = self.rng.choices(self.words, cum_weights=self.cum, k=260)
            doc = Document.create(url=f"https://bench.example.cn/s/{self.n}.html", source_id="bench",
                                  channel="news", site="bench.example.cn", title="".join(words[:6]),
                                  text="，".join("".join(words[i:i + 8]) for i in range(6, 260, 8)),
                                  published_at=T0 + step * self.n)
            out.append(ScoredDocument.from_document(doc))
        return out


def measure(pragmas: str, size: int, count: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-stories-"))
    step = timedelta(days=6) / (size + count)  # all of them within the window
    docs = Docs()
    store = StoryStore(tmp / "stories.db")
    try:
        if pragmas:
            store._db.executescript(pragmas)
        fill = docs.make(size, step)
        for i in range(0, len(fill), 100):
            store.assign_many(fill[i:i + 100])
        batch = docs.make(count, step)
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(0, len(batch), 100):
            store.assign_many(batch[i:i + 100])
        out = {"cpu": (time.process_time() - cpu) / count * 1e6, "wall": (time.perf_counter() - wall) / count * 1e6}
        cpu, wall = time.process_time(), time.perf_counter()
        store.prune(T0)  # nothing is older: what a prune costs every 1,000 documents
        out.update(prune_cpu=(time.process_time() - cpu) * 1e3, prune_wall=(time.perf_counter() - wall) * 1e3)
        out["mb"] = sum(p.stat().st_size for p in tmp.iterdir()) / 1e6
        return out
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,50000", help="documents in the window before measuring")
    ap.add_argument("--measure", type=int, default=2000, help="documents assigned and timed (batches of 100)")
    args = ap.parse_args()
    load = Path("/proc/loadavg").read_text().split()[0]
    print("| documents in the window | store settings | assign µs CPU / wall per document | prune ms CPU / wall | files MB |")
    print("|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for name, ddl in SETTINGS.items():
            r = measure(ddl, size, args.measure)
            print(f"| {size:,} | {name} | {r['cpu']:.0f} / {r['wall']:.0f} | {r['prune_cpu']:.0f} / {r['prune_wall']:.0f} "
                  f"| {r['mb']:.1f} |", flush=True)
    print(f"\n(load average {load} at the start, {Path('/proc/loadavg').read_text().split()[0]} at the end)")


if __name__ == "__main__":
    main()
