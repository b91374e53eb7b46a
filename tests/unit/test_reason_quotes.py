"""判定依据 quotes a lexicon phrase's sentence: a long sentence by a window around the phrase, with "…"
where it is cut and English cut between words (sentiment/scored.py unit_reasons, quote_window)."""
from sentiment.negativity import Negativity, SegmentScore
from sentiment.scored import QUOTE_CHARS, quote_window, unit_reasons


def _reasons(text: str, hits: list[tuple[str, str]]) -> list:
    return unit_reasons(Negativity(0.8, [SegmentScore(text, 0.8, hits)]), "u1")


def test_a_short_sentence_is_quoted_whole_and_unmarked():
    text = "客户反映理赔被拖延三个月，多次投诉无果。"
    [r] = _reasons(text, [("拖延", "理赔纠纷")])
    assert r.sentence == text


def test_a_phrase_beyond_the_first_200_characters_is_in_its_quote_with_both_cuts_marked():
    text = "据报道" + "某地区的保险市场在过去一年中保持平稳发展，" * 15 + "但该公司被指销售误导，" + "相关部门正在调查处理此事。" * 10
    [r] = _reasons(text, [("销售误导", "销售误导")])
    assert "销售误导" in r.sentence
    assert r.sentence.startswith("…") and r.sentence.endswith("…")
    assert len(r.sentence) <= QUOTE_CHARS + 2


def test_a_window_at_the_start_is_cut_at_its_end_only():
    text = "该公司被指销售误导，" + "相关部门正在调查处理此事。" * 30
    [r] = _reasons(text, [("销售误导", "销售误导")])
    assert r.sentence.startswith("该公司被指销售误导") and r.sentence.endswith("…")


def test_english_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(80))
    text = words + " the regulator fined the insurer for mis-selling " + words
    [r] = _reasons(text, [("mis-selling", "销售误导")])
    assert "mis-selling" in r.sentence
    inner = r.sentence.strip("…")
    first, last = inner.split()[0], inner.split()[-1]
    assert first in text.split() and last in text.split(), (first, last)  # whole words at both ends


def test_phrases_of_one_long_sentence_share_one_quote_when_they_fit():
    text = "前言。" * 80 + "该公司拖延理赔并且销售误导" + "。后记" * 80
    reasons = _reasons(text, [("拖延理赔", "理赔纠纷"), ("销售误导", "销售误导")])
    assert len({r.sentence for r in reasons}) == 1  # shown once with both terms marked
    assert "拖延理赔" in reasons[0].sentence and "销售误导" in reasons[0].sentence


def test_phrases_far_apart_are_each_quoted_around_themselves():
    text = "拖延理赔" + "中间的文字。" * 60 + "销售误导" + "。后记" * 10
    reasons = {r.phrase: r.sentence for r in _reasons(text, [("拖延理赔", "理赔纠纷"), ("销售误导", "销售误导")])}
    assert "拖延理赔" in reasons["拖延理赔"] and "销售误导" in reasons["销售误导"]
    assert reasons["拖延理赔"] != reasons["销售误导"]


def test_a_phrase_matched_on_the_lowered_text_is_found():
    text = "说明。" * 100 + "客户称APP闪退无法理赔" + "。说明" * 100
    [r] = _reasons(text, [("app闪退", "服务质量")])
    assert "APP闪退" in r.sentence


def test_quote_window_returns_a_short_text_as_it_is():
    assert quote_window("abc def", 0, 3, limit=10) == "abc def"


def test_a_segment_score_compares_and_shows_as_the_dataclass_did():
    a = SegmentScore("平安人寿拒赔", 0.8, [("拒赔", "理赔纠纷")])
    assert a == SegmentScore("平安人寿拒赔", 0.8, [("拒赔", "理赔纠纷")], [], False, "sentence")
    assert a != SegmentScore("平安人寿拒赔", 0.8, [("拒赔", "理赔纠纷")], kind="title") and a != ("平安人寿拒赔", 0.8)
    assert repr(a) == ("SegmentScore(text='平安人寿拒赔', score=0.8, hits=[('拒赔', '理赔纠纷')], drivers=[], "
                       "countered=False, kind='sentence')")
    assert SegmentScore("x", 0.1).hits is not SegmentScore("y", 0.1).hits  # no shared default list


def test_a_cut_window_never_opens_on_punctuation():
    for pad in range(0, 12):  # wherever the cut falls against the clauses before the phrase
        text = "前面的文字很长，" * 40 + "甲" * pad + "该公司被指销售误导" + "，后面的文字也很长" * 40
        start = text.index("销售误导")
        quote = quote_window(text, start, start + 4)
        assert quote.startswith("…") and quote[1] not in "，。、；：！？ ", quote[:12]
        assert "销售误导" in quote


def test_a_cut_window_starts_on_the_clause_that_begins_near_the_cut():
    text = "前面的文字很长很长，" * 40 + "该公司被指销售误导" + "，后面的文字也很长" * 40
    start = text.index("销售误导")
    quote = quote_window(text, start, start + 4)
    assert quote.startswith("…前面的文字很长很长，"), quote[:12]


def test_a_cut_window_does_not_split_a_number_at_its_decimal_point():
    text = "x" * 150 + " rose 3.5 percent, and the insurer was fined for mis-selling " + "y " * 150
    start = text.index("mis-selling")
    quote = quote_window(text, start, start + 11)
    assert "mis-selling" in quote and not quote.startswith("…5 percent")
