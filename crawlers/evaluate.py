"""Measure generic extraction (``crawlers.extract``) against labelled pages.

    python -m crawlers.evaluate [../shared/data/extraction-dev]

Each set under the folder holds ``.html`` pages (original bytes) and a
``ground_truth.json`` (file → title, text and/or ``with``/``without``
snippets, ``publish_time``, ``author``). Pages go through the same path as
a crawl: a Scrapy response (so charset detection is Scrapy's, then ours),
``extract_page`` without selectors. Scores per set and overall:

* ``title``   — share of pages whose title equals the expected one (spaces ignored);
* ``text_f1`` — character-bag F1 of the text against the expected text
  (pages that have one; punctuation and spaces ignored);
* ``with``    — share of must-contain snippets found in the text;
* ``without`` — share of must-not-contain snippets absent from it;
* ``date``    — share of pages whose publish date (the day) is right;
* ``author``  — share of pages with an expected author that got it.

The floors a regression must not cross are pinned in
``tests/unit/test_extract_devset.py``; results are recorded in crawlers/README.md.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

from scrapy.http import HtmlResponse

from crawlers.dates import SHANGHAI, parse_date
from crawlers.extract import extract_page

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-dev"
_NOISE = re.compile(r"[\s\W_]+", re.U)
NOW = datetime(2026, 1, 1, tzinfo=SHANGHAI)  # fixed: the pages are old, relative dates must not drift


def _squash(text: str | None) -> str:
    return _NOISE.sub("", text or "")


def char_f1(got: str, expected: str) -> float:
    g, e = Counter(_squash(got)), Counter(_squash(expected))
    overlap = sum((g & e).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(g.values()), overlap / sum(e.values())
    return 2 * precision * recall / (precision + recall)


def same_day(got: datetime | None, expected: str) -> bool:
    """``got`` falls on the expected day (any of the forms parse_date reads;
    "09月07日" without a year checks month and day only)."""
    want = parse_date(expected, NOW)
    if got is None or want is None:
        return False
    got = got.astimezone(SHANGHAI)
    if not re.search(r"(?:19|20)\d\d", expected):
        return (got.month, got.day) == (want.month, want.day)
    return got.date() == want.date()


def evaluate_set(folder: Path) -> dict:
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    sums: Counter = Counter()
    pages = []
    for name, gt in sorted(truth.items()):
        body = (folder / name).read_bytes()
        url = gt.get("url") or f"http://example.invalid/{name}"
        ex = extract_page(HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}), None, NOW)
        row = {"page": name}
        if gt.get("title"):
            row["title"] = _squash(ex.title) == _squash(gt["title"])
        if gt.get("text"):
            row["text_f1"] = round(char_f1(ex.text, gt["text"]), 3)
        text = _squash(ex.text)
        if gt.get("with"):
            row["with"] = sum(_squash(s) in text for s in gt["with"]) / len(gt["with"])
        if gt.get("without"):
            row["without"] = sum(_squash(s) not in text for s in gt["without"]) / len(gt["without"])
        if gt.get("publish_time"):
            row["date"] = same_day(ex.published_at, gt["publish_time"])
        if gt.get("author"):
            row["author"] = bool(ex.author) and (ex.author in gt["author"] or gt["author"] in ex.author)
        for key, value in row.items():
            if key != "page":
                sums[key] += float(value)
                sums[f"n_{key}"] += 1
        pages.append(row)
    scores = {k: round(sums[k] / sums[f"n_{k}"], 3) for k in ("title", "text_f1", "with", "without", "date", "author")
              if sums[f"n_{k}"]}
    return {"set": folder.name, "pages": len(pages), "scores": scores, "per_page": pages}


def evaluate(root: Path = DEFAULT) -> dict:
    """Scores per set and over all pages (weighted by how many pages had each field)."""
    sets = [evaluate_set(d) for d in sorted(root.iterdir()) if (d / "ground_truth.json").is_file()]
    total: Counter = Counter()
    for s in sets:
        for row in s["per_page"]:
            for key, value in row.items():
                if key != "page":
                    total[key] += float(value)
                    total[f"n_{key}"] += 1
    overall = {k: round(total[k] / total[f"n_{k}"], 3) for k in ("title", "text_f1", "with", "without", "date", "author")
               if total[f"n_{k}"]}
    return {"sets": sets, "overall": overall}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else DEFAULT
    if not root.is_dir():
        print(f"{root}: not found", file=sys.stderr)
        return 2
    result = evaluate(root)
    for s in result["sets"]:
        print(f"{s['set']:<16} {s['pages']:>3} pages  " + "  ".join(f"{k} {v:.3f}" for k, v in s["scores"].items()))
    print(f"{'overall':<16} {sum(s['pages'] for s in result['sets']):>3} pages  "
          + "  ".join(f"{k} {v:.3f}" for k, v in result["overall"].items()))
    if "-v" in argv:
        for s in result["sets"]:
            for row in s["per_page"]:
                print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
