"""Counter cues and market cues in one automaton walk (sentiment/negativity.py); segments cut from the tagged lead."""
import random

import pytest

from sentiment import combine
from sentiment.bayes import NaiveBayes
from sentiment.clauses import NAMED_ORG as _NAMED_ORG
from sentiment.clauses import names_org as _names_org
from sentiment.negativity import NegativityScorer
from sentiment.tokenize import Tokenizer


@pytest.fixture(scope="module")
def neg():
    model = NaiveBayes({"拒赔": 5}, {"服务": 5})
    return NegativityScorer(Tokenizer(), {"complaint": ["拒赔", "虚假宣传"]}, ["辟谣", "提醒", "宣传"], model,
                            routine_cues=["减持", "提醒"], hedge_cues=["或将", "减持"], advice_cues=["提醒", "如何"])


def features(neg, text, kind="sentence"):
    x, _, countered, _ = neg.evidence(text, kind)
    return dict(zip(combine.FEATURES, x)), countered


def test_a_word_in_both_lists_is_a_counter_cue_and_its_first_market_kind(neg):
    x, countered = features(neg, "公司提醒消费者")
    assert countered and x["routine"] == 1.0 and x["advice"] == 0.0  # 提醒: routine first, not advice
    x, countered = features(neg, "股东减持")
    assert not countered and x["routine"] == 1.0 and x["hedge"] == 0.0  # 减持: routine, listed before hedge


def test_negated_or_covered_cues_do_not_counter_but_a_later_one_does(neg):
    assert not features(neg, "未辟谣")[1]
    assert not features(neg, "虚假宣传")[1]  # 宣传 inside a lexicon phrase
    assert features(neg, "未辟谣，后又辟谣")[1]
    for text, countered in (("虚假宣传，已辟谣", True), ("虚假宣传", False)):
        assert neg.countered(text, neg.lexicon_hits(text)) is countered


def test_advice_cue_negated_is_no_advice(neg):
    assert features(neg, "如何办理")[0]["advice"] == 1.0
    assert neg.advice_title("如何办理") and not neg.advice_title("拒赔如何办理")


@pytest.mark.parametrize(("text", "named"), [("前海人寿回应", True), ("该人寿", False), ("公司人寿", True), ("家本人寿", False),
                                             ("x该人寿", False), ("ab银行", True), ("人寿", False), ("理赔难", False)])
def test_names_org_is_the_named_organisation_pattern(text, named):
    assert _names_org(text) is named


def test_names_org_agrees_with_the_pattern_on_random_text():
    rng = random.Random(3)
    pieces = ["人寿", "财险", "产险", "平台", "银行", "网贷", "集团", "基金", "证券", "信托", "人", "寿", "该", "这", "本",
              "中国", "a", "Z", "9", "_", "-", " ", "，", "。", "\u4dff", "\u4e00", "\u9fff", "\ua000", "𠀀", "é"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9)))
        assert _names_org(text) is (_NAMED_ORG.search(text) is not None), text


@pytest.mark.parametrize("title", ["如何办理", "拒赔如何办理", "公司提醒消费者", "未辟谣", "虚假宣传，已辟谣", "股东减持或将", ""])
def test_a_title_walked_for_advice_is_evidenced_as_if_walked_afresh(neg, title):
    fresh = neg.evidence(title, "title")
    neg.advice_title(title)  # keeps the title's walks for its segment
    again = neg.evidence(title, "title")
    assert again == fresh
    again[1].clear()  # the caller's list, not the kept one
    assert neg.evidence(title, "title") == fresh
    assert neg.evidence(title + "。", "title")[0] == neg.evidence(title + "。", "title")[0]


def test_round4_is_round_to_four_places_bit_for_bit():
    """negativity.round4 replaces round(x, 4) on every score: the same double,
    ties and signed zeros included, or the scored messages would change."""
    import random
    import struct

    from sentiment.negativity import round4

    rng = random.Random(3)
    values = [rng.random() for _ in range(20_000)] + [rng.uniform(-3, 3) for _ in range(5_000)]
    values += [k / 20000 for k in range(-400, 20400)]  # the ties x.xxxx5
    values += [0.0, -0.0, -0.00001, 1e-12, 0.99995, 0.00015, 12345.67895, 1e12, float("inf")]
    for x in values:
        assert struct.pack("d", round4(x)) == struct.pack("d", round(x, 4)), x


def test_a_cut_texts_substrings_are_cut_as_jieba_cuts_them():
    """tokenize.CutText gives a segment's tokens from the title and lead cut once:
    whatever it gives must be jieba's own cut of the substring (runs of Han characters, letters and digits
    cut alone; spaces, line breaks, "\\r\\n", punctuation, ASCII joiners such as . % -)."""
    from sentiment.tokenize import CutText

    tok = Tokenizer(extra_words=["中国人寿吉林省分公司", "人保财险"])
    frags = ["中国人寿吉林省分公司", "人保财险", "拒赔", "理赔", "王先生", "太过分了", "，", "。", "！", " ", "\r\n", "\n", "\r",
             "\u3000", "\xa0", "5%", "12.5", "ABC", "abc.com", "-", "&", "：", "“", "”", "（", "）", "…", "—", "、", "|", ",",
             "保险公司", "不予", "赔付", "长春市", "的", "了", "是", "🙂", "Ａ", "①", "é"]
    rng = random.Random(11)
    found = 0
    for _ in range(600):
        text = "".join(rng.choice(frags) for _ in range(rng.randrange(1, 25)))
        whole = CutText(text, tok.cut(text))
        assert whole.tokens == [w for w, _ in tok.tags(text)]
        for _ in range(20):
            a = rng.randrange(0, len(text))
            part = text[a:rng.randrange(a + 1, len(text) + 1)]
            got = whole.cut(part)
            if got is not None:
                found += 1
                assert got == tok.cut(part), (text, part)
    assert found > 2_000  # most substrings that start and end at punctuation or spaces are given
    sentence = "中国人寿吉林省分公司拒赔，王先生表示太过分了。"
    assert CutText(sentence, tok.cut(sentence)).cut("王先生表示太过分了。") == ["王先生", "表示", "太过分", "了", "。"]
    assert CutText(sentence, tok.cut(sentence)).cut("先生表示") is None  # inside a run of Han characters
