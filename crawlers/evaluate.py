"""Measure generic extraction (``crawlers.extract``) against labelled pages.

    python -m crawlers.evaluate [../shared/data/extraction-dev] [-v] [--no-baseline]

(``-v``: one JSON line per page; ``--no-baseline``: skip trafilatura alone.)

Each set under the folder holds ``.html`` pages (original bytes) and a
``ground_truth.json`` (file → title, text and/or ``with``/``without``
snippets, ``publish_time``, ``author``). Pages go through the same path as
a crawl: a Scrapy response (so charset detection is Scrapy's, then ours),
``extract_page`` without selectors. Scores per set and overall:

* ``title``   — share of pages whose title equals the expected one (spaces ignored);
* ``text_f1`` — character-bigram F1 of the text against the expected text,
  whitespace removed (pages that have one);
* ``with``    — share of must-contain snippets found in the text;
* ``without`` — share of must-not-contain snippets absent from it;
* ``date``    — share of pages whose publish date (the day) is right;
* ``author``  — share of pages with an expected author that got it.

The same text scores are computed for trafilatura alone (``trafilatura.extract``
on the raw bytes, its defaults) as the baseline to beat: ``baseline`` per set.

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
_SPACE = re.compile(r"\s+")
NOW = datetime(2026, 1, 1, tzinfo=SHANGHAI)  # fixed: the pages are old, relative dates must not drift


def _squash(text: str | None) -> str:
    return _NOISE.sub("", text or "")


def _bigrams(text: str | None) -> Counter:
    s = _SPACE.sub("", text or "")
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def bigram_f1(got: str | None, expected: str | None) -> float:
    """F1 of the character bigrams of ``got`` against ``expected``, whitespace removed."""
    g, e = _bigrams(got), _bigrams(expected)
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


FIELDS = ("title", "text_f1", "with", "without", "date", "author")
TEXT_FIELDS = ("text_f1", "with", "without")


def _text_scores(text: str, gt: dict) -> dict:
    row: dict = {}
    if gt.get("text"):
        row["text_f1"] = round(bigram_f1(text, gt["text"]), 3)
    squashed = _squash(text)
    if gt.get("with"):
        row["with"] = sum(_squash(s) in squashed for s in gt["with"]) / len(gt["with"])
    if gt.get("without"):
        row["without"] = sum(_squash(s) not in squashed for s in gt["without"]) / len(gt["without"])
    return row


def _baseline_text(body: bytes, url: str) -> str:
    import trafilatura

    try:
        return trafilatura.extract(body, url=url) or ""
    except Exception:  # noqa: BLE001 - the baseline failing on a page scores 0 for it
        return ""


def evaluate_set(folder: Path, baseline: bool = True) -> dict:
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    pages, base_rows = [], []
    for name, gt in sorted(truth.items()):
        body = (folder / name).read_bytes()
        url = gt.get("url") or f"http://example.invalid/{name}"
        ex = extract_page(HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}), None, NOW)
        row: dict = {"page": name}
        if gt.get("title"):
            row["title"] = _squash(ex.title) == _squash(gt["title"])
        row.update(_text_scores(ex.text, gt))
        if gt.get("publish_time"):
            row["date"] = same_day(ex.published_at, gt["publish_time"])
        if gt.get("author"):
            row["author"] = bool(ex.author) and (ex.author in gt["author"] or gt["author"] in ex.author)
        if baseline:
            base_rows.append(_text_scores(_baseline_text(body, url), gt))
            row["baseline"] = base_rows[-1]
        pages.append(row)
    result = {"set": folder.name, "pages": len(pages), "scores": _means(pages, FIELDS), "per_page": pages}
    if baseline:
        result["baseline"] = _means(base_rows, TEXT_FIELDS)
    return result


def _means(rows: list[dict], fields) -> dict:
    sums: Counter = Counter()
    for row in rows:
        for key in fields:
            if key in row:
                sums[key] += float(row[key])
                sums[f"n_{key}"] += 1
    return {k: round(sums[k] / sums[f"n_{k}"], 3) for k in fields if sums[f"n_{k}"]}


def evaluate(root: Path = DEFAULT, baseline: bool = True) -> dict:
    """Scores per set and over all pages (weighted by how many pages had each
    field); with ``baseline``, trafilatura's text scores beside ours."""
    sets = [evaluate_set(d, baseline) for d in sorted(root.iterdir()) if (d / "ground_truth.json").is_file()]
    rows = [row for s in sets for row in s["per_page"]]
    result = {"sets": sets, "overall": _means(rows, FIELDS)}
    if baseline:
        result["baseline"] = _means([row["baseline"] for row in rows], TEXT_FIELDS)
    return result


def _line(name: str, pages: int, scores: dict) -> str:
    return f"{name:<22} {pages:>3} pages  " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    paths = [a for a in argv if not a.startswith("-")]
    root = Path(paths[0]) if paths else DEFAULT
    if not root.is_dir():
        print(f"{root}: not found", file=sys.stderr)
        return 2
    result = evaluate(root, baseline="--no-baseline" not in argv)
    for s in result["sets"]:
        print(_line(s["set"], s["pages"], s["scores"]))
        if "baseline" in s:
            print(_line("  trafilatura", s["pages"], s["baseline"]))
    total = sum(s["pages"] for s in result["sets"])
    print(_line("overall", total, result["overall"]))
    if "baseline" in result:
        print(_line("  trafilatura", total, result["baseline"]))
    if "-v" in argv:
        for s in result["sets"]:
            for row in s["per_page"]:
                print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
