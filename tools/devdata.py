"""The shared development data (../shared/data/sentiment-dev), read for
training and evaluation only. Never copied into the repository.

The train/validation split is by a hash of the text, so it is the same on
every machine and run, and a duplicated text always lands on one side.

Labels are the sources' own (1 = negative for the company named): a holder's
share sale is mildly negative, as the headlines' source labels it. What the
association acts on is a level rule in rules.yaml (risk_levels), not a label.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO.parent / "shared" / "data" / "sentiment-dev"

# The finance sets are the domain; the review sets add everyday complaint
# vocabulary (拖, 坑, 态度差) that consumers use about insurers too.
FINANCE = ("fin_news_entity_neg.tsv", "fin_headlines.tsv", "stock_forum_posts.tsv")
REVIEWS = ("hotel_reviews.tsv", "shopping_reviews.tsv")


def data_dir() -> Path:
    return Path(os.environ.get("YUQING_SENTIMENT_DEV", DEFAULT_DIR))


def available() -> bool:
    return all((data_dir() / f).is_file() for f in FINANCE + REVIEWS)


def is_validation(text: str) -> bool:
    """One text in five is held out for validation."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 5 == 0


def read(name: str) -> list[dict]:
    """Rows of one TSV: label (1 = negative), text and, where the file has
    them, the entities the text is negative about and all candidates."""
    rows = []
    with open(data_dir() / name, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2 or cols[0] not in ("0", "1"):
                continue
            row = {"label": int(cols[0]), "text": cols[1]}
            for key, value in zip(header[2:], cols[2:]):
                row[key] = value
            rows.append(row)
    return rows


def split(name: str, part: str) -> list[dict]:
    """``part`` is "train" or "validation"."""
    want = part == "validation"
    return [r for r in read(name) if is_validation(r["text"]) == want]
