"""The story store's contract, on every adapter (SQLite file, PostgreSQL database): reposts
share a story, a replay counts nothing twice, and scorers on several machines assigning
copies of one text at the same moment start one story between them."""
import json
import random
import shutil
import sqlite3
import struct
import threading
import uuid
from datetime import timedelta

import pytest

from contracts.messages import ScoredDocument
from pipeline.statedb import connect, migrate, transaction
from pipeline.stories import MAX_CANDIDATES, MIGRATIONS, StoryStore
from pipeline.story_index import BandIndex

_SKETCH = struct.Struct(">32q")
from sentiment.stories import band_keys, fingerprint, new_story, normalise_title
from tests.unit.test_sentiment_stories import BODY, OTHER, T0, scored, story_of


def test_reposts_share_a_story_and_a_replay_counts_nothing_twice(state_url):
    store = StoryStore(state_url)
    try:
        first, other, repost = store.assign_many([
            scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"),
            scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"),
            scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9", channel="weibo",
                   site="weibo.com", at=T0 + timedelta(hours=1))])
        assert repost.story_id == first.story_id != other.story_id
        assert story_of(repost)["doc_count"] == 2 and story_of(repost)["channels"] == {"news": 1, "weibo": 1}
        replay = store.assign(scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9"))
        assert replay.story_id == first.story_id and story_of(replay)["doc_count"] == 2
        assert store.prune(T0 + timedelta(days=30)) > 0
    finally:
        store.close()


def test_a_story_copied_more_often_than_the_candidate_limit_keeps_collecting(state_url):
    # Every copy shares every band with the others: the newest of them are the
    # candidates; each document keeps the story's state as it left it, though
    # later documents of its batch join the same story.
    hans = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥东南西北"
    store = StoryStore(state_url)
    try:
        first = store.assign_many([scored(f"网友转发{c}：王先生重疾险遭拒赔", BODY, f"http://c{i}.example.cn/1",
                                          at=T0 + timedelta(minutes=i)) for i, c in enumerate(hans[:MAX_CANDIDATES + 5])])
        assert len({d.story_id for d in first}) == 1
        assert [story_of(d)["doc_count"] for d in first] == list(range(1, MAX_CANDIDATES + 6))
        assert story_of(first[0])["channels"] == {"news": 1}
        later = store.assign(scored("又一转发：王先生重疾险遭拒赔", BODY, "http://d.example.cn/1", at=T0 + timedelta(hours=2)))
        assert later.story_id == first[0].story_id and story_of(later)["doc_count"] == MAX_CANDIDATES + 6
        outside = store.assign(scored("再一转发：王先生重疾险遭拒赔", BODY, "http://e.example.cn/1", at=T0 + timedelta(days=30)))
        assert outside.story_id != first[0].story_id  # beyond the window: its own story
    finally:
        store.close()


def test_concurrent_scorers_start_one_story_for_copies_of_one_text(state_url):
    n = 6
    stores = [StoryStore(state_url) for _ in range(n)]
    barrier, ids, errors = threading.Barrier(n), [""] * n, []

    def score(i: int) -> None:
        try:
            barrier.wait()
            doc = stores[i].assign(scored("转发：市民投诉中国人寿吉林省分公司拒赔", BODY,
                                          f"http://s{i}.example.cn/1", at=T0 + timedelta(seconds=i)))
            ids[i] = doc.story_id or ""
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=score, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        assert len(set(ids)) == 1
        story = stores[0].get(ids[0])
        assert story is not None and story.doc_count == n
    finally:
        for s in stores:
            s.close()


def test_equally_similar_stories_are_decided_alike_on_every_engine(state_url):
    # Two numbered items with one long text are two stories; a copy naming no
    # number is as similar to both (the titles' few shingles are no bin's
    # smallest), and joins the one whose document id sorts last: candidates
    # are compared in document id order on every engine.
    text = "".join(map(chr, range(0x4E00, 0x4E00 + 2900)))
    store = StoryStore(state_url)
    try:
        items = store.assign_many([scored(f"第{n}期 保险消费风险提示", text, f"http://f.example.cn/{n}",
                                          at=T0 + timedelta(minutes=n)) for n in (1, 2)])
        assert items[0].story_id != items[1].story_id
        copy = scored("转发 保险消费风险提示", text, "http://g.example.cn/1", at=T0 + timedelta(hours=1))
        sketches = [fingerprint(d.title, d.text) for d in (*items, copy)]
        assert sketches[0] == sketches[1] == sketches[2]  # equally similar, the premise of the test
        assert store.assign(copy).story_id == max(items, key=lambda d: d.id).story_id
    finally:
        store.close()


def test_documents_stored_before_sketches_were_bytes_are_still_compared(state_url, tmp_path):
    # A store filled before migration 140 holds each sketch as JSON text; opened now, such a
    # document is still a candidate: a copy under another title finds it by its bands and joins its story.
    old = tmp_path / "migrations"
    for engine in ("sqlite", "postgresql"):
        (old / engine).mkdir(parents=True)
        for f in (MIGRATIONS / engine).glob("*.sql"):
            if int(f.name[:3]) < 140:
                shutil.copy(f, old / engine / f.name)
    db = connect(state_url)
    migrate(db, "stories", old)
    sketch = fingerprint("市民投诉中国人寿吉林省分公司拒赔", BODY)
    seen = int(T0.timestamp() * 1_000_000)
    with transaction(db):
        db.execute("INSERT INTO stories (id, body) VALUES (?, ?)", ("s-old", json.dumps(
            new_story_dict("s-old"), ensure_ascii=False)))
        db.execute("INSERT INTO story_docs VALUES (?, ?, ?, ?, ?, ?)", ("d-old", "s-old", "市民投诉中国人寿吉林省分公司拒赔",
                                                                     "[]", json.dumps(list(sketch)), seen))
        for key in band_keys(sketch):
            db.execute("INSERT INTO story_bands VALUES (?, ?, ?)", (key, "d-old", seen))
    db.close()
    store = StoryStore(state_url)
    try:
        copy = store.assign(scored("网友称王先生重疾险被拒赔", BODY, "http://h.example.cn/1", at=T0 + timedelta(hours=1)))
        assert copy.story_id == "s-old" and story_of(copy)["doc_count"] == 2
    finally:
        store.close()
    store = StoryStore(state_url)  # another process: the new document's row read back from the store
    try:
        again = store.assign(scored("又有网友称王先生重疾险被拒赔", BODY, "http://h.example.cn/2", at=T0 + timedelta(hours=2)))
        assert again.story_id == "s-old" and story_of(again)["doc_count"] == 3
    finally:
        store.close()


def test_a_title_shared_by_two_stories_at_one_time_is_decided_alike_on_every_engine(state_url):
    # Two documents under one title, seen at the same moment, in two stories (a story joined by its text
    # and one started by the title, possible around the window's edge): a repost joins the story of the
    # earliest, ties by document id, on every engine. Written "b" first, so insertion order would differ.
    StoryStore(state_url).close()  # the tables
    title = "市民投诉中国人寿吉林省分公司拒赔"
    key = normalise_title(title)
    seen = int(T0.timestamp() * 1_000_000)
    db = connect(state_url)
    with transaction(db):
        for doc_id, story_id in (("d-b", "s-b"), ("d-a", "s-a")):
            db.execute("INSERT INTO stories (id, body) VALUES (?, ?)",
                       (story_id, json.dumps(new_story_dict(story_id), ensure_ascii=False)))
            db.execute(f"INSERT INTO story_docs ({DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                       (doc_id, story_id, key, "[]", b"", seen))
    db.close()
    store = StoryStore(state_url)
    try:
        repost = store.assign(scored(f"转发：{title}", OTHER, "http://k.example.cn/1", at=T0 + timedelta(hours=1)))
        assert repost.story_id == "s-a" and story_of(repost)["doc_count"] == 2
    finally:
        store.close()


DOC_COLUMNS = "doc_id, story_id, title_key, numbers, sketch, seen_us"  # a row as written before migration 143


def new_story_dict(story_id):
    return new_story(story_id, T0).to_dict() | {"doc_count": 1, "channels": {"news": 1}, "sites": {"a.example.cn": 1},
                                                "spread": {"2026-11-25T08": 1}}


def _tie_in_time(url):
    """The story a repost joins when two documents under its title were seen at one moment (see above), their ids
    differing in a non-ASCII character: "d-z" sorts before "d-é" in byte order, after it in a language's."""
    StoryStore(url).close()  # the tables
    title = "市民投诉中国人寿吉林省分公司拒赔"
    seen = int(T0.timestamp() * 1_000_000)
    db = connect(url)
    with transaction(db):
        for doc_id, story_id in (("d-é", "s-é"), ("d-z", "s-z")):
            db.execute("INSERT INTO stories (id, body) VALUES (?, ?)",
                       (story_id, json.dumps(new_story_dict(story_id), ensure_ascii=False)))
            db.execute(f"INSERT INTO story_docs ({DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                       (doc_id, story_id, normalise_title(title), "[]", b"", seen))
    db.close()
    store = StoryStore(url)
    try:
        return store.assign(scored(f"转发：{title}", OTHER, "http://k.example.cn/2", at=T0 + timedelta(hours=1))).story_id
    finally:
        store.close()


def test_document_ids_tie_in_byte_order_on_every_engine(state_url):
    assert _tie_in_time(state_url) == "s-z"


def test_document_ids_tie_in_byte_order_under_a_language_collation(postgres_server):
    # PostgreSQL ordered document ids by the database's collation (ICU English: "d-é" before "d-z");
    # migration 142 makes them byte-ordered, as on SQLite.
    if not postgres_server.url:
        pytest.skip(postgres_server.unavailable)
    import psycopg
    name = "t_icu_" + uuid.uuid4().hex[:8]
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        try:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'")
        except psycopg.Error as e:
            pytest.skip(f"no ICU collation on this server: {e}")
        assert (conn.execute("SELECT 'd-é' < 'd-z' COLLATE \"en-x-icu\"").fetchone() or [False])[0]  # the premise
    assert _tie_in_time(postgres_server.url.rsplit("/", 1)[0] + "/" + name) == "s-z"


def _mixed_documents(n=90, seed=5):
    """Reposts under a few titles, near-copies under other titles and other texts, seen over twelve days in
    no order (a window of seven: some of a batch see stored documents others do not), some at one moment."""
    rng = random.Random(seed)
    titles = ["市民投诉中国人寿吉林省分公司拒赔", "保险消费风险提示第3期", "保险消费风险提示第4期", "协会开展保险知识宣传", "短标题"]
    texts = [BODY, OTHER, BODY[:60] + OTHER, "".join(map(chr, range(0x4E00, 0x4E00 + 400)))]
    docs = []
    for i in range(n):
        title = rng.choice(["", "转发：", "【转载】"]) + rng.choice(titles) + rng.choice(["", "", "网友热议"])
        text = rng.choice(texts)
        if rng.random() < 0.3:  # an edited copy: its own bands, most shared
            text = text[:40] + "据悉" + text[40:]
        at = T0 + timedelta(minutes=rng.choice([0, 0, rng.randrange(12 * 24 * 60)]))
        docs.append(scored(title, text, f"http://m{i % 70}.example.cn/{i}", channel=rng.choice(["news", "weibo"]),
                           site=f"s{i % 4}.example.cn", at=at))
    return docs


def _decided(url, batches):
    store = StoryStore(url)
    try:
        out = [(d.id, d.story_id, d.story) for batch in batches for d in store.assign_many(batch)]
        db = store._db
        rows = [db.execute(f"SELECT * FROM {table}").fetchall() for table in ("stories", "story_docs", "story_prunes")]
        return out, [sorted(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in t) for t in rows]
    finally:
        store.close()


def test_a_batch_decides_as_one_document_at_a_time(state_url, postgres_server):
    # Each document of a batch finds the earlier ones of its batch as if they had been stored one by one (the
    # contract any batching of the store's statements keeps): the same stories, states and rows. The last batch
    # repeats documents (a redelivery, some twice within the batch).
    docs = _mixed_documents()
    batches = [docs[:7], docs[7:50], docs[50:], docs[20:30] + docs[25:35]]
    one_by_one = [[d] for batch in batches for d in batch]
    other = str(state_url) + "-2" if "://" not in str(state_url) else postgres_server.new_database()
    batched, single = _decided(state_url, batches), _decided(other, one_by_one)
    assert batched == single
    assert len({story for _, story, _ in batched[0]}) >= 4  # the premise: several stories, joined by titles and bands
    assert any(s["doc_count"] > 3 for _, _, s in batched[0])


# The band table's query (before migration 143, PostgreSQL's form): each key's MAX_CANDIDATES newest rows (ties by
# document id descending), then the newest MAX_CANDIDATES of all (ties ascending), each document once, in id order.
def _band_table_query(n):
    per_key = " UNION ALL ".join(
        f"SELECT doc_id, seen_us FROM (SELECT doc_id, seen_us FROM story_bands WHERE key = ? AND seen_us >= ?"
        f" ORDER BY seen_us DESC, doc_id DESC LIMIT {MAX_CANDIDATES}) AS k{i}" for i in range(n))
    return f"SELECT doc_id FROM ({per_key}) AS recent ORDER BY seen_us DESC, doc_id LIMIT {MAX_CANDIDATES}"


def test_the_band_index_finds_what_the_band_table_query_found():
    # Random rows over keys holding more rows than the limit, many at one moment (ties across the limits), a
    # document under two keys, a key asked twice, documents added out of time order and some pruned: the
    # in-memory index against the table's query on the same rows.
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE story_bands (key INTEGER, doc_id TEXT, seen_us INTEGER, PRIMARY KEY (key, seen_us, doc_id))")
    rng = random.Random(3)
    index = BandIndex(0, 0)
    docs, universe = {}, set()
    for seq in range(1, 401):
        doc_id, seen = f"d{rng.randrange(10_000):05d}-é"[:rng.choice([6, 8])], 1000 + rng.randrange(0, 60, rng.choice([1, 7, 20]))
        if doc_id in docs:
            continue
        # bands from a few values each (many documents share a key); most bands empty (-1): 1-16 keys a document
        sketch = tuple(v for start in range(0, 32, 2) for v in rng.choice(
            [(start, 1), (start, 2)] + [(-1, -1)] * rng.randrange(6)))
        keys = band_keys(sketch)
        universe.update(keys)
        docs[doc_id] = (seq, seen, keys)
        index.add((seq, seen, "s", "t", "[]", _SKETCH.pack(*sketch)), doc_id, keys)
        db.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?, ?)", [(k, doc_id, seen) for k in keys])
        if seq % 150 == 0:  # a prune: documents stored so far, seen before a moment; later ones keep their bands
            before = 1000 + rng.randrange(10, 30)
            index.prune(seq, before)
            db.execute("DELETE FROM story_bands WHERE seen_us < ?", (before,))
    assert sum(len(v) if isinstance(v, list) else 1 for v in index.bands.values()) == \
        db.execute("SELECT COUNT(*) FROM story_bands").fetchone()[0]
    differ = 0
    for _ in range(400):
        keys = [rng.choice(sorted(universe) + [7]) for _ in range(rng.randrange(1, 17))]
        since = rng.choice([0, 1020, 1050, 1059])
        params = [v for k in keys for v in (k, since)]
        want = sorted({r[0] for r in db.execute(_band_table_query(len(keys)), params)})
        assert index.recent(keys, since, MAX_CANDIDATES) == want, (keys, since)
        # the premise: the per-key limit and ties in time decide which documents come back
        every = sorted({d for k, d, t in db.execute("SELECT key, doc_id, seen_us FROM story_bands")
                        if k in keys and t >= since})
        differ += want != every[:MAX_CANDIDATES]
    assert differ > 100


def _interleaved(url, batches, stores, prune_at=()):
    """Assign ``batches`` turn by turn through ``stores`` (processes sharing one store), pruning where told."""
    out = []
    for n, batch in enumerate(batches):
        store = stores[n % len(stores)]
        out += [(d.id, d.story_id, d.story) for d in store.assign_many(batch)]
        for at, before in prune_at:
            if at == n:
                stores[(n + 2) % len(stores)].prune(before)  # not the next batch's process: it must learn of it
    db = stores[0]._db
    rows = [db.execute(f"SELECT * FROM {table}").fetchall() for table in ("stories", "story_docs")]
    return out, [sorted(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in t) for t in rows]


def test_processes_taking_turns_decide_as_one(state_url, postgres_server):
    # Two (three) scorer processes on one store, batches interleaved, one of them pruning while the others hold
    # bands of documents it has not read yet; some documents at one moment (time ties): each process's band
    # index brings in what the others stored and pruned, so every story, state and row is what one process makes.
    docs = _mixed_documents(n=120, seed=9)
    batches = [docs[i:i + 9] for i in range(0, len(docs), 9)] + [docs[30:45]]  # the last a redelivery
    prunes = [(4, T0 + timedelta(minutes=1)), (9, T0 + timedelta(days=6))]  # the first: the documents at T0 so far
    other = str(state_url) + "-2" if "://" not in str(state_url) else postgres_server.new_database()
    stores = [StoryStore(state_url) for _ in range(3)]
    alone = [StoryStore(other)]
    try:
        together, single = _interleaved(state_url, batches, stores, prunes), _interleaved(other, batches, alone, prunes)
        assert together == single
        assert len({story for _, story, _ in together[0]}) >= 4 and any(s["doc_count"] > 3 for _, _, s in together[0])
        assert sum(1 for row in together[1][1] if row[-1] is None) > 10  # the premise: prunes dropped bands
    finally:
        for s in stores + alone:
            s.close()


def assert_copies_after_prune(store: StoryStore, old: ScoredDocument, late: ScoredDocument) -> None:
    """A copy of ``old`` (its bands pruned) starts its own story; a copy of ``late`` (stored after the prune though
    seen before it) joins ``late``'s."""
    copy_of_old = store.assign(scored("网友称王先生重疾险被拒赔", BODY, "http://b.example.cn/1", at=T0 + timedelta(hours=1)))
    copy_of_late = store.assign(scored("保险知识宣传活动举行", OTHER, "http://b.example.cn/2", at=T0 + timedelta(hours=1)))
    assert copy_of_old.story_id != old.story_id and story_of(copy_of_old)["doc_count"] == 1
    assert copy_of_late.story_id == late.story_id and story_of(copy_of_late)["doc_count"] == 2


def test_a_prune_by_another_process_drops_the_bands_from_every_process(state_url):
    # The process that stored a document learns at its next batch that another pruned it: a copy of it under
    # another title starts its own story, as it would in the pruning process; a document stored after the
    # prune keeps its bands though seen before it.
    one, two = StoryStore(state_url), StoryStore(state_url)
    try:
        old = one.assign(scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"))
        assert two.prune(T0 + timedelta(minutes=1)) == 1
        late = two.assign(scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"))  # seen at T0 too
        assert_copies_after_prune(one, old, late)
    finally:
        one.close()
        two.close()


def test_a_process_started_later_reads_the_band_index_whole(state_url):
    # A process opening the store finds the documents others stored, except those a prune dropped (a copy of
    # one of those starts its own story), and a document stored after the prune though seen before it.
    first = StoryStore(state_url)
    try:
        old = first.assign(scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"))
        first.prune(T0 + timedelta(minutes=1))
        late = first.assign(scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"))  # seen at T0 too
    finally:
        first.close()
    second = StoryStore(state_url)
    try:
        assert_copies_after_prune(second, old, late)
    finally:
        second.close()


def test_a_title_back_after_the_window_continues_its_stored_story(state_url):
    # No document of the story is within the window, so neither the title nor the bands find it; the new document's
    # story id (by its title) is the stored story's, which goes on counting, for each copy of the batch.
    store = StoryStore(state_url)
    try:
        first = store.assign(scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"))
        later = T0 + timedelta(days=30)
        other, back, again = store.assign_many([
            scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2", at=later),
            scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/1", at=later),
            scored("转发：市民投诉中国人寿吉林省分公司拒赔", BODY, "http://c.example.cn/1", at=later + timedelta(hours=1))])
        assert back.story_id == again.story_id == first.story_id != other.story_id
        assert [story_of(back)["doc_count"], story_of(again)["doc_count"]] == [2, 3]
        assert story_of(back)["first_seen"] == story_of(first)["first_seen"] and story_of(other)["doc_count"] == 1
    finally:
        store.close()
