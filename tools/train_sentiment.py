"""Train the shipped sentiment model from the shared development data.

    python tools/train_sentiment.py [--data ../shared/data/sentiment-dev] [--baseline]

Reproduces ``sentiment/data/sentiment_nb.marshal.3`` byte for byte (the split
is by text hash, training is deterministic, gzip carries no timestamp):

1. training part of all five sets (one text in five is held out);
2. calibration: train on four fifths of that, fit the logistic (Platt)
   calibration on the remaining fifth, then retrain on the whole training
   part keeping that calibration;
3. report precision / recall / F1 of the negative class on the held-out
   validation part, and with ``--baseline`` snownlp's bundled model on the
   same texts (slow: its segmenter reads ~25 texts a second).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment import bayes  # noqa: E402
from sentiment.tokenize import Tokenizer, user_dictionary_lines  # noqa: E402
from tools import devdata  # noqa: E402

ALPHA, MIN_DF = 1.0, 2
# Names of places, people and organisations, numerals, times and Latin words
# carry the training sets' topics (P2P platforms, 2018 cities), not sentiment:
# learnt, they would make 吉林省 or a company name "negative". They are left
# out of the vocabulary, so at scoring time they are unknown and ignored.
DROP_TAGS = {"ns", "nr", "nrt", "nrfg", "nt", "nz", "m", "t", "eng", "x"}


def model_tokens(tok: Tokenizer, text: str, domain: set[str]) -> list[str]:
    """Training tokens: no proper names or numbers, and no insurance domain
    words (理赔, 保单, 拒赔…): those are topics here, and the negative ones are
    the lexicon's job (rules.yaml), where they carry a risk type."""
    return [w for w, tag in tok.tagged(text) if tag not in DROP_TAGS and w not in domain]


def prf(pairs) -> dict:
    tp = sum(1 for y, p in pairs if y and p)
    fp = sum(1 for y, p in pairs if not y and p)
    fn = sum(1 for y, p in pairs if y and not p)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "n": len(pairs)}


def build(tok: Tokenizer, keep=None) -> bayes.NaiveBayes:
    """The model from the training part; ``keep(text)`` may leave texts out
    (tools/fit_combination.py fits on models that never saw the text)."""
    names = devdata.FINANCE + devdata.REVIEWS
    domain = {line.split()[0] for line in user_dictionary_lines()}
    train = [(model_tokens(tok, r["text"], domain), r["label"])
             for n in names for r in devdata.split(n, "train") if keep is None or keep(r["text"])]

    def inner(i: int) -> bool:  # a second, independent hash for the calibration fold
        return int(hashlib.md5(str(i).encode()).hexdigest(), 16) % 5 == 0
    fold = [t for i, t in enumerate(train) if inner(i)]
    rest = [t for i, t in enumerate(train) if not inner(i)]
    provisional = bayes.train(rest, alpha=ALPHA, min_df=MIN_DF)
    scale, bias = bayes.fit_calibration([provisional.evidence(t) for t, _ in fold], [y for _, y in fold])
    meta = {"trained_on": [f"{n} (train split)" for n in names], "train_texts": len(train),
            "tokenizer": "rjieba (jieba-rs) + sentiment/data/insurance_dict.txt",
            "dropped": "POS " + ",".join(sorted(DROP_TAGS)) + " and the insurance dictionary's words",
            "source": "../shared/data/sentiment-dev; see sentiment/data/MODEL_CARD.md"}
    model = bayes.train(train, alpha=ALPHA, min_df=MIN_DF, meta=meta)
    model.scale, model.bias = scale, bias
    return model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="folder with the sentiment-dev TSVs")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "sentiment" / bayes.MODEL_FILE))
    ap.add_argument("--baseline", action="store_true", help="also score snownlp's bundled model (slow)")
    args = ap.parse_args()
    if args.data:
        os.environ["YUQING_SENTIMENT_DEV"] = args.data
    if not devdata.available():
        sys.exit(f"no development data in {devdata.data_dir()}")
    tok = Tokenizer()
    t0 = time.perf_counter()
    model = build(tok)
    Path(args.out).write_bytes(model.dumps())
    print(f"trained in {time.perf_counter() - t0:.1f}s: vocabulary {len(model.llr)}, scale {model.scale:.3f}, "
          f"bias {model.bias:.3f} -> {args.out} ({Path(args.out).stat().st_size // 1024} KB)")
    for name in devdata.FINANCE + devdata.REVIEWS:
        val = devdata.split(name, "validation")
        ours = prf([(r["label"], model.negativity(tok.words(r["text"])) >= 0.5) for r in val])
        line = f"{name:28} ours {ours}"
        if args.baseline:
            from snownlp import SnowNLP
            base = prf([(r["label"], 1 - SnowNLP(r["text"]).sentiments > 0.5) for r in val])
            line += f"\n{'':28} snownlp {base}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
