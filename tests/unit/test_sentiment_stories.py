"""Near-duplicates and stories: pure grouping logic and the shared SQLite store."""
import binascii
import re
from datetime import datetime, timedelta, timezone

import pytest

from contracts.messages import Document, ScoredDocument
from pipeline.stories import StoryStore
from sentiment.stories import (
    Candidate,
    Story,
    _normalised,
    _title,
    add_document,
    choose_story,
    fingerprint,
    new_story,
    normalise_title,
    shingle_hashes,
    similarity,
    story_id_for,
)

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
BODY = ("近日，长春市民王先生向记者反映，其去年在中国人寿吉林省分公司投保的重疾险在申请理赔时遭遇拒赔，"
        "保险公司以投保前未如实告知病史为由不予理赔，王先生认为业务员在销售时并未询问相关情况。"
        "王先生表示已向监管部门投诉，并保留了与业务员的聊天记录。记者联系保险公司，对方表示正在核实。")
OTHER = ("吉林省保险行业协会组织会员单位开展保险知识宣传，围绕农业保险、健康保险和养老保障等主题，"
         "深入城乡社区和企业园区，帮助群众了解保险产品和理赔流程，现场发放宣传资料两千余份。")


def scored(title, text, url, channel="news", site="a.example.cn", at=T0):
    doc = Document.create(url=url, source_id="t", channel=channel, site=site, title=title, text=text,
                          published_at=at)
    return ScoredDocument.from_document(doc, story_id=story_id_for(title, doc.id))


def story_of(doc: ScoredDocument) -> dict:
    """The story state the store gave the document."""
    assert doc.story is not None, doc.id
    return doc.story


def test_reposts_share_a_story_id():
    assert story_id_for("【转载】市民投诉中国人寿拖延理赔！", "a") == story_id_for("市民投诉中国人寿拖延理赔", "b")
    assert normalise_title("转发：标题 一") == "标题一"
    assert story_id_for("短标题", "a") != story_id_for("短标题", "b")  # too short to identify a story


def test_near_copies_are_similar_and_other_texts_are_not():
    a = fingerprint("市民投诉国寿拒赔", BODY)
    edited = fingerprint("网友：市民投诉国寿拒赔", "（来源：城市晚报）" + BODY.replace("近日，", "") + "责任编辑：李明")
    assert similarity(a, edited) >= 0.6
    assert similarity(a, fingerprint("协会开展宣传", OTHER)) < 0.2
    assert similarity(a, a) == 1.0 and len(a) == 32


@pytest.mark.parametrize("norm", ["", "a", "ab", "abc", "abcd", "中国人寿吉林分公司拒赔", "𠮷野家𠮷牛丼", "x𠀀" * 40, "x𠀀" * 80,
                                  "混合Mixed文本123" * 20])
def test_shingle_hashes_are_the_crc32_of_each_window(norm):
    # The table lookup equals zlib's CRC-32 of each 4-character UTF-32 window,
    # so fingerprints (and the story store's band keys) stay as they were.
    data = norm.encode("utf-32-le")
    windows = [data[4 * i:4 * (i + 4)] for i in range(max(1, len(norm) - 3))]
    assert shingle_hashes(norm).tolist() == [binascii.crc32(w) for w in windows]


def test_normalised_text_keeps_only_alphanumerics_then_lowers():
    noise = re.compile(r"[\s\W_]+", re.UNICODE)
    every_bmp = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    for text in (every_bmp, "İstanbul ＡＢＣ_x-y", "a\ud800b" * 99, "𠮷 Ab_c" * 40, "𠮷 Ab_c", ""):
        assert _normalised(text) == noise.sub("", text).lower()


def test_title_parts_are_the_regex_definitions():
    # _title strips the repost prefix and the noise without the regexes where it can: the same parts.
    noise = re.compile(r"[\s\W_]+", re.UNICODE)
    prefix = re.compile(r"^(转载|转发|转|原创|【[^】]*】|\[[^\]]*\]|[:：\s])+")
    every_bmp = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    titles = [every_bmp[i:i + 40] for i in range(0, len(every_bmp), 40)] + [
        "【转载】市民投诉中国人寿拖延理赔！", "转发：标题 一", "原创 国寿_拒赔", "[图]\u3000平安车险", ":：转载【快讯】x", "转",
        "\x1c转载 平安", "  【】", "", "a\ud800b", "𠮷野家 拒赔", "转𠮷", "国寿 拒赔 ", "Σ國壽 ΣΑΣ", "İstanbul_ＡＢＣ"]
    for title in titles:
        stripped = title.strip()
        rest = prefix.sub("", stripped)
        head = stripped[:len(stripped) - len(rest)]
        clean, norm = _title(title)[:2]
        assert (clean, norm) == (noise.sub("", head) + noise.sub("", rest), noise.sub("", rest).lower()), title


def test_title_numbers_keep_numbered_items_apart():
    sketch = fingerprint("x", BODY)
    same_body = [Candidate("s12", normalise_title("第12号投诉：国寿拒赔"), ("12",), sketch)]
    assert choose_story("第13号投诉：国寿拒赔", sketch, same_body) is None
    assert choose_story("2026-11-25 第12号投诉：国寿拒赔", sketch, same_body) == "s12"  # a repost may add a date
    assert choose_story("【转载】第12号投诉：国寿拒赔", (), same_body) == "s12"  # equal title


def test_story_keeps_first_seen_count_channels_and_spread():
    story = new_story("s", T0)
    add_document(story, T0, "news", "a.example.cn")
    add_document(story, T0 + timedelta(minutes=30), "weibo", "weibo.com")
    add_document(story, T0 - timedelta(hours=2), "forum", "bbs.example.cn")
    assert story.first_seen == T0 - timedelta(hours=2) and story.last_seen == T0 + timedelta(minutes=30)
    assert story.doc_count == 3 and story.channels == {"news": 1, "weibo": 1, "forum": 1}
    assert story.spread == {"2026-11-25T08": 2, "2026-11-25T06": 1}



def test_story_times_and_hours_read_as_isoformat_and_strftime_make_them():
    # to_dict and the spread's hours take shortcuts (kept texts, two-digit strings, whole-minute offsets)
    zones = [timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30)),
             timezone(timedelta(seconds=-3599, microseconds=5)), timezone(timedelta(hours=23, minutes=59))]
    parsed = Document.create(url="http://a.example.cn/t", source_id="s", channel="news", site="a.example.cn", title="t",
                             published_at="2026-11-25T08:00:00.5Z").published_at  # pydantic's own tzinfo
    assert parsed is not None
    times = [datetime(2026, 11, 25, 23, 59, 59, 999999, tzinfo=zones[1]), datetime(999, 1, 2, 3, 4, 5, tzinfo=zones[2]),
             datetime(1969, 12, 31, 23, 30, 0, 1, tzinfo=zones[3]), datetime(2026, 1, 1, tzinfo=zones[4]), parsed]
    for zone in zones:
        times += [T0.astimezone(zone), (T0 - timedelta(microseconds=1)).astimezone(zone)]
    for t in times:
        story = new_story("s", t)
        assert story.to_dict()["first_seen"] == story.to_dict()["last_seen"] == t.isoformat()
        add_document(story, t, "news", "a.example.cn")
        assert list(story.spread) == [t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")]
        # A stored story read back writes its times as isoformat makes them (from_dict keeps the text
        # where it is isoformat's own: ±HH:MM offsets; not an offset with a fraction, which isoformat writes otherwise).
        for text in (t.isoformat(), "2026-11-25T08:00:00+00:00:00.570661", "2026-11-25T08:00:00.5+05:30:15"):
            loaded = Story.from_dict(story.to_dict() | {"first_seen": text, "last_seen": text})
            assert loaded.to_dict()["first_seen"] == loaded.to_dict()["last_seen"] == loaded.first_seen.isoformat()


@pytest.fixture
def store(tmp_path):
    s = StoryStore(tmp_path / "stories.db")
    yield s
    s.close()


def test_store_groups_reposts_and_near_copies_and_counts_each_document_once(store, tmp_path):
    first = store.assign(scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"))
    repost = store.assign(scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9",
                                 channel="weibo", site="weibo.com", at=T0 + timedelta(hours=1)))
    copy = store.assign(scored("重疾险理赔遇阻 长春市民质疑销售过程", "据城市晚报报道，" + BODY + "（完）",
                               "http://c.example.cn/3", channel="forum", site="bbs.example.cn"))
    other = store.assign(scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"))
    assert repost.story_id == copy.story_id == first.story_id != other.story_id
    assert story_of(copy)["doc_count"] == 3 and story_of(copy)["channels"] == {"news": 1, "weibo": 1, "forum": 1}
    replay = store.assign(scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9"))
    assert replay.story_id == first.story_id and story_of(replay)["doc_count"] == 3  # not counted twice
    # A second process (another connection to the same file) sees the same stories.
    other_process = StoryStore(tmp_path / "stories.db")
    try:
        late = other_process.assign(scored("转发：市民投诉中国人寿吉林省分公司拒赔", BODY, "http://d.example.cn/4"))
        assert late.story_id == first.story_id and story_of(late)["doc_count"] == 4
    finally:
        other_process.close()


def test_a_batch_is_assigned_in_one_go_as_if_one_by_one(store):
    batch = [scored("市民投诉中国人寿吉林省分公司拒赔", BODY, "http://a.example.cn/1"),
             scored("协会开展保险知识宣传", OTHER, "http://a.example.cn/2"),
             scored("【转载】市民投诉中国人寿吉林省分公司拒赔", BODY, "http://b.example.cn/9", channel="weibo",
                    site="weibo.com", at=T0 + timedelta(hours=1))]
    first, other, repost = store.assign_many(batch)
    assert repost.story_id == first.story_id != other.story_id  # joins a story started earlier in the batch
    # Each document carries the story as it left it, not as the batch ended.
    assert story_of(first)["doc_count"] == 1 and story_of(repost)["doc_count"] == 2
    replayed = store.assign_many(batch)  # a replayed batch: same stories, nothing counted twice
    assert [d.story_id for d in replayed] == [first.story_id, other.story_id, first.story_id]
    assert store.get(first.story_id).doc_count == 2
    assert store.assign_many([]) == []


def test_only_recent_documents_are_compared(store):
    store.assign(scored("重疾险理赔遇阻 长春市民质疑销售过程", BODY, "http://a.example.cn/1"))
    much_later = T0 + timedelta(days=30)
    again = store.assign(scored("旧闻重提：长春市民质疑重疾险销售", BODY, "http://b.example.cn/2", at=much_later))
    assert story_of(again)["doc_count"] == 1  # outside the 7-day window: a new story
    assert store.prune(much_later - timedelta(days=7)) > 0


def test_band_keys_are_the_crc_of_each_bands_repr_and_skip_bands_with_an_empty_bin():
    # The keys were stored (story_bands, before migration 143): they stay what they were.
    import random
    import zlib

    from sentiment.stories import BAND, SKETCH, band_keys
    rng = random.Random(5)
    for _ in range(200):
        sig = tuple(rng.choice([-1, rng.randrange(2**32)]) if rng.random() < 0.1 else rng.randrange(2**32)
                    for _ in range(SKETCH))
        want = [zlib.crc32(f"{s}:{list(sig[s:s + BAND])}".encode()) for s in range(0, SKETCH - BAND + 1, BAND)
                if min(sig[s:s + BAND]) >= 0]
        assert band_keys(sig) == want
    assert band_keys(()) == [] and band_keys((5, -1)) == [] and band_keys((5, 7)) == [zlib.crc32(b"0:[5, 7]")]


@pytest.mark.parametrize("length", [1, 3, 4, 5, 40, 127, 130, 131, 132, 400])
def test_fingerprint_is_the_smallest_crc32_per_bin_below_and_above_the_numpy_threshold(length):
    # Short texts take a plain Python path, long ones numpy: both are the
    # MinHash of the definition (empty bins -1).
    title, text = "国寿拒赔𠮷"[:min(length, 5)], "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(max(0, length - 5)))
    norm = _normalised(title + text)
    data = norm.encode("utf-32-le")
    windows = [data[4 * i:4 * (i + 4)] for i in range(max(1, len(norm) - 3))]
    bins: dict[int, int] = {}
    for h in map(binascii.crc32, windows):
        bins[h % 32] = min(h, bins.get(h % 32, h))
    assert fingerprint(title, text) == tuple(bins.get(b, -1) for b in range(32))


@pytest.mark.parametrize("key", ["国寿吉林分公司拒赔引发投诉", "", "abc 123", "𠀋保险"])
def test_a_story_id_by_title_is_the_stable_id_of_its_key(key):
    from contracts.messages import stable_id
    from sentiment.title_keys import story_id_of
    assert story_id_of(key) == stable_id("story", key)
