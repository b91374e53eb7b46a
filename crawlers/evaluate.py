"""Measure generic extraction (``crawlers.extract``) against labelled pages.

    python -m crawlers.evaluate [FOLDER] [--format F] [-v] [--no-baseline]

(``-v``: one JSON line per page; ``--no-baseline``: skip trafilatura alone.)

Three layouts of labelled pages are read (``--format``, default ``auto``:
recognised by their files):

* ``sets`` — the project's (``../shared/data/extraction-dev``): each set
  under the folder holds ``.html`` pages (original bytes) and a
  ``ground_truth.json`` (file → title, text and/or ``with``/``without``
  snippets, ``publish_time``, ``author``);
* ``aeb`` — a checkout of scrapinghub/article-extraction-benchmark: 181
  English news pages, ``html/<id>.html.gz`` and ``ground-truth.json``
  (id → ``articleBody``, ``url``), scored as text F1; one set, ``aeb_en``;
* ``trafilatura`` — the ``tests/`` folder of a trafilatura checkout:
  ``evaldata.json`` (url → ``file``, ``with``/``without`` snippets, title,
  date, author) over ``eval/`` and ``cache/`` pages, many languages; split
  by the language of the snippets into ``trafilatura_en`` and
  ``trafilatura_other``.

Third-party pages are read where they are, never copied into this
repository. Pages go through the same path as
a crawl: a Scrapy response (so charset detection is Scrapy's, then ours),
``extract_page`` without selectors. Scores per set and overall:

* ``title``   — share of pages whose title equals the expected one (spaces ignored);
* ``text_f1`` — character-bigram F1 of the text against the expected text,
  whitespace removed (pages that have one);
* ``with``    — share of must-contain snippets found in the text;
* ``without`` — share of must-not-contain snippets absent from it;
* ``snippet_f1`` — both in one number, as trafilatura measures itself: F1
  of snippets found (true positives), must-contain ones missed and
  must-not-contain ones present, summed over the set;
* ``date``    — share of pages whose publish date (the day) is right;
* ``author``  — share of pages with an expected author that got it.

The same text scores are computed for trafilatura alone (``trafilatura.extract``
on the raw bytes, its defaults) as the baseline to beat: ``baseline`` per set.

The floors a regression must not cross are pinned in
``tests/unit/test_extract_devset.py``; results are recorded in crawlers/README.md.
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from scrapy.http import HtmlResponse

from crawlers.dates import SHANGHAI, parse_date
from crawlers.extract import extract_page

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-dev"
_NOISE = re.compile(r"[\s\W_]+", re.U)
_SPACE = re.compile(r"\s+")
NOW = datetime(2026, 1, 1, tzinfo=SHANGHAI)  # fixed: the pages are old, relative dates must not drift


def _squash(text: str | None) -> str:
    """For snippet matching: compatibility-normalised (the same Bengali or
    Devanagari letter may be written precomposed or as letter + nukta),
    without whitespace, punctuation and symbols."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


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
    found = sum(_squash(s) in squashed for s in gt.get("with") or [])
    leaked = sum(_squash(s) in squashed for s in gt.get("without") or [])
    if gt.get("with"):
        row["with"] = found / len(gt["with"])
    if gt.get("without"):
        row["without"] = 1 - leaked / len(gt["without"])
    if gt.get("with") or gt.get("without"):
        row["snippets"] = [found, len(gt.get("with") or []) - found, leaked]  # tp, fn, fp
    return row


def snippet_f1(rows: list[dict]) -> float | None:
    """trafilatura's own measure over a set: snippets found are true
    positives, must-contain ones missed false negatives, must-not-contain
    ones present false positives; F1 of the totals."""
    tp = sum(r["snippets"][0] for r in rows if "snippets" in r)
    fn = sum(r["snippets"][1] for r in rows if "snippets" in r)
    fp = sum(r["snippets"][2] for r in rows if "snippets" in r)
    return round(2 * tp / (2 * tp + fn + fp), 3) if tp else None


def _baseline_text(body: bytes, url: str) -> str:
    import trafilatura

    try:
        return trafilatura.extract(body, url=url) or ""
    except Exception:  # noqa: BLE001 - the baseline failing on a page scores 0 for it
        return ""


Page = tuple[str, Callable[[], bytes], dict]  # name, its raw bytes (read lazily), ground truth
FORMATS = ("auto", "sets", "aeb", "trafilatura")


def detect_format(root: Path) -> str:
    if (root / "ground-truth.json").is_file() and (root / "html").is_dir():
        return "aeb"
    if (root / "evaldata.json").is_file():
        return "trafilatura"
    if (root / "tests" / "evaldata.json").is_file():
        return "trafilatura"
    return "sets"


def load_sets(root: Path, fmt: str = "auto") -> list[tuple[str, list[Page]]]:
    """The labelled sets under ``root``: (set name, pages) in a stable order."""
    fmt = detect_format(root) if fmt == "auto" else fmt
    if fmt == "aeb":
        return [("aeb_en", _aeb_pages(root))]
    if fmt == "trafilatura":
        return _trafilatura_sets(root if (root / "evaldata.json").is_file() else root / "tests")
    if fmt != "sets":
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    out = []
    for folder in sorted(root.iterdir()):
        if (folder / "ground_truth.json").is_file():
            truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
            out.append((folder.name, [(name, (folder / name).read_bytes, gt) for name, gt in sorted(truth.items())]))
    return out


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _aeb_pages(root: Path) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for key, item in sorted(truth.items()):
        path = root / "html" / f"{key}.html.gz"
        pages.append((key, partial(_gunzip, path), {"text": item.get("articleBody", ""), "url": item.get("url")}))
    return pages


_EN_WORDS = frozenset((
    "the", "and", "of", "to", "in", "is", "for", "that", "with", "on", "a", "an", "are", "was", "it", "as",
    "by", "this", "be", "from", "at", "or", "not", "have", "has", "you", "we", "they", "he", "she", "his",
    "her", "their", "our", "will", "can"))


def english(snippets: list[str]) -> bool:
    """The snippets read as English: Latin letters, and at least one word in
    eight an English function word (German, French, Spanish … are not)."""
    text = " ".join(snippets)
    words = re.findall(r"[a-z']+", text.lower())
    if not words or sum(ch.isascii() for ch in text) < 0.97 * len(text):
        return False
    return sum(w in _EN_WORDS for w in words) >= len(words) / 8


def _trafilatura_sets(tests: Path) -> list[tuple[str, list[Page]]]:
    truth = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    sets: dict[str, list[Page]] = {"trafilatura_en": [], "trafilatura_other": []}
    for url, item in sorted(truth.items()):
        path = next((p for p in (tests / "cache" / item["file"], tests / "eval" / item["file"]) if p.is_file()), None)
        if path is None:
            continue
        gt = {"url": url, "with": item.get("with") or [], "without": item.get("without") or [],
              "title": _one(item.get("title")), "publish_time": _one(item.get("date")),
              "author": _one(item.get("author"))}
        name = "trafilatura_en" if english(gt["with"] + gt["without"]) else "trafilatura_other"
        sets[name].append((item["file"], path.read_bytes, gt))
    return [(name, pages) for name, pages in sets.items() if pages]


def _one(value) -> str | None:
    """A field the annotations give as a string or as a list of them."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v) or None
    return str(value) if value else None


def score_page(name: str, body: bytes, gt: dict, baseline: bool = True) -> dict:
    """One page's scores (and trafilatura's text scores under ``baseline``)."""
    url = gt.get("url") or f"http://example.invalid/{name}"
    ex = extract_page(HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"}), None, NOW)
    row: dict = {"page": name}
    if gt.get("title"):
        row["title"] = _squash(ex.title) == _squash(gt["title"])
    row.update(_text_scores(ex.text, gt))
    if gt.get("publish_time"):
        row["date"] = same_day(ex.published_at, gt["publish_time"])
    if gt.get("author"):
        author = ex.author or ""
        row["author"] = bool(author) and (author in gt["author"] or gt["author"] in author)
    if baseline:
        row["baseline"] = _text_scores(_baseline_text(body, url), gt)
    return row


def evaluate_set(folder: Path, baseline: bool = True) -> dict:
    """One set in the project's layout (a folder with ``ground_truth.json``)."""
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    pages = [(name, (folder / name).read_bytes, gt) for name, gt in sorted(truth.items())]
    return _evaluate_pages(folder.name, pages, baseline)


def _evaluate_pages(name: str, pages: list[Page], baseline: bool) -> dict:
    rows = [score_page(page, read(), gt, baseline) for page, read, gt in pages]
    result = {"set": name, "pages": len(rows), "scores": _means(rows, FIELDS), "per_page": rows}
    if baseline:
        result["baseline"] = _means([row["baseline"] for row in rows], TEXT_FIELDS)
    return result


def _means(rows: list[dict], fields) -> dict:
    """Mean of each field over the rows that have it; ``snippet_f1`` too."""
    out = _field_means(rows, fields)
    if (f1 := snippet_f1(rows)) is not None:
        out["snippet_f1"] = f1
    return out


def _field_means(rows: list[dict], fields) -> dict:
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        for key in fields:
            if key in row:
                sums[key] += float(row[key])
                sums[f"n_{key}"] += 1
    return {k: round(sums[k] / sums[f"n_{k}"], 3) for k in fields if sums[f"n_{k}"]}


def evaluate(root: Path = DEFAULT, baseline: bool = True, fmt: str = "auto") -> dict:
    """Scores per set and over all pages (weighted by how many pages had each
    field); with ``baseline``, trafilatura's text scores beside ours."""
    sets = [_evaluate_pages(name, pages, baseline) for name, pages in load_sets(root, fmt)]
    rows = [row for s in sets for row in s["per_page"]]
    result = {"sets": sets, "overall": _means(rows, FIELDS)}
    if baseline:
        result["baseline"] = _means([row["baseline"] for row in rows], TEXT_FIELDS)
    return result


def _line(name: str, pages: int, scores: dict) -> str:
    return f"{name:<22} {pages:>3} pages  " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    fmt = "auto"
    if "--format" in argv:
        i = argv.index("--format")
        fmt = argv[i + 1] if i + 1 < len(argv) else ""
        argv = argv[:i] + argv[i + 2:]
    if fmt not in FORMATS:
        print(f"--format: one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    paths = [a for a in argv if not a.startswith("-")]
    root = Path(paths[0]) if paths else DEFAULT
    if not root.is_dir():
        print(f"{root}: not found", file=sys.stderr)
        return 2
    result = evaluate(root, baseline="--no-baseline" not in argv, fmt=fmt)
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
