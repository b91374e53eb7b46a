"""Levels from negativity, relevance and source weight; relevance itself."""
from contracts.messages import Level
from sentiment.levels import EngagementBoost, LevelPolicy, LevelRule, _two_places
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


def test_a_spreading_negative_item_goes_one_level_up_never_past_red():
    boosted = LevelPolicy([LevelRule(Level.red, 0.9, 0.7, 1.0), LevelRule(Level.orange, 0.8, 0.5),
                           LevelRule(Level.yellow, 0.7), LevelRule(Level.blue, 0.6)], 0.6, min_relevance=0.3,
                          boost=EngagementBoost(1000))
    viral = {"reposts": 400, "comments": 350, "likes": 300, "views": 10}  # 1,050 interactions (views do not count)
    quiet = {"reposts": 3, "likes": 10, "views": 200000}  # much read, little shared
    assert boosted.level_for(0.65, 1.0, 1.0, viral) is Level.yellow  # blue → yellow
    assert boosted.level_for(0.95, 1.0, 0.5, viral) is Level.red  # orange → red
    assert boosted.level_for(0.95, 1.0, 1.0, viral) is Level.red  # red stays red
    assert boosted.level_for(0.65, 1.0, 1.0, quiet) is Level.blue
    assert boosted.level_for(0.65, 1.0, 1.0, None) is Level.blue
    assert boosted.level_for(0.3, 1.0, 1.0, viral) is None  # spreading does not make an item negative
    assert "互动量 1050 ≥ 1000，上调为黄色" in boosted.explain(0.65, 1.0, 1.0, viral)
    assert POLICY.level_for(0.65, 1.0, 1.0, viral) is Level.blue  # no boost configured


def test_engagement_boost_from_rules_reaches_the_scorer(tmp_path):
    from contracts.messages import Document
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App
    app = App(load_config(DEMO_CONFIG, data_dir=tmp_path))
    try:
        boost = app.config.rules.engagement_boost
        assert boost is not None and boost.min_engagement == 1000
        text = "网友称在新华保险吉林分公司的理赔一直在审核。"
        plain = Document.create(url="http://bbs.example.cn/t/1.html", source_id="x", channel="forum",
                                site="bbs.example.cn", title="求助：理赔一直在审核", text=text)
        viral = plain.model_copy(update={"engagement": {"replies": 800, "likes": 600}})
        a, b = app.scorer.score(plain), app.scorer.score(viral)
        [plain_level] = a.unit_levels.values()  # yellow (0.89) since the refit on the sources' labels
        assert plain_level in (Level.orange, Level.yellow)
        # the same post with 1,400 interactions: one level up
        assert b.unit_levels == {"newchina-jl": tuple(Level)[plain_level.rank - 1]}
    finally:
        app.close()


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
    assert brand_in_a_list >= 0.0


def test_a_rule_is_met_exactly_when_it_misses_nothing():
    rule = LevelRule(Level.red, 0.9, 0.7, 1.0, 2)
    values = (0.0, 0.7, 0.9, 1.0, float("nan"))
    for negativity in values:
        for rel in values:
            for weight in values:
                for spread in (0, 2, 3):
                    assert rule.meets(negativity, rel, weight, spread) == \
                        (not rule.misses(negativity, rel, weight, spread))


def test_values_in_the_reasons_read_as_two_places_whatever_came_before():
    # The reason's values are formatted once per value and kept; -0.0 and 0.0 (one key), a NaN, ints.
    for x in (0.0, -0.0, 0.0, 0.5, 0.5, 1, 1.0, -0.004, 0.005, 0.015, float("nan"), float("inf"), 0.1 + 0.2):
        assert _two_places(x) == f"{x:.2f}" == "%.2f" % x, x  # noqa: UP031
