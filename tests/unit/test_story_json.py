"""The story store's JSON texts (pipeline/stories.py: a story's body, a title's numbers) are json.dumps's, character
for character."""
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from contracts.messages import Channel, Document, ScoredDocument
from pipeline.stories import StoryStore, _body_json, _numbers_json

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
# Characters JSON escapes, that isprintable refuses (but JSON writes as they are), beyond the BMP, a lone surrogate
_ODD = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\u3000", "\xa0", "😀", "\ud800", "中", "/", "'"]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_ODD + list("abc吉林.-:")) for _ in range(rng.randrange(0, 6)))


@pytest.mark.parametrize("seed", range(5))
def test_a_body_s_odd_strings_are_written_as_json_dumps_writes_them(seed):
    rng = random.Random(seed)
    for _ in range(200):
        story = {"id": _word(rng), "first_seen": "2026-12-01T08:00:00+00:00", "doc_count": rng.randrange(-3, 10**12),
                 "channels": {_word(rng): rng.randrange(5) for _ in range(rng.randrange(3))},
                 "sites": {_word(rng): rng.randrange(5) for _ in range(rng.randrange(3))},
                 "spread": {}, _word(rng): {"nested": {_word(rng): _word(rng)}}}
        assert _body_json(story) == _dumps(story)


@pytest.mark.parametrize("value", [1.5, True, None, [1, 2], (1,), {1: 2}, {"a": [1]}, {"a": 2.0}, {"a": False}])
def test_a_body_s_other_values_are_written_as_json_dumps_writes_them(value):
    story = {"id": "s", "doc_count": 1, "channels": {"news": 1}, "other": value}
    assert _body_json(story) == _dumps(story)
    assert _body_json({}) == "{}"


def test_the_store_writes_every_body_as_json_dumps_would(tmp_path):
    store = StoryStore(tmp_path / "stories.db")
    docs = []
    for i in range(60):
        doc = Document(id=f"d{i}", url=f"http://x.cn/{i}", source_id="s", channel=list(Channel)[i % 9],
                       site=['a.cn', '新浪"网', "b\\c.cn"][i % 3], title=f"国寿吉林分公司被投诉拒赔 第{i % 7}次",
                       text="理赔" * 80, crawled_at=T0 + timedelta(minutes=i))
        docs.append(ScoredDocument.from_document(doc))
    store.assign_many(docs)
    bodies = store._db.execute("SELECT body FROM stories").fetchall()
    assert len(bodies) >= 7
    assert all(body == _dumps(json.loads(body)) for (body,) in bodies)


@pytest.mark.parametrize("numbers", [(), ("500000",), ("3", "10.5", "2026"), ("1/2", "3-4", "5%"), ("二〇二六",),
                                     ("a\"b",), ("a\\b",), ("\x00",), ("\x7f",), ("😀",), ("\u2028",), ("１２",)])
def test_a_title_s_numbers_are_written_as_json_dumps_writes_them(numbers):
    assert _numbers_json(numbers) == json.dumps(numbers)
