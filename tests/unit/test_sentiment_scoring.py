"""Scoring through the composition root: negativity per unit, reasons, levels."""
import pytest

from contracts.messages import Document, Level, Reason, RuleMatch, ScoredDocument, UnitMatch
from pipeline.config import load_config
from sentiment.incidents import NameParts, key_terms
from sentiment.scored import _DISPLAY_FITS, _construct, _reason, rule_match, unit_match
from tests.kit import DEMO_CONFIG
from yuqing.bootstrap import App


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("data"))).scorer


def doc(title, text, source_id="t"):
    return Document.create(url=f"http://news.example.cn/{abs(hash((title, text)))}.html", source_id=source_id,
                           channel="news", site="news.example.cn", title=title, text=text)


def test_ordinary_word_is_not_a_unit(scorer):
    s = scorer.score(doc("平安夜长春街头温馨祝福", "市民互道平安，出入平安。"))
    assert s.units == [] and s.level is None


def test_negative_story_about_unit_gets_level_and_reasons(scorer):
    s = scorer.score(doc("市民投诉中国人寿吉林省分公司拖延理赔长达半年",
                         "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔。张女士已向监管部门投诉。"))
    assert [u.unit_id for u in s.units] == ["chinalife-jl"]
    assert s.units[0].aliases == ["中国人寿吉林省分公司"]
    assert s.unit_levels["chinalife-jl"] in (Level.red, Level.orange)
    assert s.unit_relevance["chinalife-jl"] == 1.0
    assert [r.rule_id for r in s.rules] == ["chinalife-jilin"]  # in Jilin: the province scheme alone names it
    risks = {r.risk_type for r in s.reasons}
    assert "理赔纠纷" in risks
    for r in s.reasons:
        assert r.unit_id == "chinalife-jl" and r.phrase and r.sentence and 0 < r.weight <= 1
        assert r.phrase in r.sentence or r.risk_type is None
    assert 0.0 < s.negativity <= 1.0


def test_neutral_story_does_not_alert(scorer):
    s = scorer.score(doc("吉林省保险行业协会召开理赔服务推进会",
                         "会议要求各会员单位提升理赔时效，人保财险吉林省分公司、中国人寿等单位作交流发言。"))
    assert {u.unit_id for u in s.units} == {"picc-pc-jl", "chinalife-jl"}
    assert s.level is None and s.unit_levels == {}


def test_negative_for_one_unit_is_not_negative_for_another(scorer):
    s = scorer.score(doc("太平洋保险吉林分公司因销售误导被罚款",
                         "吉林监管局对太平洋保险吉林分公司销售误导、虚假宣传行为罚款30万元。"
                         "同日，人保财险吉林省分公司举办客户开放日活动，受到市民好评。"))
    assert "cpic-pc-jl" in s.unit_levels
    assert "picc-pc-jl" not in s.unit_levels
    assert s.unit_negativity["picc-pc-jl"] < 0.5 < s.unit_negativity["cpic-pc-jl"]
    assert {r.unit_id for r in s.reasons} == {"cpic-pc-jl"}


def test_headline_clauses_are_attributed_to_their_unit(scorer):
    s = scorer.score(doc("太平人寿吉林分公司被罚 新华保险吉林分公司获评服务标杆",
                         "吉林监管局对太平人寿吉林分公司销售误导行为罚款30万元。"
                         "同日，新华保险吉林分公司在行业服务评价中获评服务标杆单位。"))
    assert set(s.unit_levels) == {"taiping-life-jl"}


def test_refuted_rumour_and_negated_phrases_do_not_alert(scorer):
    refuted = scorer.score(doc("中国人寿吉林省分公司辟谣：“暂停理赔”系不实信息",
                               "近日网传中国人寿吉林省分公司暂停重疾险理赔，公司声明该消息纯属谣言，理赔服务一切正常。"))
    assert refuted.unit_levels == {}
    negated = scorer.score(doc("吉林监管局检查车险理赔服务", "检查中大地保险吉林分公司未发现违规问题。"))
    assert negated.unit_levels == {}


def test_awareness_campaign_about_fraud_is_not_negative(scorer):
    s = scorer.score(doc("新华保险吉林分公司开展“守护银发”反诈讲座",
                         "新华保险吉林分公司走进长春多个社区，讲解识别养老诈骗、防范非法集资等知识。"))
    assert s.unit_levels == {}


def test_sarcasm_is_negative(scorer):
    s = scorer.score(doc("太保产险的理赔真是“高效”，半年了还在审核",
                         "吉林太保产险的理赔速度我服了，去年十一月的案子，今年五月还在审核。"))
    assert "cpic-pc-jl" in s.unit_levels


def test_long_articles_do_not_saturate(scorer):
    bad = "长春市民反映，中国人寿吉林省分公司以未如实告知为由拒赔，已向监管部门投诉。"
    filler = "今年全省保险业保费收入平稳增长，农业保险覆盖面扩大，服务乡村振兴成效明显。" * 300
    short = scorer.score(doc("吉林保险业动态", bad)).unit_negativity["chinalife-jl"]
    long = scorer.score(doc("吉林保险业动态", filler + bad + filler)).unit_negativity["chinalife-jl"]
    assert abs(long - short) < 0.05 and long < 1.0
    praise = "中国人寿吉林省分公司理赔服务获客户好评。" + "另一家网贷平台暴雷，投资人损失惨重，纷纷报警维权。" * 200
    scored = scorer.score(doc("吉林金融动态", praise))  # 200 bad sentences about someone else
    assert scored.unit_negativity["chinalife-jl"] < 0.6 and scored.unit_levels == {}


def test_source_weight_and_relevance_gate_levels(tmp_path):
    from tests.kit import copy_config
    root = copy_config(tmp_path / "config")
    sources = (root / "sources.yaml").read_text(encoding="utf-8")
    (root / "sources.yaml").write_text(sources.replace("    priority: 3\n", "    priority: 3\n    weight: 0.5\n", 1),
                                       encoding="utf-8")
    app = App(load_config(root, data_dir=tmp_path / "data"))
    minor = app.config.sources[0].id
    assert app.config.sources[0].weight == 0.5
    title, text = "市民投诉中国人寿吉林省分公司拒赔", "长春市民反映，中国人寿吉林省分公司以未如实告知为由拒赔，已向监管部门投诉，并起诉至法院。"
    quiet = app.scorer.score(doc(title, text))  # an unknown source, no interactions: spread 0
    weighty = app.scorer.score(doc(title, text).model_copy(update={"engagement": {"reposts": 1200}}))
    light = app.scorer.score(doc(title, text, source_id=minor))  # a mainstream source (spread 2) of weight 0.5
    assert quiet.unit_levels["chinalife-jl"] is Level.orange  # red needs spread 2 in the demo rules
    assert "未到红色：传播分 0 < 2" in quiet.unit_level_reasons["chinalife-jl"]
    assert weighty.unit_levels["chinalife-jl"] is Level.red  # 1,200 interactions: spread 2
    assert light.unit_levels["chinalife-jl"] is Level.orange  # red needs source weight 1.0 in the demo rules
    assert light.unit_negativity == weighty.unit_negativity


def test_scored_message_is_what_validation_builds(scorer):
    d = doc("中国人寿吉林省分公司拒赔引发投诉", "客户称理赔被拒，多次投诉无果。")
    scored = scorer.score(d)
    assert scored.unit_levels, "a negative item: every field of the message is filled"
    again = ScoredDocument.model_validate_json(scored.to_bytes())
    assert again.model_dump() == scored.model_dump()
    assert again.to_bytes() == scored.to_bytes()


@pytest.mark.parametrize("given", [
    {},  # only the document's fields
    {"negativity": 0.5, "story_id": "s1", "story": {"doc_count": 2}},
    {"negativity": 0.5, "not_a_field": 1},  # unknown: model_construct decides where it goes
])
def test_fast_construction_equals_model_construct(given):
    d = doc("标题", "正文")
    data = {**{name: getattr(d, name) for name in Document.model_fields}, **given}
    data.pop("language")  # a field with a default, not given
    fast, slow = _construct(dict(data)), ScoredDocument.model_construct(**dict(data))
    assert list(fast.__dict__.items()) == list(slow.__dict__.items())
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_extra == slow.model_extra
    assert fast.to_bytes() == slow.to_bytes()


def test_scored_message_as_model_construct_builds_it(scorer):
    d = doc("国寿吉林分公司拒赔引发投诉 长春车主维权", "客户称理赔被拒，多次投诉无果。")
    scored = scorer.score(d)
    assert scored.unit_levels and scored.rules, "a negative item matching a scheme: every field filled"
    assert _DISPLAY_FITS, "sentiment/scored.py scored_document spells ScoredDocument's fields in their order"
    own = [n for n in ScoredDocument.model_fields if n not in Document.model_fields and n not in ("simhash", "story")]
    slow = _construct({**{n: getattr(d, n) for n in Document.model_fields}, **{n: getattr(scored, n) for n in own}})
    assert type(scored) is ScoredDocument and ScoredDocument.__new__ is object.__new__  # as sentiment/scored.py builds it
    assert list(scored.__dict__.items()) == list(slow.__dict__.items())
    assert scored.model_fields_set == slow.model_fields_set
    assert scored.model_extra == slow.model_extra == {}
    assert scored.to_bytes() == slow.to_bytes()


def test_key_terms_drop_the_unit_names_whether_precomputed_or_given(scorer):
    text = "中国人寿吉林省分公司四平支公司重疾险拒赔，国寿客户王某62万元理赔被拒……人寿公司称未如实告知"
    names = ["中国人寿保险股份有限公司吉林省分公司", "中国人寿吉林省分公司", "国寿", "中国人寿"]
    given = key_terms(scorer.tokenizer.tagged(text), names)
    assert given == ["四平", "支公司", "重疾险", "客户王", "62", "万元"]  # 人寿 is part of a name
    assert key_terms(scorer.tokenizer.tags(text), [], known=[NameParts.of(names)]) == given
    assert key_terms(scorer.tokenizer.tags(text), names[:2], known=[NameParts.of(names[2:])]) == given
    assert "人寿" in key_terms(scorer.tokenizer.tags(text), [])


@pytest.mark.parametrize("fast, slow", [
    (lambda: unit_match("u1", "中国人寿吉林省分公司", ["国寿"], [0, 7]),
     lambda: UnitMatch(unit_id="u1", unit_name="中国人寿吉林省分公司", aliases=["国寿"], positions=[0, 7])),
    (lambda: unit_match("u2", "u2", [], []), lambda: UnitMatch(unit_id="u2", unit_name="u2", aliases=[], positions=[])),
    (lambda: _reason("拒赔", "某公司拒赔", "理赔纠纷", 0.9312, "u1"),
     lambda: Reason(phrase="拒赔", sentence="某公司拒赔", risk_type="理赔纠纷", weight=0.9312, unit_id="u1")),
    (lambda: _reason("推诿、失望", "", None, 1, "u2"),  # an int weight: a float, as validation makes it
     lambda: Reason(phrase="推诿、失望", sentence="", risk_type=None, weight=1, unit_id="u2")),
    (lambda: rule_match("s1", "u1", ["国寿", "长春"]), lambda: RuleMatch(rule_id="s1", unit_id="u1", terms=["国寿", "长春"])),
])
def test_unit_matches_and_reasons_built_unvalidated_equal_validated_ones(fast, slow):
    a, b = fast(), slow()
    assert type(a) is type(b) and type(b).__new__ is object.__new__  # built by object.__new__ (sentiment/scored.py)
    assert list(a.__dict__.items()) == list(b.__dict__.items())
    assert a.model_fields_set == b.model_fields_set
    assert a.model_extra == b.model_extra and a.__pydantic_private__ == b.__pydantic_private__
    assert a.model_dump_json() == b.model_dump_json()
    assert set(UnitMatch.model_fields) == {"unit_id", "unit_name", "aliases", "positions"}  # what unit_match sets
    assert set(Reason.model_fields) == {"phrase", "sentence", "risk_type", "weight"}  # what _reason sets
    assert set(RuleMatch.model_fields) == {"rule_id", "unit_id", "terms"}  # what rule_match sets


def test_key_terms_most_frequent_first_ties_in_order_of_first_use():
    tagged = [(f"词{i:02d}", "n") for i in range(30)] + [("词29", "n"), ("词05", "n"), ("词29", "n"), ("，", "x")]
    assert key_terms(tagged) == ["词29", "词05"] + [f"词{i:02d}" for i in range(30) if i not in (5, 29)][:22]


def _focus_by_grow(text: str, offset: int, positions: list[int], others: list[int]) -> str:
    """focus as it was written with clauses.grow and closures (the reference for its inlined walk)."""
    from sentiment.clauses import grow, list_item, own_part, within
    from sentiment.clauses import names_org as _names_org
    from sentiment.scorer import _CLAUSE
    if not within(others, offset, offset + len(text)) and not _names_org(text):
        return text
    clauses = [(m.group(0), offset + m.start()) for m in _CLAUSE.finditer(text) if m.group(0)]
    mine = [i for i, (c, at) in enumerate(clauses) if within(positions, at, at + len(c))]
    if len(clauses) <= 1 or not mine:
        return text

    def free(i: int) -> bool:
        c, at = clauses[i]
        return not within(others, at, at + len(c)) and not _names_org(c)

    cut = {i: own_part(text, offset, clauses[i], positions, others) for i in mine}

    def listed(i: int) -> bool:
        return list_item(clauses[i], positions, others)

    def joins(j: int, step: int) -> bool:
        came = cut.get(j - step)  # the walk does not pass another unit's name ending the unit's clause
        if came is not None and (came[1] if step == 1 else came[0]):
            return False
        # a list of names (人保财险、平安产险、太保产险…): back through its items; forward from an item through the
        # items and the last one (another unit's name starts it)
        if step == -1 and listed(j) and (j + 1 in mine or listed(j + 1)):
            return True
        if step == 1 and listed(j - 1) and (listed(j) or within(others, clauses[j][1], clauses[j][1] + 1)):
            return True
        spaced = clauses[j][0]
        return free(j) and (step == 1 or spaced == spaced.rstrip(" \u3000\t"))
    return "".join(cut[i][2] if i in cut else clauses[i][0] for i in grow(len(clauses), mine, joins)).strip()


def test_focus_matches_the_grow_walk_it_replaces():
    import random

    from sentiment.scorer import focus
    pieces = ["人保财险", "平安人寿", "某网贷平台", "该平台", "拒赔", "理赔难", "客户投诉", "，", "。", "、", " ", "\u3000",
              "\t", "|", "：", "!", "退保", "恒丰银行", "本公司"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        offset = rng.randint(0, 3)
        spots = sorted(rng.sample(range(offset, offset + len(text) + 1), min(4, len(text) + 1)))
        positions, others = spots[::2], spots[1::2]
        assert focus(text, offset, positions, others) == _focus_by_grow(text, offset, positions, others), text
    assert focus("平安人寿拒赔 人保财险理赔快", 0, [0], [7]) == "平安人寿拒赔"
    assert focus("平安人寿拒赔，某网贷平台跑路，客户投诉", 0, [0], []) == "平安人寿拒赔，"
    # a headline's clause after a space that names nobody is the unit's (brief detect10)
    assert focus("大地保险承保系统突发异常 多家4S店无法出单", 0, [0], []) == "大地保险承保系统突发异常 多家4S店无法出单"
    assert focus("大地保险获评优秀 华安财险系统故障", 0, [0], []) == "大地保险获评优秀"
    # one before the unit's has its own subject
    assert focus("团伙伪造事故骗保 中华联合财险审核发现异常", 0, [9], []) == "中华联合财险审核发现异常"
    # a list of names shares the last item's predicate (brief detect9)
    assert focus("通报：人保财险、平安人寿、某网贷平台投诉居前", 0, [8], [3, 13]) == "通报：人保财险、平安人寿、某网贷平台投诉居前"


def test_sentence_spans_are_the_sentence_pattern_matches():
    import random

    from sentiment.tokenize import _SENTENCE, sentence_spans

    def by_pattern(text: str) -> list[tuple[str, int]]:
        out = []
        for m in _SENTENCE.finditer(text):
            raw = m.group(0)
            if raw.strip():
                out.append((raw.strip(), m.start() + len(raw) - len(raw.lstrip())))
        return out
    pieces = ["。", "！", "？", "!", "?", "；", ";", "…", "\n", "\r\n", "”", "’", "」", "』", "）", ")", " ", "\u3000",
              "\t", "，", "平安人寿拒赔", "客户投诉", "a"]
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert sentence_spans(text) == by_pattern(text), text
    assert sentence_spans("  拒赔了！！”然后呢\n\n 投诉…") == [("拒赔了！！”", 2), ("然后呢", 8), ("投诉…", 14)]
