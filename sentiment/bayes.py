"""Naive Bayes negativity on jieba tokens, stored in snownlp's model format.

snownlp's bundled sentiment model was trained on shopping reviews, on its own
segmenter's tokens, with a smoothing quirk: an unseen word costs 1/total of
each class, so unknown words push towards the smaller class, and long texts
saturate to 0 or 1. This module keeps snownlp's Bayes *format* (a gzipped
marshal dict that ``snownlp.classification.bayes.Bayes().load`` reads) and
scores it soundly:

* Bernoulli-style counts: each token counts once per text (document
  frequency), which suits sentiment better than raw counts;
* one shared vocabulary (tokens seen in at least ``min_df`` training texts)
  with Laplace smoothing over it; tokens outside it are ignored, not counted
  against a class;
* evidence normalised by the square root of the number of known tokens, then
  a logistic calibration (``scale``, ``bias``) fitted on held-out texts, so a
  score is a probability and a long text does not saturate.

The calibration and provenance travel in the same file under the key
``"yuqing"``, which snownlp's loader ignores. Importing this module does not
import snownlp (its import alone loads ~400 MB of models).
"""
from __future__ import annotations

import gzip
import marshal
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Final

MODEL_FILE = "data/sentiment_nb.marshal.3"  # snownlp appends ".3" on Python 3
_NUMERIC = re.compile(r"^[\d.,%％]+$")
_FSUM: Final = math.fsum


def features(tokens: Iterable[str]) -> set[str]:
    """The model's features for a text: its distinct tokens, lower-cased,
    without pure numbers (dates and amounts carry no sentiment and overfit)."""
    return {t.lower() for t in tokens if not _NUMERIC.match(t)}


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, x))))


class NaiveBayes:
    """Binary NB: ``negativity(tokens)`` in [0, 1] (1 = negative)."""

    def __init__(self, neg: dict[str, int], pos: dict[str, int], *, alpha: float = 1.0,
                 scale: float = 1.0, bias: float = 0.0, meta: dict | None = None) -> None:
        self.neg, self.pos = neg, pos
        self.alpha, self.scale, self.bias = alpha, scale, bias
        self.meta = dict(meta or {})
        vocab = set(neg) | set(pos)
        v = len(vocab)
        tn, tp = sum(neg.values()) + alpha * v, sum(pos.values()) + alpha * v
        # Per-token log-likelihood ratio, precomputed: scoring is a dict lookup per token.
        self.llr = {w: math.log((neg.get(w, 0) + alpha) / tn) - math.log((pos.get(w, 0) + alpha) / tp)
                    for w in vocab}

    # ------------------------------------------------------------ scoring

    def evidence(self, tokens: Iterable[str]) -> float:
        """Summed log-likelihood ratio over known tokens / sqrt(their number).

        Raw tokens will do: the vocabulary holds no numbers, punctuation or
        Latin words (see :func:`features` and the training's dropped tags),
        so those are simply unknown here."""
        return self.known_evidence(self.known(list(tokens)))

    def known(self, tokens: list[str]) -> dict[str, float]:
        """The distinct tokens the model knows, each with its log-likelihood ratio (one look-up per token), for
        :meth:`known_logit` and :meth:`known_drivers`: a segment's score and its reasons share it."""
        llr = self.llr
        found: dict[str, float] = {}
        for t in tokens:
            v = llr.get(t)
            if v is not None:
                found[t] = v
        return found

    def known_evidence(self, known: dict[str, float]) -> float:
        """:meth:`evidence` of the tokens :meth:`known` returned."""
        if not known:
            return 0.0
        # fsum: exact, so the result does not depend on the tokens' order (bound once: math.fsum is a module
        # attribute look-up per call, compiled too).
        return _FSUM(known.values()) / math.sqrt(len(known))

    def known_logit(self, known: dict[str, float]) -> float:
        return self.scale * self.known_evidence(known) + self.bias

    def logit(self, tokens: Iterable[str]) -> float:
        return self.known_logit(self.known(list(tokens)))

    def negativity(self, tokens: Iterable[str]) -> float:
        return sigmoid(self.logit(tokens))

    def drivers(self, tokens: Iterable[str], n: int = 3) -> list[str]:
        """The tokens that pushed hardest towards negative (for reasons)."""
        return self.known_drivers(self.known(list(tokens)), n)

    def known_drivers(self, known: dict[str, float], n: int = 3) -> list[str]:
        """:meth:`drivers` of the tokens :meth:`known` returned (sorted by ratio and token: in any order the same)."""
        scored = []
        for f, v in known.items():
            if v > 0.5:
                scored.append((v, f))
        scored.sort(reverse=True)
        return [f for _, f in scored[:n]]

    # ------------------------------------------------------------ snownlp format

    def to_snownlp(self) -> dict:
        """snownlp's Bayes dict: AddOneProb per class (stored count = count + 1)."""
        def prob(counts: dict[str, int]) -> dict:
            # Sorted: the same model gives the same bytes whatever the hash seed.
            d = {w: c + 1 for w, c in sorted(counts.items())}
            return {"d": d, "total": float(sum(d.values())), "none": 1}
        neg, pos = prob(self.neg), prob(self.pos)
        return {"total": neg["total"] + pos["total"], "d": {"neg": neg, "pos": pos},
                "yuqing": {**self.meta, "alpha": self.alpha, "scale": self.scale, "bias": self.bias}}

    @classmethod
    def from_snownlp(cls, data: dict) -> NaiveBayes:
        meta = dict(data.get("yuqing", {}))
        counts = {k: {w: c - 1 for w, c in data["d"][k]["d"].items() if c > 1} for k in ("neg", "pos")}
        return cls(counts["neg"], counts["pos"], alpha=meta.pop("alpha", 1.0), scale=meta.pop("scale", 1.0),
                   bias=meta.pop("bias", 0.0), meta=meta)

    def dumps(self) -> bytes:
        return gzip.compress(marshal.dumps(self.to_snownlp()), mtime=0)

    @classmethod
    def loads(cls, blob: bytes) -> NaiveBayes:
        return cls.from_snownlp(marshal.loads(gzip.decompress(blob)))


def load_packaged() -> NaiveBayes:
    """The model shipped in sentiment/data (see MODEL_CARD.md there)."""
    return NaiveBayes.loads(resources.files("sentiment").joinpath(MODEL_FILE).read_bytes())


# ------------------------------------------------------------ training (pure)


def train(texts: Iterable[tuple[Sequence[str], int]], *, alpha: float = 1.0, min_df: int = 2,
          meta: dict | None = None) -> NaiveBayes:
    """Train on ``(tokens, label)`` pairs, label 1 = negative. Calibration is
    left at identity; fit it on held-out texts with :func:`fit_calibration`."""
    neg: Counter[str] = Counter()
    pos: Counter[str] = Counter()
    for tokens, label in texts:
        (neg if label else pos).update(features(tokens))
    df = neg + pos
    keep = {w for w, c in df.items() if c >= min_df}
    return NaiveBayes({w: neg[w] for w in keep if neg[w]}, {w: pos[w] for w in keep if pos[w]},
                      alpha=alpha, meta={**(meta or {}), "min_df": min_df})


def fit_calibration(xs: Sequence[float], ys: Sequence[int], iterations: int = 500) -> tuple[float, float]:
    """Logistic regression of labels on one feature (Platt scaling) by Newton's
    method; returns ``(scale, bias)``."""
    a, b = 1.0, 0.0
    for _ in range(iterations):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = sigmoid(a * x + b)
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) < 1e-9 and abs(db) < 1e-9:
            break
    return a, b
