"""Scoring: unit matching with exclusions, negativity per unit, levels."""
import pytest

from pipeline.config import load_config
from pipeline.messages import Document, Level
from pipeline.bootstrap import App
from pipeline.testing import DEMO_CONFIG
from sentiment.matching import UnitMatcher, UnitSpec
from sentiment.stories import normalise_title, story_id_for


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    cfg = load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("data"))
    return App(cfg).scorer


def doc(title, text, url=None):
    return Document.create(url=url or f"http://news.example.cn/{abs(hash(title))}.html", source_id="t",
                           channel="news", site="news.example.cn", title=title, text=text)


def test_longest_alias_wins_and_exclusions_do_not_match():
    m = UnitMatcher([
        UnitSpec("pingan-pc", "平安产险", ("中国平安", "平安保险"), ("平安保险柜",)),
        UnitSpec("pingan-life", "平安人寿", ("中国平安人寿",)),
    ])
    found = {x.unit_id: x for x in m.find("中国平安人寿发布年报；商场出售平安保险柜；平安保险回应")}
    assert set(found) == {"pingan-pc", "pingan-life"}
    assert found["pingan-life"].aliases == ["中国平安人寿"]
    assert found["pingan-pc"].aliases == ["平安保险"]
    assert len(found["pingan-pc"].positions) == 1


def test_ordinary_word_is_not_a_unit(scorer):
    s = scorer.score(doc("平安夜长春街头温馨祝福", "市民互道平安，出入平安。"))
    assert s.units == [] and s.level is None


def test_negative_story_about_unit_gets_level_and_reasons(scorer):
    s = scorer.score(doc("市民投诉中国人寿吉林省分公司拖延理赔长达半年",
                         "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔。张女士已向监管部门投诉。"))
    assert [u.unit_id for u in s.units] == ["chinalife-jl"]
    assert s.unit_levels["chinalife-jl"] in (Level.red, Level.orange, Level.yellow)
    assert {r.risk_type for r in s.reasons} >= {"理赔纠纷"}
    assert 0.0 < s.negativity < 1.0 or s.negativity == 1.0


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
    assert s.unit_negativity["picc-pc-jl"] < s.unit_negativity["cpic-pc-jl"]


def test_reposts_share_a_story():
    assert story_id_for("【转载】市民投诉中国人寿拖延理赔！", "a") == story_id_for("市民投诉中国人寿拖延理赔", "b")
    assert normalise_title("转发：标题 一") == "标题一"
