"""What the story store makes of a fixed set of documents: for comparing two
versions of pipeline/stories.py (every assignment and stored row must be equal).

    python -m tests.kit.story_dump OUT [STORE_URL]

Documents: the benchmark's long and short texts (bench/bench_scoring.py) and
the gold set and 400 of bench/bench_stories.py's fresh texts, seen 37 s apart with every fifth one at its predecessor's time
(ties), assigned in batches of 100 for three passes under new ids: the second
a day later with a third of the titles changed (so bands, not titles,
decide), the third 6.5 days later (part of the first pass has left the
window; the store prunes every 1,000 documents), then two batches of the
second pass replayed. OUT gets per document its id, story id and the role's
encoded message (the story state as it left the document), then every stored
story, document row (numbers and sketch parsed) and band row (since migration
143 the banded documents' keys: the rows the band table would hold). STORE_URL: a
``postgresql://`` database (empty) instead of a temporary SQLite file.
"""
from __future__ import annotations

import json
import struct
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.bench_scoring import make_docs, make_short_docs
from bench.bench_stories import Docs
from contracts.messages import Document, ScoredDocument
from pipeline.stories import StoryStore
from pipeline.story_index import sketch_of
from sentiment.stories import band_keys
from tests.eval.harness import load_gold

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
CRAWLED = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
BATCH = 100
_STEP = timedelta(seconds=1)
PASSES = (timedelta(0), timedelta(days=1), timedelta(days=6, hours=12))


def documents() -> list[Document]:
    base = make_docs(600) + make_short_docs(800)
    base += [Document.create(url=f"http://gold.example.cn/{i}", source_id="gold", channel="news",
                             site="gold.example.cn", title=item["title"], text=item["text"])
             for i, item in enumerate(load_gold())]
    base += [Document.model_validate(d.model_dump(include=set(Document.model_fields))) for d in Docs().make(400, _STEP)]
    out, at = [], T0
    for i, doc in enumerate(base):
        if i % 5:
            at += timedelta(seconds=37)
        published = None if i % 11 == 0 else at  # some only crawled: the store takes crawled_at
        out.append(doc.model_copy(update={"published_at": published, "crawled_at": CRAWLED if published else at}))
    return out


def _pass(docs: list[Document], n: int) -> list[ScoredDocument]:
    shift = PASSES[n]
    out = []
    for i, doc in enumerate(docs):
        update = {"id": f"p{n}-{doc.id}", "crawled_at": doc.crawled_at + shift}
        if doc.published_at is not None:
            update["published_at"] = doc.published_at + shift
        if n == 1 and i % 3 == 0:
            update["title"] = doc.title + "网友热议"
        out.append(ScoredDocument.from_document(doc.model_copy(update=update)))
    return out


def _rows(store: StoryStore) -> list[str]:
    db = store._db
    lines = [f"story {sid} {json.dumps(json.loads(body), ensure_ascii=False)}"
             for sid, body in db.execute("SELECT id, body FROM stories ORDER BY id").fetchall()]
    for row in db.execute("SELECT doc_id, story_id, title_key, numbers, sketch, seen_us FROM story_docs "
                          "ORDER BY doc_id").fetchall():
        sketch = json.loads(row[4]) if isinstance(row[4], str) else list(struct.unpack(f">{len(row[4]) // 8}q", row[4]))
        lines.append(f"doc {row[0]} {row[1]} {row[2]} {json.loads(row[3])} {sketch} {row[5]}")
    # The band rows the store held (a table before migration 143): each banded document under each of its keys.
    bands = {(k, d, s) for d, sketch, s in db.execute("SELECT doc_id, sketch, seen_us FROM story_docs WHERE banded = 1")
             for k in band_keys(sketch_of(sketch))}
    lines += [f"band {k} {d} {s}" for k, d, s in sorted(bands, key=lambda r: (r[0], r[2], r[1]))]
    return lines


def dump(url: str | Path) -> list[str]:
    docs = documents()
    store = StoryStore(url)
    lines = []
    try:
        passes = [_pass(docs, n) for n in range(len(PASSES))]
        batches = [p[i:i + BATCH] for p in passes for i in range(0, len(p), BATCH)]
        batches += [passes[1][:BATCH], passes[1][5 * BATCH:6 * BATCH]]  # replays
        for batch in batches:
            for out in store.assign_many(batch):
                lines.append(f"{out.id} {out.story_id} {out.to_bytes().decode()}")
        lines += _rows(store)
    finally:
        store.close()
    return lines


def main(argv: list[str]) -> None:
    target = Path(argv[0])
    if len(argv) > 1:
        lines = dump(argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            lines = dump(Path(tmp) / "stories.db")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
