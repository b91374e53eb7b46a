"""crawlers.evaluate reads three layouts of labelled pages (the project's
sets, scrapinghub's article-extraction-benchmark, trafilatura's tests/) and
scores them the same way; checked on small layouts written here."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawlers.evaluate import bigram_f1, detect_format, english, evaluate, load_sets, main, snippet_f1

ARTICLE = ("The provincial regulator fined the insurer for delaying claims by an average of four months. "
           "According to the notice, the company failed to inform policyholders of missing documents in time.")


def html(body: str) -> bytes:
    return (f"<html><head><title>Insurer fined</title></head><body><h1>Insurer fined</h1>"
            f"<article><p>{body}</p></article><footer><a href='/a'>About</a> <a href='/b'>Contact</a>"
            f" <a href='/c'>Privacy</a></footer></body></html>").encode()


def aeb(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "abc.html.gz").write_bytes(gzip.compress(html(ARTICLE)))
    (tmp_path / "ground-truth.json").write_text(json.dumps(
        {"abc": {"articleBody": ARTICLE, "url": "https://news.example.com/a"}}))
    return tmp_path


def trafilatura_tests(tmp_path: Path) -> Path:
    (tmp_path / "eval").mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "eval" / "en.html").write_bytes(html(ARTICLE))
    (tmp_path / "cache" / "de.html").write_bytes(html("Die Aufsicht hat den Versicherer wegen verspäteter "
                                                      "Schadenzahlungen mit einer Geldbuße belegt."))
    (tmp_path / "evaldata.json").write_text(json.dumps({
        "https://a.example/en": {"file": "en.html", "with": ["fined the insurer for delaying claims"],
                                 "without": ["Privacy"], "title": "Insurer fined", "date": "2020-01-29",
                                 "author": ["A", "B"]},
        "https://b.example/de": {"file": "de.html", "with": ["wegen verspäteter Schadenzahlungen", "fehlt"],
                                 "without": ["Impressum"]},
    }))
    return tmp_path


def test_formats_are_recognised_by_their_files(tmp_path):
    (tmp_path / "a").mkdir()
    assert detect_format(aeb(tmp_path / "a")) == "aeb"
    (tmp_path / "t" / "tests").mkdir(parents=True)
    trafilatura_tests(tmp_path / "t" / "tests")
    assert detect_format(tmp_path / "t") == "trafilatura"
    assert detect_format(tmp_path / "t" / "tests") == "trafilatura"
    assert detect_format(tmp_path) == "sets"


def test_the_article_extraction_benchmark_is_scored_by_text_f1(tmp_path):
    result = evaluate(aeb(tmp_path), baseline=False)
    (s,) = result["sets"]
    assert s["set"] == "aeb_en" and s["pages"] == 1
    assert s["scores"]["text_f1"] > 0.95


def test_trafilatura_pages_split_by_language_and_scored_by_snippets(tmp_path):
    sets = dict(load_sets(trafilatura_tests(tmp_path)))
    assert [p[0] for p in sets["trafilatura_en"]] == ["en.html"]
    assert [p[0] for p in sets["trafilatura_other"]] == ["de.html"]  # found under cache/
    result = evaluate(tmp_path, baseline=False)
    scores = {s["set"]: s["scores"] for s in result["sets"]}
    assert scores["trafilatura_en"]["with"] == 1.0 and scores["trafilatura_en"]["without"] == 1.0
    assert scores["trafilatura_other"]["with"] == 0.5  # "fehlt" is not on the page
    assert scores["trafilatura_other"]["snippet_f1"] == pytest.approx(2 / 3, abs=0.001)


def test_snippet_f1_counts_found_missed_and_leaked_snippets():
    rows: list[dict] = [{"snippets": [3, 1, 0]}, {"snippets": [1, 0, 2]}, {"text_f1": 1.0}]
    assert snippet_f1(rows) == round(2 * 4 / (2 * 4 + 1 + 2), 3)
    assert snippet_f1([{"text_f1": 1.0}]) is None


@pytest.mark.parametrize("snippets, expected", [
    (["The company said that it will appeal the decision."], True),
    (["Die Firma hat gesagt, dass sie Berufung einlegen wird."], False),
    (["La entidad dijo que apelará la decisión."], False),
    (["保险公司表示将提起上诉。"], False),
])
def test_english_snippets_are_told_from_other_languages(snippets, expected):
    assert english(snippets) is expected


def test_bigram_f1_ignores_whitespace():
    assert bigram_f1("ab c", "abc") == 1.0 and bigram_f1("xyz", "abc") == 0.0


def test_the_command_takes_a_folder_and_a_format(tmp_path, capsys):
    assert main([str(aeb(tmp_path)), "--format", "aeb", "--no-baseline"]) == 0
    assert "aeb_en" in capsys.readouterr().out
    assert main([str(tmp_path), "--format", "nope"]) == 2
