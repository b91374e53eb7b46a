"""A batch's fingerprints at once (sentiment/sketches.py) are each document's own fingerprint."""
import random

import pytest

from sentiment import sketches
from sentiment.sketches import fingerprints
from sentiment.stories import fingerprint
from tests.unit.test_sentiment_stories import BODY
from tests.unit.test_story_fingerprint_paths import _ALPHABET, _definition, _texts

_CLEAN = list("中国人寿吉林分公司拒赔保险理赔消费者投诉监管部门长春市民表示记者获悉，。、 ")


def _batch(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """Long clean texts (the joined way), some with an odd character put in (Σ, İ, beyond the BMP, a lone
    surrogate...), some short or mostly noise (fingerprinted alone)."""
    docs = []
    for _ in range(size):
        text = "".join(rng.choice(_CLEAN) for _ in range(rng.choice([60, 129, 135, 300, 1000, 3200])))
        if rng.random() < 0.2:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(_ALPHABET) + text[at:]
        if rng.random() < 0.1:
            text = "，。 " * 60 + text[:100]  # long, but fewer than 131 characters kept
        docs.append((rng.choice(["", "标题", "【转载】国寿吉林分公司被投诉拒赔"]), text))
    return docs


@pytest.mark.parametrize("size", [1, 2, 3, 17, 100])
def test_a_batch_s_fingerprints_are_each_document_s_own(size):
    rng = random.Random(size)
    for _ in range(6):
        docs = _batch(rng, size)
        assert fingerprints(docs) == [fingerprint(t, x) for t, x in docs] == [_definition(t, x) for t, x in docs]


def test_odd_texts_in_a_batch_are_fingerprinted_alone_and_the_rest_joined():
    docs = list(_texts(300)) + [("国寿吉林", BODY * 3), ("", "中国人寿" * 200)]
    assert fingerprints(docs) == [fingerprint(t, x) for t, x in docs]
    texts = ["中国人寿吉林分公司" * 20, "保险𠮷理赔" * 40, "消费者投诉" * 30, "İ" + "监管部门" * 40]
    found = sketches._joined_sketches(texts)
    assert [s is None for s in found] == [False, True, False, True]  # beyond the BMP, irregular: alone
    assert found[0] == fingerprint("", texts[0]) and found[2] == fingerprint("", texts[2])
