"""Generic extraction measured on the shared extraction-dev pages (real
Chinese news pages with expected title, text, date): scores must not drop
below the pinned floors, and on every set the text must score at least as
well as trafilatura alone on the same raw bytes. Skips when ../shared is
absent (a user's checkout).

Floors sit a little under the scores recorded in crawlers/README.md; raise
them when extraction improves. Lowering one is a decision, not a fix: record
why in crawlers/README.md in the same change.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawlers.evaluate import DEFAULT, evaluate

DEVSET = Path(os.environ.get("YUQING_EXTRACTION_DEV", DEFAULT))

# text_f1: character-bigram F1, whitespace removed (crawlers.evaluate).
FLOORS = {"title": 0.92, "text_f1": 0.95, "with": 0.83, "without": 0.95, "date": 0.90, "author": 0.65}

pytestmark = pytest.mark.skipif(not DEVSET.is_dir(), reason=f"{DEVSET} not present (shared dev data)")


@pytest.fixture(scope="module")
def result():
    return evaluate(DEVSET)


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_overall_scores_stay_above_their_floors(result, field):
    assert result["overall"][field] >= FLOORS[field], (field, result["overall"])


def test_every_set_scores_at_least_as_well_as_trafilatura_alone(result):
    for s in result["sets"]:
        for field, theirs in s["baseline"].items():
            assert s["scores"][field] >= theirs, (s["set"], field, s["scores"], s["baseline"])


def test_every_page_gets_a_title_and_text(result):
    for s in result["sets"]:
        for row in s["per_page"]:
            assert row.get("with", 1.0) > 0 or row.get("text_f1", 1.0) > 0, row
