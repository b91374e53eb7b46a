"""The story fingerprint's fast paths give what the definition gives, and the story store's
band rows survive migration 143 (the band index in memory) with assignments unchanged."""
import binascii
import json
import random
import shutil
import struct
from datetime import timedelta

import pytest

from contracts.messages import stable_id
from pipeline.statedb import connect, migrate, transaction
from pipeline.stories import MIGRATIONS, StoryStore, _with_story
from sentiment import stories
from sentiment.stories import (
    FINGERPRINT_CHARS,
    _char_sketch,
    _few_hashes,
    _normalised,
    _sketch,
    _title,
    _window_sketch,
    band_keys,
    fingerprint,
    new_story,
    normalise_title,
)
from sentiment.title_keys import _NUMBER, numbers_of
from tests.unit.test_sentiment_stories import BODY, OTHER, T0, scored, story_of

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
    assert stories.story_id_for(title, "doc") == stable_id("story", norm)
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


def test_an_existing_store_migrates_to_the_band_index_with_the_same_bands(tmp_path):
    # A store as it was before migration 143: band rows in a table, a pruned document without any. Opened now,
    # a document with band rows is a candidate (a copy under another title joins its story), a pruned one is not.
    old = tmp_path / "migrations" / "sqlite"
    old.mkdir(parents=True)
    for f in (MIGRATIONS / "sqlite").glob("*.sql"):
        if int(f.name[:3]) < 143:
            shutil.copy(f, old / f.name)
    path = tmp_path / "stories.db"
    db = connect(path)
    migrate(db, "stories", old.parent)
    seen = int(T0.timestamp() * 1_000_000)
    with transaction(db):
        for doc_id, title, text, banded in (("d-kept", "市民投诉中国人寿吉林省分公司拒赔", BODY, True),
                                            ("d-pruned", "协会开展保险知识宣传", OTHER, False)):
            sketch = fingerprint(title, text)
            db.execute("INSERT INTO stories (id, body) VALUES (?, ?)", (f"s-{doc_id}", json.dumps(
                new_story(f"s-{doc_id}", T0).to_dict() | {"doc_count": 1, "channels": {"news": 1}})))
            db.execute("INSERT INTO story_docs VALUES (?, ?, ?, ?, ?, ?)",
                       (doc_id, f"s-{doc_id}", normalise_title(title), "[]", struct.pack(">32q", *sketch), seen))
            if banded:
                for k in band_keys(sketch):
                    db.execute("INSERT INTO story_bands VALUES (?, ?, ?)", (k, doc_id, seen))
    db.close()
    store = StoryStore(path)  # migrates
    try:
        rows = store._db.execute("SELECT doc_id, seq, banded FROM story_docs ORDER BY seq").fetchall()
        assert [tuple(r) for r in rows] == [("d-kept", 1, 1), ("d-pruned", 2, None)]
        assert not store._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'story_bands'").fetchall()
        kept, pruned = store.assign_many([
            scored("网友称王先生重疾险被拒赔", BODY, "http://b.example.cn/1", at=T0 + timedelta(hours=1)),
            scored("保险知识宣传活动举行", OTHER, "http://b.example.cn/2", at=T0 + timedelta(hours=1))])
        assert kept.story_id == "s-d-kept" and story_of(kept)["doc_count"] == 2
        assert pruned.story_id != "s-d-pruned" and story_of(pruned)["doc_count"] == 1
        assert [r[0] for r in store._db.execute("SELECT seq FROM story_docs ORDER BY seq")] == [1, 2, 3, 4]
    finally:
        store.close()


def test_title_numbers_by_table_are_the_pattern_s():
    """A title's numbers (runs of \\d, leading zeros dropped) by table are those of the pattern, with digits
    of other scripts (١٢, １２) and beyond the BMP (𝟎); superscripts are no \\d."""
    rng = random.Random(5)
    alphabet = list("第期号0123456789０１２٣١²½ⅷ平安aZ") + ["𝟎", "𝟗", "𠮷"]
    for _ in range(3000):
        norm = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20)))
        assert numbers_of(norm) == tuple(n.lstrip("0") or "0" for n in _NUMBER.findall(norm)), norm
