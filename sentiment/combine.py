"""The calibrated combination of the model and the lexicon for one segment.

Before issue 13 a segment's score was a hand-set logistic in which the
model alone could reach at most blue: most negative business news (净利
腰斩, 停产, 终止重组, ST) carries no complaint phrase, so the lexicon gate
threw the model's evidence away. Now a logistic regression fitted on the
shared development data (tools/fit_combination.py, cross-validated) weighs
the evidence:

    z = intercept + Σ weight_i · feature_i,    p = sigmoid(z)

Features of a segment (all plain floats, see :func:`features`):

* ``model_neg`` / ``model_pos`` — the naive Bayes logit (sentiment/bayes.py),
  clipped, its negative and positive parts apart (on headlines the model's
  "not negative" is weaker evidence than its "negative");
* ``lexicon`` / ``lexicon_more`` — the strongest lexicon phrase's risk
  weight (rules.yaml ``risk_weights``, 1.0 by default: each risk type's level
  sensitivity) and the sum of the others' (capped);
* a refutation / awareness cue (辟谣, 防范…) is a rule: it damps the
  lexicon features and caps the model at 0;
* ``routine`` and ``routine_x_model`` — a market-context cue (增持, 质押,
  大盘, 板块…: not negative by itself; a share sale or a fall is a lexicon
  phrase, 股东减持 / 市场波动, whose level rule is in rules.yaml, see
  MODEL_CARD.md) and its interaction with the model's negative evidence;
* ``hedge`` — a hedge (拟, 或将, 传闻…);
* ``advice`` and ``advice_x_model`` — an advice / how-to / service-notice
  cue (提示, 如何, 指南, 攻略, 办理流程…) in the segment or in its document's
  title, and its interaction with the model's negative evidence: a tip on
  how to claim after an accident is full of words the model reads as
  negative (事故, 报警, 风险) and is no grievance.

Title versus body is deliberately not a feature: on the development data it
only learns the headline set's own base rate and vocabulary (earnings
headlines look "not negative" to the model), and moved every plain
insurance title above the threshold on the gold set.

The coefficients ship as ``sentiment/data/combination.json`` with their
provenance; the intercept includes an offset that puts the operating point
chosen on the development data (high recall of the negative class) at the
alert threshold of rules.yaml. Evaluation here is pure Python: no numpy.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

COMBINATION_FILE = "data/combination.json"
FEATURES = ("model_neg", "model_pos", "lexicon", "lexicon_more", "routine", "routine_x_model", "hedge", "advice",
            "advice_x_model")
MODEL_CLIP = 4.0
MODEL_NEG_CLIP = 1.5  # "not negative" from the model cannot outvote a risk phrase (净利同比下降, 净利3.16亿，同比下滑)
LEXICON_MORE_CAP = 3.0
COUNTER_DAMPING = 0.2
# Fitted coefficients that must not be negative (more phrases, more model
# evidence never make a segment less negative); tools/fit_combination.py
# drops a feature that would get a negative weight.
NON_NEGATIVE = ("model_neg", "model_pos", "lexicon", "lexicon_more")


def features(model_logit: float, lexicon: Sequence[float], countered: bool, routine: bool, hedged: bool,
             kind: str, advice: bool = False) -> tuple[float, ...]:
    """The feature vector, in :data:`FEATURES` order. ``lexicon`` holds the
    risk weight of each distinct phrase found. A counter cue is a rule, not
    a fitted feature (the development data has too few refutations to learn
    from): it damps the lexicon to COUNTER_DAMPING and the model to ≤ 0.
    ``advice``: an advice / how-to cue in the segment or its title."""
    nb = min(MODEL_CLIP, max(-MODEL_NEG_CLIP, model_logit))
    # max(lexicon, default=0.0) and sum(lexicon), added in the same order, in one loop (no calls).
    strongest = total = 0.0
    for i, w in enumerate(lexicon):
        total += w
        if i == 0 or w > strongest:
            strongest = w
    more = min(LEXICON_MORE_CAP, total - strongest)
    if countered:
        nb, strongest, more = min(nb, 0.0), strongest * COUNTER_DAMPING, more * COUNTER_DAMPING
    rout, tip, pos = (1.0 if routine else 0.0), (1.0 if advice else 0.0), max(nb, 0.0)
    return (min(nb, 0.0), pos, strongest, more, rout, rout * pos, 1.0 if hedged else 0.0, tip, tip * pos)


@dataclass(frozen=True)
class Combination:
    intercept: float
    weights: tuple[float, ...]  # in FEATURES order
    meta: dict = field(default_factory=dict, compare=False)

    def logit(self, x: Sequence[float]) -> float:
        total = 0.0  # the products summed in order, as sum(map(mul, weights, x)) adds them
        for w, v in zip(self.weights, x):
            total += w * v
        return self.intercept + total

    def probability(self, x: Sequence[float]) -> float:
        z = max(-40.0, min(40.0, self.logit(x)))
        return 1.0 / (1.0 + math.exp(-z))

    def neutral(self) -> float:
        """The probability of a segment with no evidence either way: every
        feature 0 — no phrase, no cue, the model's logit 0 (its "negative" and
        "not negative" in balance) — i.e. sigmoid(intercept). The intercept
        holds the offset that puts the fit's operating point at the alert
        threshold, so this is the fitted scale's neutral point, not 0.5: a
        segment only the model speaks about scores above it exactly when the
        model's reading, after the cues' pull (advice, routine…), is on the
        negative side."""
        return self.probability((0.0,) * len(self.weights))

    # ------------------------------------------------------------ file format

    def to_json(self) -> str:
        data = {"features": list(FEATURES), "intercept": round(self.intercept, 6),
                "weights": {f: round(w, 6) for f, w in zip(FEATURES, self.weights)}, "meta": self.meta}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_mapping(cls, data: Mapping) -> Combination:
        weights = data["weights"]
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"combination: unknown features {sorted(unknown)}")
        return cls(float(data["intercept"]), tuple(float(weights.get(f, 0.0)) for f in FEATURES),
                   dict(data.get("meta", {})))


def load_packaged() -> Combination:
    """The coefficients shipped in sentiment/data (see MODEL_CARD.md there)."""
    return Combination.from_mapping(json.loads(resources.files("sentiment").joinpath(COMBINATION_FILE)
                                               .read_text(encoding="utf-8")))
