"""Generic extraction measured on public third-party evaluation sets, read
where they are checked out (never copied into this repository):

* ``YUQING_AEB_DIR`` — scrapinghub/article-extraction-benchmark (181 real
  English news pages with their article text): text F1 ≥ 0.95 and ≥
  trafilatura alone;
* ``YUQING_TRAFILATURA_TESTS`` — the ``tests/`` folder of adbar/trafilatura
  (990 pages in many languages with must/must-not-contain snippets, the set
  trafilatura is tuned on): snippet F1 ≥ trafilatura alone on the English
  and the other pages.

Each skips, saying so, when its variable is unset. Numbers per set are in
crawlers/README.md; the format readers are tested in test_extract_evaluate.py.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawlers.evaluate import evaluate

AEB = os.environ.get("YUQING_AEB_DIR")
TRAFILATURA = os.environ.get("YUQING_TRAFILATURA_TESTS")


@pytest.mark.skipif(not AEB, reason="YUQING_AEB_DIR unset (a checkout of scrapinghub/article-extraction-benchmark)")
def test_english_news_text_scores_at_least_095_and_at_least_trafilatura():
    result = evaluate(Path(AEB or ""), fmt="aeb")
    (aeb,) = result["sets"]
    assert aeb["pages"] == 181
    assert aeb["scores"]["text_f1"] >= 0.95, aeb["scores"]
    assert aeb["scores"]["text_f1"] >= aeb["baseline"]["text_f1"], (aeb["scores"], aeb["baseline"])


@pytest.mark.skipif(not TRAFILATURA, reason="YUQING_TRAFILATURA_TESTS unset (the tests/ folder of adbar/trafilatura)")
def test_trafilatura_eval_pages_score_at_least_as_well_as_trafilatura_by_its_own_measure():
    result = evaluate(Path(TRAFILATURA or ""), fmt="trafilatura")
    assert {s["set"] for s in result["sets"]} == {"trafilatura_en", "trafilatura_other"}
    for s in result["sets"]:
        assert s["scores"]["snippet_f1"] >= s["baseline"]["snippet_f1"], (s["set"], s["scores"], s["baseline"])
        assert s["scores"]["without"] >= s["baseline"]["without"], (s["set"], s["scores"], s["baseline"])
