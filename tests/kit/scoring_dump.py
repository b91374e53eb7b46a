"""What the score role makes of a fixed set of documents, in this process's
mode of sentiment/ (compiled or source): for comparing the two
(tests/unit/test_compiled_build.py).

    python -m tests.kit.scoring_dump DOCS OUT

DOCS holds encoded documents, one a line (made once, so that both runs get
the same ids and times); OUT gets the mode on its first line, then per
document its story fingerprint and its scored message as the role publishes
it (story assigned, encoded), in bus batches of 100.
"""
from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import sentiment
from contracts.messages import Document
from pipeline.config import load_config
from sentiment.stories import fingerprint
from tests.kit import DEMO_CONFIG
from yuqing.bootstrap import App

BATCH = 100
SCORED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # the same in both runs


def dump(docs: list[Document]) -> list[bytes]:
    lines = [sentiment.MODE.encode()]
    with tempfile.TemporaryDirectory() as tmp:
        app = App(load_config(DEMO_CONFIG, data_dir=tmp))
        try:
            for i in range(0, len(docs), BATCH):
                batch = docs[i:i + BATCH]
                scored = [app.scorer.score(doc, now=SCORED_AT) for doc in batch]
                for doc, out in zip(batch, app.story_store.assign_many(scored)):
                    lines.append(repr(fingerprint(doc.title, doc.text)).encode())
                    lines.append(out.to_bytes())
        finally:
            app.close()
    return lines


def main(argv: list[str]) -> None:
    source, target = Path(argv[0]), Path(argv[1])
    docs = [Document.from_bytes(line) for line in source.read_bytes().splitlines() if line]
    target.write_bytes(b"\n".join(dump(docs)) + b"\n")


if __name__ == "__main__":
    main(sys.argv[1:])
