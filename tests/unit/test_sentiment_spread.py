"""Levels from spread and authority, and an insurer's own reply never red (sentiment/spread.py, levels.py)."""
import pytest

from contracts.messages import Level
from sentiment.levels import LevelPolicy, LevelRule
from sentiment.spread import AuthorityClass, Spread, SpreadRules, is_own_response, score

RULES = SpreadRules(
    authority=(AuthorityClass("regulator", 3, ("nfra.gov.cn",)), AuthorityClass("mainstream", 2, ("chinajilin.com.cn",
                                                                                                    "demo-news")),
               AuthorityClass("big_account", 1, ("吉林消费维权",))),
    engagement=((100, 1), (1000, 2)), per_document=1, max_documents=2, per_channel=1, max_channels=2,
    velocity_docs=3, velocity_points=1)
POLICY = LevelPolicy([LevelRule(Level.red, 0.97, 0.7, 1.0, min_spread=2), LevelRule(Level.orange, 0.9, 0.5),
                      LevelRule(Level.yellow, 0.75), LevelRule(Level.blue, 0.6)], 0.6, spread=RULES,
                     own_response_max=Level.yellow)


def _authority(**where) -> str | None:
    found = RULES.authority_of(**where)
    return found.name if found else None


def test_authority_by_host_source_or_author_most_authoritative_wins():
    assert _authority(site="www.nfra.gov.cn") == "regulator"
    assert _authority(site="news.chinajilin.com.cn") == "mainstream"
    assert RULES.authority_of(site="evilchinajilin.com.cn") is None  # a suffix, not a parent domain
    assert _authority(source_id="demo-news") == "mainstream"
    assert _authority(site="mp.weixin.qq.com", author="吉林消费维权") == "big_account"
    assert _authority(site="nfra.gov.cn", author="吉林消费维权") == "regulator"
    assert RULES.authority_of(site="bbs.example.cn", author="网友") is None


def test_spread_score_terms_and_caps():
    s = score(Spread(authority="mainstream", engagement=1500, documents=6, channels=3, recent_docs=3), RULES)
    assert s.points == 2 + 2 + 2 + 2 + 1
    assert s.terms == ("主流媒体 +2", "互动量 1500 +2", "报道 6 篇 +2", "渠道 3 个 +2", "短时新增 3 篇 +1")
    assert score(Spread(), RULES).points == 0
    assert score(Spread(engagement=99), RULES).points == 0


def test_a_single_forum_post_is_not_red_until_it_spreads():
    forum = Spread()
    assert POLICY.level_for(0.99, 1.0, 1.0, spread=forum) is Level.orange
    assert POLICY.level_for(0.99, 1.0, 1.0, spread=Spread(engagement=1200)) is Level.red
    assert POLICY.level_for(0.99, 1.0, 1.0, spread=Spread(authority="mainstream")) is Level.red
    assert POLICY.level_for(0.99, 1.0, 1.0, spread=Spread(documents=2, channels=2)) is Level.red
    # spread never makes an item negative, nor lifts weak wording to red
    assert POLICY.level_for(0.5, 1.0, 1.0, spread=Spread(authority="regulator", engagement=5000)) is None
    assert POLICY.level_for(0.8, 1.0, 1.0, spread=Spread(authority="regulator")) is Level.yellow


def test_explanation_names_the_values_and_what_the_next_level_lacked():
    why = POLICY.explain(0.99, 1.0, 1.0, spread=Spread())
    assert "传播分 0" in why and "达到橙色" in why and "未到红色：传播分 0 < 2" in why
    why = POLICY.explain(0.99, 1.0, 1.0, spread=Spread(authority="mainstream"))
    assert "传播分 2（主流媒体 +2）" in why and "达到红色" in why and "传播分≥2" in why
    assert "未到" not in why  # nothing above red
    assert "未到橙色：负面指数 0.80 < 0.90" in POLICY.explain(0.8, 1.0, 1.0)


def test_own_response_is_capped_and_says_so():
    found = POLICY.assess(0.99, 1.0, 1.0, spread=Spread(authority="mainstream"), own_response=True)
    assert found.level is Level.yellow and "自身的回应/澄清，最高黄色" in found.reason
    assert POLICY.level_for(0.8, 1.0, 1.0, own_response=True) is Level.yellow
    assert POLICY.level_for(0.65, 1.0, 1.0, own_response=True) is Level.blue  # a cap, never a raise


WORDS = ["回应", "澄清", "声明", "情况说明"]


@pytest.mark.parametrize(("title", "own"), [
    ("人保财险回应“理赔难”投诉：已联系当事人", True),
    ("中国人寿吉林省分公司关于客户理赔投诉的情况说明", True),
    ("平安产险发布澄清声明", True),
    ("网友投诉人保财险理赔难，公司至今未回应", False),
    ("人保财险拒不回应理赔拖延", False),
    ("人保财险尚未回应", False),
    ("监管局回应人保财险违规问题", False),
    ("人保财险理赔拖了三个月", False),
])
def test_own_response_title(title, own):
    assert is_own_response(title, ["人保财险", "中国人寿吉林省分公司", "平安产险"], WORDS) is own
