"""The story fingerprint's fast paths give what the definition gives, and the story store's
band rows survive migration 080 (keyed WITHOUT ROWID) with assignments unchanged."""
import binascii
import random
import sqlite3

import pytest

from pipeline.stories import StoryStore, _with_story
from sentiment import stories
from sentiment.stories import (
    FINGERPRINT_CHARS,
    _char_sketch,
    _few_hashes,
    _normalised,
    _sketch,
    _title,
    _window_sketch,
    fingerprint,
)
from tests.unit.test_sentiment_stories import BODY, OTHER, scored

_ALPHABET = list("中国人寿吉林分公司拒赔保险理赔ΑΣσςİIiKkAb0129 _-，。！【】[]:：转载发原创\t\n") + [
    "\ud800", "\udfff", "𠮷", "𠀀", "Ａ", "ǅ", "ß", "ﬁ", "Ω", "ẞ"]


def _definition(title: str, text: str) -> tuple[int, ...]:
    """The fingerprint as defined: the noise-free, lowered title and lead, hashed window by window."""
    norm = _normalised(f"{title}{text[:FINGERPRINT_CHARS]}")
    if not norm:
        return ()
    data = norm.encode("utf-32-le")
    return _sketch([binascii.crc32(data[4 * i:4 * (i + 4)]) for i in range(max(1, len(norm) - 3))])


def _texts(n: int):
    rng = random.Random(3)
    for i in range(n):
        size = rng.choice([0, 1, 3, 4, 5, 20, 120, 127, 128, 129, 131, 140, 400, 3100])
        pool = _ALPHABET if i % 3 else [c for c in _ALPHABET if c != "Σ"]
        title = rng.choice(["", "【转载】", "转发：", "[图]"]) + "".join(rng.choice(pool) for _ in range(rng.choice([0, 3, 12])))
        yield title, "".join(rng.choice(pool) for _ in range(size))


def test_fingerprint_paths_equal_the_definition():
    # Σ, İ, ß (irregular lower case), characters beyond the BMP, lone surrogates, every length
    # around the numpy threshold: the table paths may never change a fingerprint (band keys are stored).
    for title, text in _texts(1500):
        assert fingerprint(title, text) == _definition(title, text), (title, text)
    assert fingerprint("", "") == () and fingerprint("!!", "...") == ()
    assert fingerprint("市民投诉国寿拒赔", BODY) == _definition("市民投诉国寿拒赔", BODY)


def test_the_short_texts_one_pass_sketch_equals_the_definition_or_declines():
    # The compiled build's path for headlines and posts (lowering, dropping noise and hashing in one
    # pass over the characters): equal to the definition wherever it answers; None where its tables
    # do not say (beyond the BMP, an irregular lower case) or fewer than 4 characters are kept.
    answered = declined = 0
    for title, text in _texts(3000):
        lead = text[:FINGERPRINT_CHARS]
        if "Σ" in title or "Σ" in lead:
            continue  # fingerprint takes Python's own lower case first
        found = _char_sketch(_title(title)[0], lead)
        if found is None:
            declined += 1
            norm = _normalised(title + lead)
            assert len(norm) < 4 or any(ord(c) >= 0x10000 or len(c.lower()) != 1 for c in title + lead)
        else:
            answered += 1
            assert found == _definition(title, text), (title, text)
    assert answered > 300 and declined > 300
    assert _char_sketch("市民投诉国寿拒赔", BODY[:100]) == _definition("市民投诉国寿拒赔", BODY[:100])
    assert _char_sketch("", "国寿") is None and _char_sketch("", "𠮷野家牛丼") is None


def test_a_final_sigma_lowers_as_python_says_in_either_build():
    # Σ lowers to ς at a word's end, else σ; compiled code lowers without the rule unless told:
    # the story id and the fingerprint of such a title must not depend on how sentiment/ was built.
    title, text = "ΟΔΟΣ ΣΑΣ 保险理赔", "ΣΟΦΟΣ 拒赔"
    norm = stories._NOISE.sub("", title).lower()  # this test is interpreted: Python's str.lower
    assert norm == "οδοσσας保险理赔"  # the last Σ ends a word: ς
    assert stories.normalise_title(title) == norm
    assert stories.story_id_for(title, "doc") == stories.stable_id("story", norm)
    assert _normalised(title + text) == stories._NOISE.sub("", title + text).lower()
    data = stories._NOISE.sub("", title + text).lower().encode("utf-32-le")
    assert fingerprint(title, text) == _sketch([binascii.crc32(data[4 * i:4 * (i + 4)])
                                                for i in range(max(1, len(data) // 4 - 3))])


@pytest.mark.parametrize("norm", ["", "a", "abcd", "中国人寿吉林分公司拒赔", "𠮷野家𠮷牛丼", "x𠀀" * 40, "混合mixed文本123" * 8])
def test_the_native_window_sketch_equals_zlib_window_by_window(norm):
    assert _window_sketch(norm) == _sketch(list(_few_hashes(norm)))


def test_titles_are_normalised_once_for_story_id_title_key_and_fingerprint():
    stories._TITLES.clear()
    title = "【转载】第12号投诉：国寿拒赔 ΑΣ"
    assert stories.title_parts(title) == (stories.normalise_title(title), stories.title_numbers(title))
    assert stories.story_id_for(title, "doc") == stories.story_id_for("第12号投诉：国寿拒赔 ΑΣ", "other")
    assert title in stories._TITLES  # kept: the store asks again for what the scorer asked


def test_the_store_returns_the_documents_as_model_copy_would():
    doc = scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1")
    for update in ({"story_id": "s1", "story": {"doc_count": 1}}, {"story": None}):
        ours, theirs = _with_story(doc, update), doc.model_copy(update=update)
        assert ours == theirs and ours.to_bytes() == theirs.to_bytes()
        assert ours.model_fields_set == theirs.model_fields_set and ours.__pydantic_extra__ == theirs.__pydantic_extra__


def test_an_existing_store_migrates_to_keyed_band_rows_with_the_same_rows_and_stories(tmp_path):
    # A store as it was before migration 080: band rows in a table plus a covering index.
    path = tmp_path / "stories.db"
    store = StoryStore(path)
    first = store.assign_many([scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"),
                               scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2")])
    store.close()
    db = sqlite3.connect(path)
    rows = sorted(db.execute("SELECT key, doc_id, seen_us FROM story_bands"))
    db.executescript("""
        CREATE TABLE old_bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL, seen_us INTEGER NOT NULL);
        INSERT INTO old_bands SELECT key, doc_id, seen_us FROM story_bands;
        DROP TABLE story_bands; ALTER TABLE old_bands RENAME TO story_bands;
        CREATE INDEX story_bands_key_doc ON story_bands (key, seen_us, doc_id);
        DELETE FROM schema_migrations WHERE store = 'stories' AND version = 80;""")
    db.close()
    store = StoryStore(path)  # migrates
    try:
        assert sorted(map(tuple, store._db.execute("SELECT key, doc_id, seen_us FROM story_bands"))) == rows
        sql = store._db.execute("SELECT sql FROM sqlite_master WHERE name = 'story_bands'").fetchone()[0]
        assert "WITHOUT ROWID" in sql
        repost = store.assign(scored("【转载】市民投诉中国人寿吉林省分公司拒赔", "转自城市晚报。" + BODY, "http://b.example.cn/9"))
        assert repost.story_id == first[0].story_id and repost.story["doc_count"] == 2
    finally:
        store.close()
