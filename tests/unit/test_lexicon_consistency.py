"""The demo lexicon is consistent: a phrase that contains another phrase says more, never less."""
from pipeline.config import load_config
from tests.kit import DEMO_CONFIG


def _weights():
    rules = load_config(DEMO_CONFIG).rules
    weight = {}
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
