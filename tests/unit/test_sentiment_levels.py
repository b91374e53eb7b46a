"""Levels from negativity, relevance and source weight; relevance itself."""
from pipeline.messages import Level
from sentiment.levels import LevelPolicy, LevelRule
from sentiment.relevance import relevance

POLICY = LevelPolicy([LevelRule(Level.red, 0.9, 0.7, 1.0), LevelRule(Level.orange, 0.8, 0.5),
                      LevelRule(Level.yellow, 0.7), LevelRule(Level.blue, 0.6)], 0.6, min_relevance=0.3)


def test_most_severe_level_whose_every_minimum_is_met():
    assert POLICY.level_for(0.95, 1.0, 1.0) is Level.red
    assert POLICY.level_for(0.95, 1.0, 0.5) is Level.orange  # a minor source is never red
    assert POLICY.level_for(0.95, 0.6, 1.0) is Level.orange  # nor a bare brand mention
    assert POLICY.level_for(0.95, 0.4, 1.0) is Level.yellow
    assert POLICY.level_for(0.65, 1.0, 2.0) is Level.blue
    assert POLICY.level_for(0.59, 1.0, 2.0) is None  # below the alert threshold
    assert POLICY.level_for(0.99, 0.2, 2.0) is None  # below the minimum relevance


def test_explain_says_why():
    assert "红色" in POLICY.explain(0.95, 1.0, 1.0)
    assert "低于预警阈值" in POLICY.explain(0.3, 1.0, 1.0)
    assert "未达" in POLICY.explain(0.95, 0.2, 1.0)


def test_tuple_thresholds_still_work():
    assert LevelPolicy([(Level.red, 0.9), (Level.blue, 0.6)], 0.6).level_for(0.7) is Level.blue


def test_relevance_orders_typical_mentions():
    branch_in_title = relevance(specific=True, in_title=True, mentions=2, region_in_text=True,
                                scheme_matched=False, units_in_doc=1)
    brand_in_body = relevance(specific=False, in_title=False, mentions=1, region_in_text=False,
                              scheme_matched=False, units_in_doc=1)
    brand_in_a_list = relevance(specific=False, in_title=False, mentions=1, region_in_text=True,
                                scheme_matched=False, units_in_doc=8)
    assert branch_in_title == 1.0 > brand_in_body == 0.5 > brand_in_a_list
    assert 0.0 <= brand_in_a_list
