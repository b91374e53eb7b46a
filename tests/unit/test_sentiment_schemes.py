"""Monitoring schemes (监测方案): AND over groups, OR within, NOT exclusions."""
from sentiment.matching import UnitMatcher, UnitSpec
from sentiment.schemes import SchemeMatcher, SchemeSpec
from sentiment.tokenize import sentence_spans

UNIT = UnitSpec("chinalife", "中国人寿吉林省分公司", ("中国人寿", "国寿"), ("国寿安保基金",))
REGION = ("吉林", "长春", "延边")


def hits(scheme: SchemeSpec, text: str):
    """The scheme's hits, the same whether its words are walked on their own or with the
    unit matcher's (the scorer's one walk per document)."""
    schemes = SchemeMatcher([scheme])
    m = {x.unit_id: x for x in UnitMatcher([UNIT]).find(text)}
    starts = [at for _, at in sentence_spans(text)]
    found = schemes.evaluate(text, starts, m)
    walked = UnitMatcher([UNIT], extra_words=schemes.words).walk(text)
    assert {x.unit_id: x for x in walked.matches} == m
    assert schemes.evaluate(text, starts, m, found=walked.extra) == found
    return found


def test_every_group_must_match_and_any_word_of_a_group_does():
    s = SchemeSpec("jl", "chinalife", (("subject", ("@unit",)), ("region", REGION), ("event", ("理赔", "退保"))))
    # Terms group by group: subject, region, event.
    assert [h.terms for h in hits(s, "长春市民反映中国人寿退保难")] == [["中国人寿", "长春", "退保"]]
    assert hits(s, "中国人寿发布年报，长春分公司参加") == []  # no event word
    assert hits(s, "长春市民反映理赔难") == []  # no subject


def test_an_exclusion_word_vetoes_the_document():
    s = SchemeSpec("jl", "chinalife", (("subject", ("@unit",)), ("region", REGION)), exclude=("招聘", "诚聘"))
    assert hits(s, "中国人寿吉林省分公司开展客户节")
    assert hits(s, "中国人寿吉林省分公司招聘理赔专员") == []


def test_unit_token_uses_the_matcher_so_its_exclusions_apply():
    s = SchemeSpec("jl", "chinalife", (("subject", ("@unit", "国寿福")), ("region", REGION)))
    assert hits(s, "吉林：国寿安保基金发布季报") == []
    text = "吉林客户咨询国寿福产品"
    found = hits(s, text)
    assert found and found[0].terms == ["国寿", "国寿福", "吉林"]  # 国寿福 holds the alias 国寿 too
    assert set(found[0].positions) == {text.index("国寿福")}  # subject words count as mentions


def test_a_unit_matched_by_two_schemes_is_named_by_the_first_with_both_subjects():
    jl = SchemeSpec("jl", "chinalife", (("subject", ("@unit",)), ("region", REGION)))
    product = SchemeSpec("product", "chinalife", (("subject", ("鑫福年年",)),))
    schemes = SchemeMatcher([jl, product])
    text = "长春客户咨询中国人寿的鑫福年年产品"
    m = {x.unit_id: x for x in UnitMatcher([UNIT]).find(text)}
    [hit] = schemes.evaluate(text, [0], m)
    assert hit.scheme_id == "jl" and hit.terms == ["中国人寿", "长春", "鑫福年年"]
    assert set(hit.positions) == {text.index("中国人寿"), text.index("鑫福年年")}  # the second's subject words count too
    [alone] = schemes.evaluate("客户咨询鑫福年年产品", [0], {})
    assert alone.scheme_id == "product"


def test_sentence_scope_needs_all_groups_in_one_sentence():
    s = SchemeSpec("jl", "chinalife", (("subject", ("@unit",)), ("event", ("拒赔",))), scope="sentence")
    assert hits(s, "中国人寿开展客户节。另一家公司被投诉拒赔。") == []
    assert hits(s, "客户节开幕。中国人寿被投诉拒赔。")


def test_units_with_schemes_are_matched_only_through_them(tmp_path):
    from contracts.messages import Document
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App
    scorer = App(load_config(DEMO_CONFIG, data_dir=tmp_path)).scorer  # chinalife-jl has a Jilin scheme

    def units(title, text):
        doc = Document.create(url=f"http://x.example.cn/{abs(hash(title))}", source_id="t", channel="news",
                              site="x.example.cn", title=title, text=text)
        s = scorer.score(doc)
        return {u.unit_id for u in s.units}, [(r.rule_id, r.unit_id) for r in s.rules]

    assert units("中国人寿发布三季度业绩", "总保费收入同比增长。") == (set(), [])
    got, rules = units("中国人寿吉林省分公司拒赔引投诉", "长春市民反映。")
    # it matches both schemes; the first (the province's) alone names the match, so its reasons cite one
    assert got == {"chinalife-jl"} and rules == [("chinalife-jilin", "chinalife-jl")]
    assert units("中国人寿吉林省分公司招聘", "诚聘理赔专员。")[0] == set()
    # A bare brand is the province's branch, written either way, as for every member without
    # schemes; the group's corporate news is not, unless placed in Jilin.
    for brand in ("国寿", "中国人寿"):
        got, rules = units(f"{brand}的理赔拖了两个月", f"孩子住院的钱报到{brand}，两个月了还没到账。")
        assert got == {"chinalife-jl"} and rules == [("chinalife-brand", "chinalife-jl")], brand
        assert units(f"{brand}总部组织架构调整", "新设健康养老事业部。")[0] == set(), brand
        assert units(f"{brand}发布年报", "吉林分公司保费增长。")[0] == {"chinalife-jl"}, brand
        # the group's figures are results news too, without 年报 or 业绩 (not placed in Jilin)
        for title in (f"{brand}前三季度净利润同比下降 总投资收益率走低", f"{brand}一季报：净利3.16亿，同比下滑21.81%",
                      f"{brand}上半年营收同比增长", f"{brand}前三季度总保费收入5600亿元"):
            assert units(title, "公司发布报告。")[0] == set(), title
        assert units(f"{brand}前三季度净利润同比下降", "吉林分公司保费增长。")[0] == {"chinalife-jl"}, brand
        # words customers use are no group news (冲业绩, 投诉到总公司)
        assert units(f"{brand}的业务员为了冲业绩骗我买保险", "投诉到总公司也没用。")[0] == {"chinalife-jl"}, brand
    # A question naming two members finds both.
    got, _ = units("中国人寿和太平洋人寿哪个理赔方便？", "学校推荐了中国人寿和太平洋人寿的学平险。")
    assert got == {"chinalife-jl", "cpic-life-jl"}
    # Other companies of the group, and other provinces' branches, are not this member.
    assert units("国寿财险开展农险查勘", "国寿财险的查勘员深入农安。")[0] == set()
    assert units("中国人寿广东省分公司被罚", "广东金融监管局公布罚单。")[0] == set()
