"""Member names people use (sentiment/aliases.py, issue 13): candidate
aliases from registered names, ambiguous ones guarded, and matching that
honours ``needs_context``."""
from pathlib import Path

import pytest
import yaml

from sentiment.aliases import Registered, needs_context, review_document, split_name, suggest, suggest_all
from sentiment.matching import UnitMatcher, UnitSpec

NATIONAL = Path(__file__).resolve().parent.parent / "fixtures" / "members" / "national_insurers.yaml"


@pytest.fixture(scope="module")
def national():
    data = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    units = [Registered(i["id"], i["name"], i.get("english", ""), i.get("group", "")) for i in data["insurers"]]
    return data, suggest_all(units)


def test_the_national_list_is_the_size_of_the_market(national):
    data, _ = national
    assert 60 <= len(data["insurers"]) <= 100
    groups = {i.get("group") for i in data["insurers"]} - {None}
    names = {i["name"] for i in data["insurers"]}
    assert groups <= names, "every parent group is itself on the list"
    guohua = next(i for i in data["insurers"] if i["id"] == "guohua-life")
    assert guohua["group"] == "天茂实业集团股份有限公司"


def test_finds_at_least_nine_in_ten_brand_short_forms(national):
    data, suggestions = national
    wanted = found = 0
    missed = []
    for item, s in zip(data["insurers"], suggestions):
        got = set(s.aliases())
        for short in item["short"]:
            wanted += 1
            found += short in got
            if short not in got:
                missed.append((item["id"], short))
    print(f"\nbrand short forms found: {found}/{wanted}; missed: {missed}")
    assert found >= 0.9 * wanted


def test_no_ambiguous_alias_is_unguarded(national):
    data, suggestions = national
    ambiguous = set(data["ambiguous"])
    unguarded = [(s.unit.id, c.alias) for s in suggestions for c in s.candidates
                 if c.alias in ambiguous and not c.needs_context]
    assert not unguarded
    assert any(c.alias == "平安" and c.needs_context for s in suggestions for c in s.candidates)


def test_reads_registered_names():
    assert split_name("中国人民财产保险股份有限公司吉林省分公司") == ("中国人民", "财产保险", "吉林")
    assert split_name("国华人寿保险股份有限公司") == ("国华", "人寿保险", "")
    assert split_name("阳光农业相互保险公司") == ("阳光", "农业相互保险", "")


def test_brand_branch_english_and_group_forms():
    picc = suggest(Registered("picc-pc-jl", "中国人民财产保险股份有限公司吉林省分公司",
                              "PICC Property and Casualty Company Limited", "中国人民保险集团股份有限公司"))
    got = {c.alias: c for c in picc.candidates}
    assert {"人保财险", "人保产险", "中国人保", "人保财险吉林分公司", "吉林人保财险", "PICC"} <= set(got)
    assert got["人保集团"].kind == "group" and got["人保集团"].needs_context
    life = suggest(Registered("chinalife-jl", "中国人寿保险股份有限公司吉林省分公司"))
    got = {c.alias: c for c in life.candidates}
    assert {"中国人寿", "国寿", "吉林国寿", "人寿吉林分公司"} <= set(got)
    assert got["人寿"].needs_context and not got["国寿"].needs_context
    guohua = suggest(Registered("guohua", "国华人寿保险股份有限公司", group="天茂实业集团股份有限公司"))
    assert any(c.alias == "天茂集团" and c.kind == "group" and c.needs_context for c in guohua.candidates)


def test_needs_context_rule():
    for word in ("平安", "太平", "阳光", "大地", "新华", "Ping An", "Sunshine", "人寿"):
        assert needs_context(word), word
    for word in ("平安产险", "国寿", "人保", "中国平安", "阳光吉林分公司", "PICC", "China Life"):
        assert not needs_context(word), word


def test_an_alias_suggested_for_two_units_says_so():
    out = suggest_all([Registered("pc", "中国平安财产保险股份有限公司"), Registered("life", "中国平安人寿保险股份有限公司")])
    assert out[0].shared["中国平安"] == ["life"]
    doc = review_document(out, {"pc": ["平安产险"]})
    pc = doc["units"][0]
    assert pc["aliases_now"] == ["平安产险"]
    assert "平安产险" not in [c["alias"] for c in pc["candidates"]]
    assert next(c for c in pc["candidates"] if c["alias"] == "中国平安")["also_for"] == ["life"]
    assert "平安" in pc["needs_context_suggested"]


def test_matching_counts_a_guarded_alias_only_with_context():
    m = UnitMatcher([UnitSpec("pingan", "中国平安财产保险股份有限公司", ("平安产险", "平安", "阳光"), (),
                              needs_context=("平安",))])
    assert not m.find("祝大家平安健康，出入平安")
    assert [u.aliases for u in m.find("平安的理赔太慢了")] == [["平安"]]
    assert [u.aliases for u in m.find("平安产险吉林分公司")] == [["平安产险"]]
    assert m.find("今天阳光很好")  # not marked: matched as before


def test_cli_writes_candidates_for_review(tmp_path):
    from tests.kit import DEMO_CONFIG
    from yuqing.cli import main
    out = tmp_path / "aliases.yaml"
    assert main(["members", "suggest-aliases", "--config", str(DEMO_CONFIG), "--registered", str(NATIONAL),
                 "-o", str(out)]) == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    picc = next(u for u in doc["units"] if u["id"] == "picc-pc")
    assert {"人保财险", "人保产险", "PICC"} <= {c["alias"] for c in picc["candidates"]}
    pingan = next(u for u in doc["units"] if u["id"] == "pingan-pc")
    assert "平安" in pingan["needs_context_suggested"]
    # from members.yaml: aliases the unit already has are not suggested again
    demo = tmp_path / "demo.yaml"
    assert main(["members", "suggest-aliases", "--config", str(DEMO_CONFIG), "-o", str(demo)]) == 0
    life = next(u for u in yaml.safe_load(demo.read_text(encoding="utf-8"))["units"] if u["id"] == "chinalife-jl")
    assert "国寿" in life["aliases_now"] and "国寿" not in [c["alias"] for c in life["candidates"]]
    assert "吉林国寿" in [c["alias"] for c in life["candidates"]]


def test_demo_members_guard_everyday_words(tmp_path):
    from contracts.messages import Document
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App
    app = App(load_config(DEMO_CONFIG, data_dir=tmp_path))
    try:
        def units(text: str) -> list[str]:
            doc = Document.create(url=f"http://x.example.cn/{abs(hash(text))}", source_id="x", channel="weibo",
                                  site="x.example.cn", title=text, text="")
            return [u.unit_id for u in app.scorer.score(doc).units]
        assert units("春天的阳光洒满大地") == []
        assert units("大地的理赔员态度太差了") == ["ccic-jl"]
        assert units("阳光的车险拒赔，投诉无门") == ["sinosig-jl"]
        # 人寿吉林分公司 is what people call 国寿's branch, and the tail of every other life insurer's branch.
        assert units("今天去人寿吉林分公司柜台办业务，只开一个窗口") == ["chinalife-jl"]
        assert units("富德生命人寿吉林分公司因未按规定使用条款被罚") == []
        assert units("合众人寿吉林分公司理赔拖延遭投诉") == []
        assert units("长生人寿吉林分公司虚构中介业务被罚") == []  # a name listed nowhere: the rule, not a list
        assert units("中国人寿吉林分公司理赔拖延遭投诉") == ["chinalife-jl"]
        assert units("太平洋人寿吉林分公司理赔拖延遭投诉") == ["cpic-life-jl"]
    finally:
        app.close()
