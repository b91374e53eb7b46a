"""Overseas media: documents that are not Chinese are matched by English
aliases and scored by the English lexicon, never by jieba or the Chinese model."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import sentiment
from contracts.language import is_chinese, word_tokens
from contracts.messages import Document, Level
from pipeline.config import ConfigError, Rules, load_config
from sentiment import english
from sentiment.bayes import NaiveBayes
from sentiment.matching import UnitMatcher, UnitSpec
from sentiment.negativity import NegativityScorer
from sentiment.tokenize import Tokenizer
from tests.kit import DEMO_CONFIG, copy_config
from yuqing.bootstrap import App


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("data"))).scorer


def doc(title, text, language="en"):
    return Document.create(url=f"https://www.example.com/{abs(hash((title, text)))}", source_id="overseas-rss",
                           channel="overseas", site="www.example.com", title=title, text=text, language=language)


FINED = doc("China Life's Jilin branch fined by regulator for mis-selling",
            "The Jilin branch of China Life Insurance Co. was fined 500,000 yuan by the regulator for mis-selling "
            "participating policies to elderly customers, according to a notice published on Tuesday. "
            "The branch was also ordered to rectify its sales practices.")


@pytest.fixture
def no_chinese_path(monkeypatch):
    """jieba (rjieba and Python jieba), the Bayes model and the Chinese
    segment scorer all raise if touched. Compiled (mypyc), native calls
    between them cannot be patched: there these tests run from source in a
    subprocess (test_the_path_checks_run_from_source_when_compiled)."""
    if sentiment.MODE == "compiled":
        pytest.skip("compiled sentiment/ cannot be monkeypatched; run from source by "
                    "test_the_path_checks_run_from_source_when_compiled")

    def boom(*args, **kwargs):
        raise AssertionError("the Chinese path was used for an English document")
    for name in ("cut", "words", "tagged", "tags", "search_tokens"):
        monkeypatch.setattr(Tokenizer, name, boom)
    for name in ("logit", "negativity", "drivers"):
        monkeypatch.setattr(NaiveBayes, name, boom)
    monkeypatch.setattr(NegativityScorer, "segment", boom)


def test_english_article_about_a_fine_is_negative_for_the_unit_with_english_reasons(scorer, no_chinese_path):
    s = scorer.score(FINED)
    assert [u.unit_id for u in s.units] == ["chinalife-jl"]
    assert [r.rule_id for r in s.rules] == ["chinalife-jilin"]  # Jilin: the province scheme alone names it
    assert s.unit_negativity["chinalife-jl"] >= 0.9
    assert s.unit_levels["chinalife-jl"] in (Level.red, Level.orange)
    reasons = {(r.risk_type, r.phrase) for r in s.reasons}
    assert {("监管处罚", "fined"), ("销售误导", "mis-selling")} <= reasons
    for r in s.reasons:
        assert r.unit_id == "chinalife-jl" and r.phrase.isascii() and r.phrase in r.sentence


def test_the_chinese_path_is_still_taken_for_chinese(scorer, no_chinese_path):
    # The fixture is effective: a Chinese document needs the tokenizer.
    with pytest.raises(AssertionError, match="Chinese path"):
        scorer.score(doc("中国人寿吉林省分公司被罚款", "长春市民投诉中国人寿吉林省分公司销售误导。", language="zh"))


@pytest.mark.skipif(sentiment.MODE != "compiled", reason="from source the path checks above run in this process")
def test_the_path_checks_run_from_source_when_compiled():
    # The compiled build gives the same results as the sources (tests/unit/test_compiled_build.py), so the
    # sources' path is the compiled one's: the patched checks run there, in a subprocess.
    env = {**os.environ, sentiment.PURE_ENV: "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                           "english_article_about_a_fine or chinese_path_is_still_taken"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=Path(__file__).parents[2])
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


def test_mislabelled_chinese_text_is_scored_as_chinese(scorer):
    text = "长春市民投诉中国人寿吉林省分公司销售误导，监管部门已介入调查。"
    as_en = scorer.score(doc("中国人寿吉林省分公司被投诉", text, language="en"))
    as_zh = scorer.score(doc("中国人寿吉林省分公司被投诉", text, language="zh"))
    assert as_en.unit_negativity == as_zh.unit_negativity and as_en.unit_levels


def test_language_decision():
    assert is_chinese("zh", "") and is_chinese("zh-CN", "PICC") and is_chinese("zh_Hant", "") and is_chinese("cmn")
    assert not is_chinese("en", FINED.title, FINED.text)
    assert not is_chinese("en", "The Jilin branch of New China Life (新华保险) was fined by the regulator.")
    assert is_chinese("en", "中国人寿吉林省分公司被罚 fined")  # mostly Han, whatever the label
    assert is_chinese("und", "理赔") and not is_chinese("", "PICC") and not is_chinese("de", "Prüfung")


def test_ascii_aliases_match_whole_words_case_insensitively(scorer):
    assert scorer.score(doc("PICCOLO café opens in Changchun", "The PICCOLO chain opened in Jilin.")).units == []
    s = scorer.score(doc("picc fined in Jilin", "PICC's Jilin branch was fined for delayed payouts."))
    assert [u.unit_id for u in s.units] == ["picc-pc-jl"]
    assert s.units[0].aliases == ["picc", "PICC"] and "picc-pc-jl" in s.unit_levels
    m = UnitMatcher([UnitSpec("picc", "PICC", ("China Life",))])
    assert m.find("PICCOLO, xPICC, PICC2 and China Lifestyle") == []
    assert [x.positions for x in m.find("(PICC) china life")] == [[1, 7]]


def test_english_branch_names_are_specific(scorer):
    branch = scorer.score(doc("Insurer in Jilin fined", "The Jilin branch of Ping An was fined."))
    brand = scorer.score(doc("Insurer fined", "Ping An was fined in Beijing."))
    assert branch.unit_relevance["pingan-pc-jl"] > brand.unit_relevance["pingan-pc-jl"]
    m = UnitMatcher([UnitSpec("cl", "China Life Jilin", ("China Life",))], region_words=["Jilin"])
    assert m.find("China Life's Jilin branch said")[0].specific
    assert not m.find("China Life said")[0].specific


def test_negation_lowers_the_score(scorer):
    denial = scorer.score(doc("China Life denies it was fined in Jilin",
                              "China Life said its Jilin branch had never been fined and denied claims that it "
                              "mis-sold policies in Changchun."))
    fined = scorer.score(FINED)
    assert denial.unit_negativity["chinalife-jl"] < 0.5 < fined.unit_negativity["chinalife-jl"]
    assert denial.unit_levels == {} and denial.reasons == []


def test_positive_and_neutral_articles_are_not_negative(scorer):
    praised = scorer.score(doc("China Life Jilin branch wins service award",
                               "China Life's Jilin branch was praised by customers in Changchun for fast claims "
                               "service and won an industry award."))
    neutral = scorer.score(doc("Ping An opens a claims centre in Changchun",
                               "Ping An Property & Casualty opened a new claims service centre in Changchun, Jilin, "
                               "on Monday. The centre handles motor and home insurance claims."))
    for s, unit in ((praised, "chinalife-jl"), (neutral, "pingan-pc-jl")):
        assert [u.unit_id for u in s.units] == [unit]
        assert s.unit_negativity[unit] < 0.5 and s.unit_levels == {}


def test_negative_for_one_unit_is_not_negative_for_another(scorer):
    s = scorer.score(doc("Jilin insurers: mixed news",
                         "Ping An was fined by the regulator for mis-selling, while China Life reported record "
                         "profits in Jilin. Taikang Life opened a new office."))
    assert set(s.unit_levels) == {"pingan-pc-jl"}
    assert s.unit_negativity["chinalife-jl"] < 0.5 and s.unit_negativity["taikang-jl"] < 0.5


def test_longest_english_alias_wins():
    m = UnitMatcher([UnitSpec("cl", "中国人寿", ("China Life",)), UnitSpec("nc", "新华保险", ("New China Life",))])
    assert [x.unit_id for x in m.find("New China Life and China Life")] == ["nc", "cl"]


# ------------------------------------------------------------ the English lexicon


@pytest.fixture(scope="module")
def en():
    return english.EnglishNegativity(risk_weights={"投诉维权": 0.7})


@pytest.mark.parametrize("text, phrases", [
    ("The insurer was fined for mis-selling.", ["fined", "mis-selling"]),
    ("Regulators imposed penalties on the company", ["penalties"]),
    ("Policyholders said their claims were denied.", ["claims were denied"]),
    ("The insurer denied claims from flood victims.", ["denied claims"]),
    ("Customers COMPLAINED about misleading sales", ["COMPLAINED", "misleading sales"]),
    ("Not only was it fined, it was also sued.", ["fined", "sued"]),
    ("The company refined its products.", []),
    ("It was not fined.", []),
    ("The company denies it was fined.", []),
    ("There is no evidence of fraud.", []),
    ("The insurer denied claims that it mis-sold policies.", []),
    ("The insurer rejected claims of fraud.", []),
    ("The firm wasn't penalised, but it was sued.", ["sued"]),
])
def test_lexicon_phrases_and_negation(en, text, phrases):
    assert [h[0] for h in en.lexicon_hits(text)] == phrases


def test_counter_cues_damp_unless_negated(en):
    resolved = en.segment("The complaints were resolved within a week.")
    unresolved = en.segment("The complaints were not resolved.")
    assert resolved.countered and not unresolved.countered
    assert resolved.score < 0.5 < unresolved.score
    assert not en.segment("Thanks for nothing, China Life.").countered  # the cue is inside a phrase


def test_english_sentences_do_not_end_at_abbreviations():
    text = "China Life Insurance Co. Ltd. was fined. U.S. regulators agreed on Monday! Dr. Li said no.\nNext line"
    spans = english.sentence_spans(text)
    assert [s for s, _ in spans] == ["China Life Insurance Co. Ltd. was fined.", "U.S. regulators agreed on Monday!",
                                     "Dr. Li said no.", "Next line"]
    assert all(text[at:at + len(s)] == s for s, at in spans)


def test_word_tokens_keep_words_whole():
    assert word_tokens("China Life's mis-selling: 3.5% PICCOLO Prüfung") == \
        ["china", "life", "s", "mis", "selling", "3.5%", "piccolo", "prüfung"]
    assert word_tokens("New China Life (新华保险)", lambda run: ["<" + run + ">"]) == ["new", "china", "life", "<新华保险>"]


def test_ascii_aliases_stay_out_of_the_jieba_dictionary():
    tok = Tokenizer(extra_words=["PICC", "China Life", "人保财险吉林分公司"])
    assert tok.search_tokens("PICCOLO") == ["piccolo"]
    assert "人保财险吉林分公司" in tok.words("人保财险吉林分公司")


# ------------------------------------------------------------ configuration


def _rules(root: Path) -> dict:
    return yaml.safe_load((root / "rules.yaml").read_text(encoding="utf-8"))


def _write_rules(root: Path, data: dict) -> None:
    (root / "rules.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_demo_and_built_in_english_lexicons_are_valid():
    cfg = load_config(DEMO_CONFIG)
    assert set(cfg.rules.negative_lexicon_en or {}) <= set(cfg.rules.negative_lexicon)
    Rules.model_validate({"negative_lexicon": {k: ["x"] for k in english.DEFAULT_LEXICON_EN},
                          "negative_lexicon_en": english.DEFAULT_LEXICON_EN,
                          "negation_cues_en": english.DEFAULT_COUNTER_CUES_EN,
                          "levels": [{"level": "red", "min_negativity": 0.9}]})


def test_without_an_english_lexicon_the_built_in_one_is_used(tmp_path):
    root = copy_config(tmp_path / "config")
    data = _rules(root)
    del data["negative_lexicon_en"], data["negation_cues_en"]
    _write_rules(root, data)
    cfg = load_config(root, data_dir=tmp_path / "data")
    assert cfg.rules.negative_lexicon_en is None
    s = App(cfg).scorer.score(FINED)
    assert {r.risk_type for r in s.reasons} >= {"监管处罚", "销售误导"}


@pytest.mark.parametrize("change, message", [
    ({"negative_lexicon_en": {"罚款类": ["fined"]}},
     "rules.yaml: negative_lexicon_en: '罚款类' is not a negative_lexicon group"),
    ({"negative_lexicon_en": {"监管处罚": []}}, "rules.yaml: negative_lexicon_en: lexicon group '监管处罚' is empty"),
    ({"negative_lexicon_en": {"监管处罚": ["fined", " "]}}, "rules.yaml: negative_lexicon_en: empty term"),
    ({"negative_lexicon_en": {"监管处罚": ["pe*"]}},
     "rules.yaml: negative_lexicon_en: 'pe*': '*' may only end a word of at least three letters"),
    ({"negation_cues_en": ["*resolved"]},
     "rules.yaml: negation_cues_en: '*resolved': '*' may only end a word of at least three letters"),
    ({"negation_cues_en": ["--"]}, "rules.yaml: negation_cues_en: '--' has no word in it"),
])
def test_bad_english_lexicon_is_rejected_with_file_field_and_problem(tmp_path, change, message):
    root = copy_config(tmp_path / "config")
    _write_rules(root, {**_rules(root), **change})
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert message in str(err.value).replace(str(root) + "/", ""), str(err.value)
