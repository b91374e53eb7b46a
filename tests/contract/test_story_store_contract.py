"""The story store's contract, on every adapter (SQLite file, PostgreSQL database): reposts
share a story, a replay counts nothing twice, and scorers on several machines assigning
copies of one text at the same moment start one story between them."""
import json
import shutil
import threading
from datetime import timedelta

from pipeline.statedb import connect, migrate, transaction
from pipeline.stories import MAX_CANDIDATES, MIGRATIONS, StoryStore
from sentiment.stories import band_keys, fingerprint, new_story, normalise_title
from tests.unit.test_sentiment_stories import BODY, OTHER, T0, scored


def test_reposts_share_a_story_and_a_replay_counts_nothing_twice(state_url):
    store = StoryStore(state_url)
    try:
        first, other, repost = store.assign_many([
            scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"),
            scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"),
            scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9", channel="weibo",
                   site="weibo.com", at=T0 + timedelta(hours=1))])
        assert repost.story_id == first.story_id != other.story_id
        assert repost.story["doc_count"] == 2 and repost.story["channels"] == {"news": 1, "weibo": 1}
        replay = store.assign(scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9"))
        assert replay.story_id == first.story_id and replay.story["doc_count"] == 2
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
        assert [d.story["doc_count"] for d in first] == list(range(1, MAX_CANDIDATES + 6))
        assert first[0].story["channels"] == {"news": 1}
        later = store.assign(scored("又一转发：王先生重疾险遭拒赔", BODY, "http://d.example.cn/1", at=T0 + timedelta(hours=2)))
        assert later.story_id == first[0].story_id and later.story["doc_count"] == MAX_CANDIDATES + 6
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
        assert copy.story_id == "s-old" and copy.story["doc_count"] == 2
    finally:
        store.close()
    store = StoryStore(state_url)  # another process: the new document's row read back from the store
    try:
        again = store.assign(scored("又有网友称王先生重疾险被拒赔", BODY, "http://h.example.cn/2", at=T0 + timedelta(hours=2)))
        assert again.story_id == "s-old" and again.story["doc_count"] == 3
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
            db.execute("INSERT INTO story_docs VALUES (?, ?, ?, ?, ?, ?)", (doc_id, story_id, key, "[]", b"", seen))
    db.close()
    store = StoryStore(state_url)
    try:
        repost = store.assign(scored(f"转发：{title}", OTHER, "http://k.example.cn/1", at=T0 + timedelta(hours=1)))
        assert repost.story_id == "s-a" and repost.story["doc_count"] == 2
    finally:
        store.close()


def new_story_dict(story_id):
    return new_story(story_id, T0).to_dict() | {"doc_count": 1, "channels": {"news": 1}, "sites": {"a.example.cn": 1},
                                                "spread": {"2026-11-25T08": 1}}
