"""The sentiment model: snownlp's format, sound scoring, reproducible training."""
import gzip
import marshal

import pytest

from sentiment import bayes
from sentiment.tokenize import Tokenizer
from tools import devdata


@pytest.fixture(scope="module")
def model():
    return bayes.load_packaged()


def test_shipped_model_is_small_and_names_its_provenance(model):
    from importlib import resources
    size = len(resources.files("sentiment").joinpath(bayes.MODEL_FILE).read_bytes())
    assert size < 5 * 1024 * 1024
    assert "sentiment-dev" in model.meta["source"] and model.meta["train_texts"] > 10000
    assert resources.files("sentiment").joinpath("data/MODEL_CARD.md").is_file()


def test_shipped_model_loads_in_snownlps_own_bayes_class(model, tmp_path):
    from snownlp.classification.bayes import Bayes
    path = tmp_path / "model.marshal"
    (tmp_path / "model.marshal.3").write_bytes(model.dumps())  # snownlp appends .3 on Python 3
    nb = Bayes()
    nb.load(str(path))
    assert set(nb.d) == {"neg", "pos"}
    assert nb.classify(["拖延", "欺骗", "投诉"])[0] == "neg"
    assert nb.classify(["满意", "好评", "感谢"])[0] == "pos"


def test_scores_are_probabilities_and_long_texts_do_not_saturate(model):
    tok = Tokenizer()
    once = tok.words("这家公司服务态度恶劣，一直推诿，太让人失望了。")
    assert 0.5 < model.negativity(once) < 1.0
    assert model.negativity(once * 200) == model.negativity(once)  # presence, not counts
    assert model.negativity(tok.words("服务热情周到，办理很快，非常满意，点赞。")) < 0.5
    assert model.negativity([]) == bayes.sigmoid(model.bias)  # nothing known: the prior
    assert set(model.drivers(once)) <= set(once)


def test_training_and_calibration_on_toy_data():
    texts = [(["差", "慢", "坑"], 1), (["差", "拖"], 1), (["好", "快"], 0), (["好", "满意", "快"], 0)] * 10
    m = bayes.train(texts, min_df=2)
    assert m.negativity(["差"]) > 0.5 > m.negativity(["好"])
    assert m.negativity(["没见过的词"]) == bayes.sigmoid(0.0)
    again = bayes.NaiveBayes.loads(m.dumps())
    assert again.llr == m.llr and again.meta["min_df"] == 2
    # Platt scaling recovers a known logistic relation.
    xs = [i / 10 for i in range(-50, 51)]
    ys = [1 if bayes.sigmoid(2.0 * x - 1.0) > (i * 0.6180339887) % 1 else 0 for i, x in enumerate(xs)]
    scale, bias = bayes.fit_calibration(xs, ys)
    assert 1.0 < scale < 4.0 and -2.5 < bias < 0.0


def test_stored_format_is_snownlps_add_one_counts(model):
    data = marshal.loads(gzip.decompress(model.dumps()))
    neg = data["d"]["neg"]
    assert neg["none"] == 1 and neg["total"] == sum(neg["d"].values())
    assert data["total"] == neg["total"] + data["d"]["pos"]["total"]


@pytest.mark.skipif(not devdata.available(), reason="../shared/data/sentiment-dev is not here (a user's checkout)")
def test_training_script_reproduces_the_shipped_model():
    from importlib import resources

    from tools.train_sentiment import build
    shipped = marshal.loads(gzip.decompress(resources.files("sentiment").joinpath(bayes.MODEL_FILE).read_bytes()))
    # The content, not the bytes: marshal marks objects shared by reference
    # count, which differs when sentiment/ is compiled (mypyc holds its own).
    built = marshal.loads(gzip.decompress(build(Tokenizer()).dumps()))
    assert built == shipped, "run: python tools/train_sentiment.py (and update MODEL_CARD.md)"
    for label in ("neg", "pos"):  # and the words in the same order
        assert list(built["d"][label]["d"]) == list(shipped["d"][label]["d"])
