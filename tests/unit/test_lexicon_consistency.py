"""The demo lexicon is consistent: a phrase that contains another phrase says more, never less;
and grievances told without its complaint words (waiting, a delay with a word inside) are found."""
import pytest

from pipeline.config import load_config
from tests.kit import DEMO_CONFIG, scored_levels


def _weights():
    rules = load_config(DEMO_CONFIG).rules
    weight: dict[str, list[tuple[float, str]]] = {}
    for risk, phrases in rules.negative_lexicon.items():
        for phrase in phrases:
            if "…" not in phrase:  # HEAD……TAIL forms are not plain phrases
                weight.setdefault(phrase, []).append((rules.risk_weights.get(risk, 1.0), risk))
    return weight


def test_a_longer_phrase_never_weighs_less_than_a_phrase_inside_it():
    # Leftmost-longest: the longer phrase is what is found, so it must not lower the risk
    # the shorter one already carries (电话打不通 as 投诉维权 0.7 where 打不通 is 服务纠纷 1.0).
    weight = _weights()
    lighter = [(long, max(weight[long]), short, max(weight[short]))
               for long in weight for short in weight
               if short != long and short in long and max(weight[long])[0] < max(weight[short])[0]]
    assert lighter == []


def test_unreachable_service_is_one_risk_type_however_it_is_written():
    weight = _weights()
    assert weight["电话打不通"] == weight["打不通"]
    assert {risk for _, risk in weight["打不通"]} == {"服务纠纷"}


@pytest.fixture(scope="module")
def app(demo_app):
    return demo_app


@pytest.mark.parametrize(("title", "levels"), [
    # waiting told as time gone by and nothing yet, or as the wait
    ("平安产险说三天内给答复，到现在二十天了还没消息", {"pingan-pc-jl"}),
    ("人保财险的查勘员说上午到，我等到中午也没见人", {"picc-pc-jl"}),
    ("在新华保险办个退保等了两个多月", {"newchina-jl"}),
    ("人保财险的查勘员半小时就到了，等到中午就赔了", set()),
    # a delay with the claim after a word; cover refused however it is put
    ("农户反映中华联合财险拖延玉米保险赔付", {"cic-jl"}),
    ("在泰康人寿买的医疗险，报销时说这家医院不在报销范围", {"taikang-jl"}),
    # a complaint that ends in a good review
    ("上次投诉了太平洋保险的理赔员态度，第二天经理就上门道歉，给个好评", set()),
])
def test_grievances_told_without_complaint_words(app, title, levels):
    assert scored_levels(app, title, "", channel="weibo") == levels
