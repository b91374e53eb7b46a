"""Whose clause is it (2026-12-01, second pass): a complaint about one insurer
with another named as the one chosen instead; the insurer's staff whose
helping words are not next to their name; a non-member insurer named 'XX保险'
beside a member; the insurer's name inside a fraud phrase."""
import random
import re

import pytest

from sentiment.clauses import NAMED_ORG as _NAMED_ORG
from sentiment.clauses import ClauseCues
from sentiment.clauses import names_org as _names_org
from sentiment.scorer import focus
from tests.kit import scored_levels


@pytest.fixture(scope="module")
def app(demo_app):
    return demo_app


def _levels(app, title: str, text: str = "") -> set[str]:
    return scored_levels(app, title, text, channel="weibo")


def _countered(app, text: str) -> bool:
    neg = app.scorer.negativity
    return neg.countered(text, neg.lexicon_hits(text))


def test_the_other_unit_named_as_the_object_at_a_clauses_end_takes_what_follows():
    text = "甲公司拒赔后我换了乙公司，服务好太多"
    a, b = text.index("甲"), text.index("乙")
    assert focus(text, 0, [a], [b]) == "甲公司拒赔后我换了"
    assert focus(text, 0, [b], [a]) == "乙公司，服务好太多"


def test_names_joined_by_a_coordinator_or_followed_by_their_own_predicate_share_the_clause():
    for text in ("甲公司和乙公司均拒赔，理由相同", "甲公司比乙公司理赔慢多了，真后悔"):
        a, b = text.index("甲"), text.index("乙")
        assert focus(text, 0, [a], [b]) == focus(text, 0, [b], [a]) == text
    text = "甲公司旗下乙公司在没有逾期的情况下骚扰客户"  # both subjects of one long predicate
    assert focus(text, 0, [0], [text.index("乙")]) == text


def test_a_complaint_about_one_insurer_does_not_alert_the_one_chosen_instead(app):
    assert _levels(app, "中华联合财险迟迟不赔，等了两个月，后来转投了阳光保险，理赔快多了") == {"cic-jl"}
    assert _levels(app, "被中华联合财险拒赔以后我转投了阳光保险，省心多了") == {"cic-jl"}
    assert _levels(app, "中华联合财险和阳光保险都以免责条款为由拒赔") == {"cic-jl", "sinosig-jl"}


@pytest.mark.parametrize(("text", "named"), [("众安保险回应", True), ("紫金保险被罚", True), ("买了保险", False),
                                             ("交了三年的保险白交了", False), ("这份保险", False), ("保险公司拒赔", False),
                                             ("涉事保险公司", False), ("医疗保险报销", False), ("明年保险到期", False),
                                             ("商业保险", False)])
def test_xx_baoxian_is_a_company_only_where_xx_can_end_a_name(text, named):
    assert _names_org(text) is named


@pytest.mark.parametrize(("text", "at"), [("众安的理赔卡了我半年", [0]), ("朋友那家理赔拖了半年", [0]),
                                          ("他那边的农险公司拖了三个月", [1]), ("理赔拖了半年，保险公司也不解释", [])])
def test_another_insurer_named_without_a_company_word_or_by_whose_it_is_is_an_organisation(text, at):
    from sentiment.clauses import org_starts
    assert org_starts(text) == at


# The by-hand scan against the pattern: with no unnamed_org words (the defaults name non-members without a company word,
# 众安, which the pattern does not know).
_BARE = ClauseCues(unnamed_org=())


def test_names_org_agrees_with_the_pattern_on_random_text_with_baoxian():
    rng = random.Random(5)
    pieces = ["保险", "保", "险", "公司", "人寿", "的", "了", "商业", "这份", "众安", "紫金", "年", "，", "a", "该", " "]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8)))
        assert _BARE.names_org(text) is (_NAMED_ORG.search(text) is not None), text


def test_a_non_member_insurer_named_xx_baoxian_keeps_its_trouble_out_of_a_members_clause(app):
    assert _levels(app, "众安保险因违规被罚款，大地保险上线新版理赔小程序") == set()
    assert _levels(app, "太平洋财险理赔员说不在保障范围，交了五年的保险白交了") == {"cpic-pc-jl"}


def test_a_gapped_counter_cue_needs_its_tail_in_the_sentence_and_no_grievance_between(app):
    assert _countered(app, "理赔员在现场发现碰撞痕迹与描述不符，随即报警")
    assert _countered(app, "调查人员走访核实后移交公安机关")
    assert _countered(app, "两人合谋骗取人保财险赔款8万元")
    assert not _countered(app, "理赔员一直不来，我只好当即报警")  # a complaint phrase between
    assert not _countered(app, "理赔员到场。随即报警")  # another sentence
    assert not _countered(app, "理赔员到场查看车辆")  # the head alone
    assert not _countered(app, "业务员骗取客户保费")  # not the insurer's money


def test_the_insurers_staff_helping_away_from_its_name_is_not_blamed(app):
    assert _levels(app, "伪造病历骗保 太平人寿理赔人员审核时发现疑点当即向警方报案",
                   "太平人寿吉林分公司理赔人员在审核一笔重疾险理赔时发现病历系伪造，当即向警方报案。") == set()
    assert _levels(app, "太平人寿理赔员一直不来，我只好当即报警") == {"taiping-life-jl"}


def test_solvency_and_surrender_losses_with_figures_between(app):
    phrases = [h[0] for h in app.scorer.negativity.lexicon_hits("综合偿付能力充足率降至95%，退保，只拿回三成")]
    assert phrases == ["综合偿付能力充足率降至", "退保，只拿回"]


def test_org_starts_is_names_org_of_the_text_and_of_each_clause():
    """org_starts finds every organisation names_org would, so a clause's test
    is a look-up of its span (focus, _joins) and gives names_org's answer."""
    from sentiment.clauses import org_starts, within
    from sentiment.scorer import _CLAUSE

    texts = ["平安产险拒赔，我换了人保财险，前海人寿也一样", "买了保险，这份保险|众安保险 拒赔", "该平台跑路、恒丰银行冻结",
             "，人寿", "保险公司拒赔", "中国人寿吉林省分公司理赔慢", "",
             "之前在别家理赔拖了三个月，这次在人保财险两天就赔了", "其他保险公司，也一样", "问了上一家 太平人寿"]
    for text in texts:
        starts = org_starts(text)
        assert bool(starts) == _names_org(text), text
        assert starts == sorted(starts)
        for m in _CLAUSE.finditer(text):
            assert within(starts, m.start(), m.end()) == _names_org(m.group(0)), (text, m.group(0))
    assert org_starts("平安产险拒赔，我换了人保财险") == [0, 10]


def test_the_character_classes_named_at_looks_up_are_its_sets():
    from sentiment.clauses import (
        _CLASSES,
        _NAME,
        _NOT_AFTER_TUPLE,
        _NOT_BEFORE,
        _NOT_BEFORE_WORD,
        _NOT_END,
        _NOT_NAME_END,
        _STARTS_AFTER,
    )

    name = re.compile("[\u4e00-\u9fffA-Za-z0-9]")
    firsts = {w[0] for w in _NOT_AFTER_TUPLE}
    assert len(_CLASSES) == 0x10000
    for c in range(0x10000):
        bits, ch = ord(_CLASSES[c]), chr(c)
        assert (bits & _NAME != 0, bits & _NOT_BEFORE != 0, bits & _NOT_END != 0, bits & _STARTS_AFTER != 0) == (
            name.match(ch) is not None, ch in _NOT_BEFORE_WORD, ch in _NOT_NAME_END, ch in firsts), hex(c)


def test_org_starts_are_the_named_org_patterns_matches_before_each_company_word():
    """org_starts tests the two characters before a company word by hand: the
    positions where NAMED_ORG matches right before one, on random text with every
    company word, kinds of insurance, words after 保险 and characters before."""
    from sentiment.clauses import _INSURANCE_KINDS, _NOT_AFTER_NAME, _ORG_WORD_LIST

    rng = random.Random(7)
    pieces = [*_ORG_WORD_LIST, *_INSURANCE_KINDS.split("|")[::9], *_NOT_AFTER_NAME.split("|")[::3], "保险", "保险",
              "众安", "紫金", "该", "这", "了", "年", "的", "a", "Z", "9", "，", " ", "-", "\u4e00", "\u9fff", "\ua000"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 7)))
        expected = sorted(i - 2 for org in _ORG_WORD_LIST for i in range(2, len(text))
                          if text.startswith(org, i) and _NAMED_ORG.match(text, i - 2))
        assert _BARE.org_starts(text) == expected, text
        assert _BARE.names_org(text) is (_NAMED_ORG.search(text) is not None), text


def test_han_clauses_are_the_clause_pattern_s_matches():
    """The scorer's clauses by table are _CLAUSE's matches (separators, whitespace of every kind, leading ones)."""
    from sentiment.clauses import han_clauses, split_clauses
    from sentiment.scorer import _CLAUSE
    rng = random.Random(17)
    alphabet = list("平安人寿拒赔理赔，,；;：:！!？?|、 \u3000\t\n\x1c\x85\u2028ab1。𠮷") + ["\ud800"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 25)))
        offset = rng.randrange(0, 50)
        assert han_clauses(text, offset) == split_clauses(_CLAUSE, text, offset), text


def test_unnamed_words_anywhere_and_of_one_character():
    """An unnamed organisation's word is found at the text's start and end, and a configured word of one
    character or one starting beyond the BMP as well (names_org is whether org_starts finds one)."""
    from sentiment.clauses import ClauseCues
    cues = ClauseCues(unnamed_org=("别家", "某", "𠮷家"))
    for text, starts in [("别家理赔慢", [0]), ("理赔慢于别家", [4]), ("理赔找某", [3]), ("某", [0]), ("问𠮷家", [1]),
                         ("人保财险比别家快", [0, 5]), ("理赔慢", [])]:
        assert cues.org_starts(text) == starts, text
        assert cues.names_org(text) is bool(starts), text


def test_within_is_whether_a_position_lies_in_the_range():
    """within: one by one for a few positions, by bisection for many; the same answer as the definition."""
    from sentiment.clauses import within
    rng = random.Random(23)
    for _ in range(3000):
        positions = sorted(rng.sample(range(60), rng.randrange(0, 20)))
        start = rng.randrange(-5, 65)
        end = start + rng.randrange(0, 10)
        assert within(positions, start, end) is any(start <= p < end for p in positions), (positions, start, end)
