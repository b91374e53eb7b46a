"""Fit the scorer's combination of model and lexicon (sentiment/combine.py).

    python tools/fit_combination.py [--data ../shared/data/sentiment-dev] [--config config/demo]

Writes ``sentiment/data/combination.json`` (deterministic: same data, same
file). Pure Python (no numpy): a logistic regression with a little L2, by
Newton's method, over the features of sentiment/combine.py.

1. Data: the *training* part (tools/devdata.py) of the finance news set (a
   text is scored sentence by sentence), the finance headlines (each scored as
   a title), all with the sources' own labels (a holder's share sale is
   mildly negative for the company; rules.yaml's risk_levels decide that the
   association does not alert on it), and a sample of the review sets (everyday
   complaint vocabulary). Stock-forum posts are left out: their negatives are
   bearish talk about the market, not news about a company.
2. Each set is reweighted to the same, realistic share of negatives
   (PRIOR). A document is as negative as its worst segment (negativity.aggregate), so
   the fit alternates: pick each document's worst segment under the current
   coefficients, refit on those (multiple-instance learning, a few rounds).
3. Five-fold cross-validation (folds by a hash of the text, the same folds
   as the naive Bayes models behind the model feature) on the training part: out-of-fold scores choose
   the operating point (the highest threshold whose out-of-fold recall of the
   negative class on the finance sets is ≥ TARGET_RECALL); its precision,
   recall and F1 are printed and stored in the file's ``meta``.
4. Final fit on the whole training part; the intercept is offset so that the
   operating point lands on rules.yaml's ``negative_threshold``.
The validation part stays unseen; tests/eval reports on it. The texts have
no titles (a headline is its own title), so a how-to title's reach over its
document's segments (combine.py's ``advice``) is not fitted: the segment's
own advice cue is.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment import combine  # noqa: E402
from sentiment.negativity import aggregate  # noqa: E402
from sentiment.tokenize import split_sentences  # noqa: E402
from tools import devdata  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET_RECALL = 0.9
L2 = 1.0
ROUNDS = 4
FOLDS = 5
PRIOR = 0.2  # share of negatives the fit assumes (see sample_weights())
REVIEW_SAMPLE = 600  # per review set: complaint vocabulary without drowning the finance sets
SETS = ("fin_news_entity_neg.tsv", "fin_headlines.tsv")


def fold_of(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % FOLDS


def documents(negativity, part: str = "train") -> list[tuple[str, int, list[tuple[float, ...]], str]]:
    """``(set, label, segment features, text)`` for each document. The
    model's feature of a document comes from a naive Bayes trained without
    that document's fold (stacking): the shipped model has seen every
    training text, and its in-sample confidence would be overtrusted."""
    from tools.train_sentiment import build
    shipped = negativity.model
    fold_models = [build(negativity._tok, keep=lambda t, k=k: fold_of(t) != k) for k in range(FOLDS)]
    out = []
    for name in SETS + devdata.REVIEWS:
        rows = devdata.split(name, part)
        if name in devdata.REVIEWS:
            rows = sorted(rows, key=lambda r: hashlib.md5(r["text"].encode()).hexdigest())[:REVIEW_SAMPLE]
        for r in rows:
            if name == "fin_headlines.tsv":
                segments = [(r["text"], "title")]
            else:
                segments = [(s, "sentence") for s in split_sentences(r["text"])]
            negativity.model = fold_models[fold_of(r["text"])]
            xs = [negativity.evidence(t, kind)[0] for t, kind in segments if t]
            negativity.model = shipped
            if xs:
                out.append((name, r["label"], xs, r["text"]))
    return out


# ------------------------------------------------------------ logistic regression


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[c][c]:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def fit_logistic(xs: list[tuple[float, ...]], ys: list[int], ws: list[float]) -> list[float]:
    """Weighted L2 logistic regression; returns [intercept, *weights]."""
    d = len(xs[0]) + 1
    beta = [0.0] * d
    rows = [(1.0, *x) for x in xs]
    for _ in range(30):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y, w in zip(rows, ys, ws):
            z = max(-40.0, min(40.0, sum(b * v for b, v in zip(beta, x))))
            p = 1.0 / (1.0 + math.exp(-z))
            g, h = w * (p - y), w * p * (1 - p)
            for i in range(d):
                grad[i] += g * x[i]
                hi = hess[i]
                for j in range(i, d):
                    hi[j] += h * x[i] * x[j]
        for i in range(d):
            for j in range(i):
                hess[i][j] = hess[j][i]
            if i:  # no penalty on the intercept
                grad[i] += L2 * beta[i]
                hess[i][i] += L2
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return beta


def sample_weights(docs) -> list[float]:
    """Each set reweighted to the same share of negatives, PRIOR: in the
    development sets half or more of the texts are negative, in what the
    association's crawlers bring in few are, and an intercept fitted on the
    sets' own shares would call a plain insurance headline negative. Review
    sets count half."""
    share = {}
    for name in {n for n, _, _, _ in docs}:
        labels = [y for n, y, _, _ in docs if n == name]
        share[name] = sum(labels) / len(labels)
    out = []
    for name, y, _, _ in docs:
        w = PRIOR / share[name] if y else (1 - PRIOR) / (1 - share[name])
        out.append(w * (0.5 if name in devdata.REVIEWS else 1.0))
    return out


def fit(docs) -> combine.Combination:
    # Start from the worst segment by model + lexicon, then by the fit itself.
    start = {"model_neg": 1.0, "model_pos": 1.0, "lexicon": 2.0}
    model = combine.Combination(0.0, tuple(start.get(f, 0.0) for f in combine.FEATURES))
    ys, ws = [y for _, y, _, _ in docs], sample_weights(docs)
    for _ in range(ROUNDS):
        chosen = [max(xs, key=model.logit) for _, _, xs, _ in docs]
        keep = list(range(len(combine.FEATURES)))
        while True:  # drop a feature whose weight must not be negative but is
            beta = fit_logistic([tuple(x[i] for i in keep) for x in chosen], ys, ws)
            wrong = [i for i, b in zip(keep, beta[1:]) if b < 0 and combine.FEATURES[i] in combine.NON_NEGATIVE]
            if not wrong:
                break
            keep.remove(wrong[0])
        weights = dict(zip(keep, beta[1:]))
        model = combine.Combination(beta[0], tuple(weights.get(i, 0.0) for i in range(len(combine.FEATURES))))
    return model


def doc_score(model: combine.Combination, xs) -> float:
    return aggregate([model.probability(x) for x in xs])


def prf(pairs) -> dict:
    tp = sum(1 for y, p in pairs if y and p)
    fp = sum(1 for y, p in pairs if not y and p)
    fn = sum(1 for y, p in pairs if y and not p)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "n": len(pairs)}


def cross_validate(docs) -> list[tuple[str, int, float]]:
    """Out-of-fold ``(set, label, score)``."""
    out = []
    for k in range(FOLDS):
        model = fit([d for d in docs if fold_of(d[3]) != k])
        out += [(n, y, doc_score(model, xs)) for n, y, xs, t in docs if fold_of(t) == k]
    return out


def operating_point(oof) -> float:
    finance = [(y, s) for n, y, s in oof if n in SETS]
    best = 0.05
    for t in [i / 200 for i in range(10, 190)]:
        if prf([(y, s >= t) for y, s in finance])["recall"] >= TARGET_RECALL:
            best = t
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="folder with the sentiment-dev TSVs")
    ap.add_argument("--config", default=str(REPO / "config" / "demo"))
    ap.add_argument("--out", default=str(REPO / "sentiment" / combine.COMBINATION_FILE))
    args = ap.parse_args()
    if args.data:
        os.environ["YUQING_SENTIMENT_DEV"] = args.data
    if not devdata.available():
        sys.exit(f"no development data in {devdata.data_dir()}")
    import tempfile

    from pipeline.config import load_config
    from yuqing.bootstrap import App
    # The features do not depend on the coefficients: do not read the file being replaced.
    combine.load_packaged = lambda: combine.Combination(0.0, (0.0,) * len(combine.FEATURES))
    with tempfile.TemporaryDirectory() as tmp:
        app = App(load_config(args.config, data_dir=tmp))
        negativity = app.scorer.negativity
        threshold = app.scorer.levels.alert_threshold
        docs = documents(negativity)
        app.close()
    oof = cross_validate(docs)
    t = operating_point(oof)
    cv = {n: prf([(y, s >= t) for m, y, s in oof if m == n]) for n in SETS + devdata.REVIEWS}
    final = fit(docs)
    offset = math.log(threshold / (1 - threshold)) - math.log(t / (1 - t))
    meta = {"fitted_by": "tools/fit_combination.py", "data": "../shared/data/sentiment-dev, training part "
            "(fin_news_entity_neg, fin_headlines, the sources' own labels; a sample of the review sets)",
            "documents": len(docs), "operating_point": t, "target_recall": TARGET_RECALL,
            "offset_to_threshold": round(offset, 6), "alert_threshold": threshold,
            "cross_validated": cv}
    model = combine.Combination(final.intercept + offset, final.weights, meta)
    Path(args.out).write_text(model.to_json(), encoding="utf-8")
    print(f"{len(docs)} documents; operating point {t:.3f} (out-of-fold recall >= {TARGET_RECALL}) -> "
          f"threshold {threshold}; wrote {args.out}")
    for f, w in zip(combine.FEATURES, model.weights):
        print(f"  {f:20} {w:+.3f}")
    print(f"  {'intercept':20} {model.intercept:+.3f}")
    print("cross-validated (out-of-fold) at the operating point:")
    for n, m in cv.items():
        print(f"  {n:28} {m}")


if __name__ == "__main__":
    main()
