"""One contract suite for every index adapter (see pipeline/index/base.py).

The embedded adapters (tantivy, the default, and SQLite FTS5) always run; Elasticsearch runs when ELASTICSEARCH_URL is set
(deploy/ starts a node). Each Elasticsearch test uses its own index prefix
and deletes its indices and template afterwards, so the suite can run
against a shared cluster.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contracts.messages import Channel, Document, Level, ScoredDocument, UnitMatch
from pipeline.index import Index, IndexError_, SearchQuery, SearchResult, open_index
from pipeline.index.elastic import ElasticIndex

ES_ENV = "ELASTICSEARCH_URL"
SH = ZoneInfo("Asia/Shanghai")

UNITS = {
    "chinalife-jl": ("中国人寿吉林省分公司", ["中国人寿吉林省分公司", "国寿吉林分公司"]),
    "pingan-pc-jl": ("平安产险吉林分公司", ["平安产险吉林分公司", "平安产险"]),
    "picc-jl": ("人保财险吉林省分公司", ["人保财险吉林省分公司"]),
}


def make_doc(slug: str, title: str, text: str = "", *, channel: str = "news", source: str = "jl-news",
             published: datetime | None = datetime(2024, 5, 10, 10, 0, tzinfo=SH),
             crawled: datetime | None = None, units: tuple[str, ...] = (), negativity: float = 0.0,
             level: str | None = None, language: str = "zh") -> ScoredDocument:
    """A scored document as the scorer would publish it on docs.scored."""
    base = Document.create(
        url=f"https://news.example.cn/jl/{slug}.html", source_id=source, channel=Channel(channel),
        site="news.example.cn", title=title, text=text, published_at=published, language=language,
        crawled_at=crawled or (published or datetime(2024, 5, 10, tzinfo=SH)) + timedelta(minutes=5))
    return ScoredDocument.from_document(
        base, negativity=negativity, level=Level(level) if level else None, story_id=f"story-{slug}",
        units=[UnitMatch(unit_id=u, unit_name=UNITS[u][0], aliases=UNITS[u][1]) for u in units],
        unit_levels={u: Level(level) for u in units} if level else {},
        unit_negativity={u: negativity for u in units})


def published(doc: ScoredDocument) -> datetime:
    assert doc.published_at is not None  # every corpus document has its time
    return doc.published_at


# Corpus: 23:30 and 00:30 (Asia/Shanghai) straddle a local midnight while
# both fall on 2024-05-11 in UTC.
DELAY = make_doc(
    "delay", "中国人寿吉林省分公司被投诉拖延理赔",
    "多名消费者反映，车辆出险后三个月仍未获得赔付，投诉至监管部门。",
    published=datetime(2024, 5, 10, 10, 0, tzinfo=SH), units=("chinalife-jl",), negativity=0.85, level="orange")
DISPUTE = make_doc(
    "dispute", "一起车险案件引发网友关注",
    "网友称平安产险以免责条款为由拒赔，理赔纠纷持续发酵，评论区多人表示有类似经历。",
    channel="weibo", source="weibo-search", published=datetime(2024, 5, 11, 23, 30, tzinfo=SH),
    units=("pingan-pc-jl",), negativity=0.7, level="yellow")
COMMUNITY = make_doc(
    "community", "保险进社区活动在长春举行",
    "工作人员现场为居民解答理赔问题并普及防诈骗知识，中国人寿吉林省分公司、平安产险等多家公司参加。",
    channel="wechat", source="wx-jlbx", published=datetime(2024, 5, 12, 0, 30, tzinfo=SH),
    units=("chinalife-jl", "pingan-pc-jl"), negativity=0.05)
DRILL = make_doc(
    "drill", "平安产险吉林分公司开展防汛应急演练", "演练模拟暴雨导致车辆受损后的快速查勘流程。",
    published=None, crawled=datetime(2024, 5, 13, 9, 0, tzinfo=SH), units=("pingan-pc-jl",), negativity=0.02)
SURRENDER = make_doc(
    "surrender", "退保难？有人在论坛吐槽", "帖子称业务员承诺的收益无法兑现，退保时被扣除大量费用，还被拖延理赔。",
    channel="forum", source="jl-forum", published=datetime(2024, 6, 2, 21, 0, tzinfo=SH),
    units=("chinalife-jl",), negativity=0.95, level="red")
CORPUS = [DELAY, DISPUTE, COMMUNITY, DRILL, SURRENDER]
BY_TIME = [SURRENDER, DRILL, COMMUNITY, DISPUTE, DELAY]  # newest first


class IndexEnv:
    """Opens indexes of one kind on one store and closes everything at teardown."""

    def __init__(self, kind: str, tmp_path) -> None:
        self.kind = kind
        self.options: dict[str, Any]
        if kind == "tantivy":
            self.url, self.options = f"tantivy:///{tmp_path / 'index'}", {}
        elif kind == "sqlite":
            self.url, self.options = f"sqlite:///{tmp_path / 'index.db'}", {}
        else:
            # Not under yuqing-docs-*: the production template must not match test indices.
            prefix = f"yuqing-contract-{uuid.uuid4().hex[:10]}"
            self.url, self.options = os.environ[ES_ENV], {"prefix": prefix, "replicas": 0}
        self._open: list[Index] = []

    def open(self) -> Index:
        index = open_index(self.url, **self.options)
        self._open.append(index)
        return index

    def close_all(self) -> None:
        if self.kind == "elasticsearch" and self._open and isinstance(self._open[0], ElasticIndex):
            self._open[0].drop()
        for index in reversed(self._open):
            index.close()


@pytest.fixture(params=["tantivy", "sqlite", "elasticsearch"])
def env(request, tmp_path):
    if request.param == "elasticsearch" and not os.environ.get(ES_ENV):
        pytest.skip("set ELASTICSEARCH_URL to run the Elasticsearch contract suite")
    env = IndexEnv(request.param, tmp_path)
    yield env
    env.close_all()


@pytest.fixture
def index(env) -> Index:
    return env.open()


@pytest.fixture
def loaded(index) -> Index:
    index.upsert(CORPUS)
    return index


def ids(result: SearchResult) -> list[str]:
    return [hit.doc.id for hit in result.hits]


def found(index: Index, **query) -> set[str]:
    return set(ids(index.search(SearchQuery(limit=100, **query))))


def idset(*docs: ScoredDocument) -> set[str]:
    return {d.id for d in docs}


# ------------------------------------------------------------ writing and get


def test_upsert_is_idempotent_and_the_later_write_wins(index):
    first = make_doc("same", "平安产险理赔服务获好评", units=("pingan-pc-jl",), level="blue")
    second = first.model_copy(update={"title": "平安产险被指拒赔引发纠纷", "units": [], "level": Level.red})
    index.upsert([first])
    index.upsert([first])
    assert index.search(SearchQuery()).total == 1
    index.upsert([second])
    result = index.search(SearchQuery())
    assert result.total == 1 and result.hits[0].doc == second
    assert index.get(first.id) == second
    assert found(index, text="好评") == set()  # the old text is gone from the full-text index
    assert found(index, text="拒赔") == {first.id}
    assert found(index, units=["pingan-pc-jl"]) == set()  # and so are the old units
    assert found(index, levels=["red"]) == {first.id}


def test_upsert_repeating_an_id_in_one_batch_keeps_the_last(index):
    first = make_doc("twice", "人保财险召开理赔服务座谈会")
    last = first.model_copy(update={"title": "人保财险召开退保服务座谈会"})
    index.upsert([first, last])
    assert index.search(SearchQuery()).total == 1
    assert index.get(first.id) == last


def test_a_document_moving_to_another_month_leaves_no_copy(index):
    may = make_doc("moved", "国寿吉林分公司回应理赔争议", published=datetime(2024, 5, 31, 23, 0, tzinfo=SH))
    june = may.model_copy(update={"published_at": datetime(2024, 6, 3, 8, 0, tzinfo=SH)})
    index.upsert([may])
    index.upsert([june])
    assert index.search(SearchQuery()).total == 1
    assert index.get(may.id) == june
    assert index.counts(SearchQuery(), "day") == {"2024-06-03": 1}


def test_get_returns_the_exact_document_or_none(loaded):
    assert loaded.get(COMMUNITY.id) == COMMUNITY
    assert loaded.get(DRILL.id).published_at is None
    assert loaded.get("no-such-document") is None


def test_empty_upsert_and_empty_index(index):
    index.upsert([])
    assert index.get("x") is None
    assert index.search(SearchQuery(text="理赔")).total == 0
    assert index.counts(SearchQuery(), "day") == {}


def test_writes_are_visible_to_another_instance(env, index):
    other = env.open()
    index.upsert([DELAY])
    assert other.get(DELAY.id) == DELAY
    assert found(other, text="拖延理赔") == {DELAY.id}


# ------------------------------------------------------------ retention (prune)


def test_prune_deletes_before_the_cutoff_of_the_given_channels_only(env, loaded):
    other = env.open()
    midnight_12th = datetime(2024, 5, 12, 0, 0, tzinfo=SH)
    assert loaded.prunable(midnight_12th, [Channel.weibo]) == 1
    assert loaded.prune(midnight_12th, [Channel.weibo]) == 1  # DISPUTE (Weibo, the 11th)
    assert found(loaded) == idset(DELAY, COMMUNITY, DRILL, SURRENDER)
    # The cutoff is exclusive: DELAY was published exactly at it.
    assert loaded.prune(DELAY.published_at) == 0
    assert loaded.prunable(datetime(2024, 5, 13, tzinfo=SH)) == 2
    assert loaded.prune(datetime(2024, 5, 13, tzinfo=SH)) == 2  # DELAY and COMMUNITY; DRILL was crawled on the 13th
    assert loaded.prune(datetime(2024, 5, 13, tzinfo=SH)) == 0  # idempotent
    for idx in (loaded, other):  # durable and visible to every instance when prune returns
        assert found(idx) == idset(DRILL, SURRENDER)
        assert idx.get(DELAY.id) is None and idx.get(DISPUTE.id) is None
        assert found(idx, text="理赔") == idset(SURRENDER)
        assert idx.counts(SearchQuery(), "channel") == {"news": 1, "forum": 1}
        assert idx.counts(SearchQuery(), "unit") == {"chinalife-jl": 1, "pingan-pc-jl": 1}
    loaded.upsert([DELAY])  # a pruned document may come back (a replay); prune takes it again
    assert loaded.prune(datetime(2024, 5, 13, tzinfo=SH), [Channel.news, Channel.forum]) == 1
    assert found(other) == idset(DRILL, SURRENDER)


def _disk_bytes(path) -> int:
    from pathlib import Path
    path = Path(path)
    files = path.rglob("*") if path.is_dir() else path.parent.glob(path.name + "*")
    return sum(f.stat().st_size for f in files if f.is_file())


def test_prune_gives_the_disk_space_back(env, index, tmp_path):
    if env.kind == "elasticsearch":
        pytest.skip("Elasticsearch reclaims space in its own merges; the cluster's disk is not ours to measure")
    filler = "消费者反映理赔拖延，" * 200
    for batch in range(6):
        index.upsert([make_doc(f"old-{batch}-{i}", f"旧闻第{batch}批第{i}条", filler + str(i),
                               published=datetime(2023, 1, 1 + batch, 8, i, tzinfo=SH)) for i in range(50)])
    index.upsert([DELAY])
    path = tmp_path / ("index" if env.kind == "tantivy" else "index.db")
    full = _disk_bytes(path)
    assert index.prune(datetime(2024, 1, 1, tzinfo=SH)) == 300
    assert _disk_bytes(path) < full / 3, (full, _disk_bytes(path))
    assert found(index) == idset(DELAY)


# ------------------------------------------------------------ full text


def test_chinese_words_match_title_text_and_longer_words(loaded):
    # title (拖延理赔), longer word in the text (理赔纠纷), text only (解答理赔问题)
    assert found(loaded, text="理赔") == idset(DELAY, DISPUTE, COMMUNITY, SURRENDER)
    assert found(loaded, text="防汛") == idset(DRILL)  # a word in the title only
    assert found(loaded, text="免责条款") == idset(DISPUTE)  # a word in the text only
    assert found(loaded, text="理赔纠纷") == idset(DISPUTE)
    assert found(loaded, text="车险") == idset(DISPUTE)
    assert found(loaded, text="长春") == idset(COMMUNITY)
    assert found(loaded, text="长春拒赔") == set()  # every token must match, in one document


def test_all_tokens_must_match_across_title_and_text(loaded):
    assert found(loaded, text="平安产险 拒赔") == idset(DISPUTE)
    assert found(loaded, text="退保 理赔") == idset(SURRENDER)  # title + text
    assert found(loaded, text="防汛 理赔") == set()


@pytest.mark.parametrize("text", ['"理赔"', "理赔*", "(理赔)", "理赔:", "^理赔", "-理赔", "'理赔'", '理赔"', "{理赔}", "理赔 + ！"])
def test_query_syntax_characters_are_plain_text(loaded, text):
    assert found(loaded, text=text) == idset(DELAY, DISPUTE, COMMUNITY, SURRENDER)


@pytest.mark.parametrize("text", ["理赔 AND 纠纷", "理赔 NOT 纠纷", "理赔 OR", "NEAR(理赔",
                                  "title_tokens:理赔", '"*"', "()", '""', "***", "AND", "!!!"])
def test_operators_and_punctuation_do_not_error(loaded, text):
    result = loaded.search(SearchQuery(text=text))
    # "and", "or", "near", "title" are words no document has; punctuation alone matches nothing
    assert result.total == len(result.hits) == 0
    assert loaded.counts(SearchQuery(text=text), "channel") == {}


def test_latin_words_are_case_insensitive(index):
    doc = make_doc("picc", "PICC吉林分公司发布理赔服务报告", "PICC Property and Casualty 公布年度数据。")
    index.upsert([doc])
    assert found(index, text="picc") == found(index, text="PICC") == {doc.id}
    assert found(index, text="casualty") == {doc.id}
    hit = index.search(SearchQuery(text="picc")).hits[0]
    assert hit.highlights["title"] == ["<em>PICC</em>吉林分公司发布理赔服务报告"]


# Overseas media: not Chinese, so indexed as plain lower-cased words, never by jieba.
OVERSEAS = make_doc(
    "overseas-fined", "China Life's Jilin branch fined by regulator for mis-selling",
    "The Jilin branch of China Life (中国人寿) was fined 500,000 yuan for mis-selling participating policies, "
    "the regulator said on Tuesday. Policyholders' complaints rose 3.5% last year.",
    channel="overseas", source="reuters-rss", language="en", units=("chinalife-jl",), negativity=0.93, level="red")
OVERSEAS_CAFE = make_doc(
    "overseas-piccolo", "PICCOLO café opens in Changchun", "Die Prüfung der Versicherung ist abgeschlossen.",
    channel="overseas", source="dw-rss", language="de")


def test_english_words_find_english_documents(index):
    index.upsert(CORPUS + [OVERSEAS, OVERSEAS_CAFE])
    assert found(index, text="fined") == idset(OVERSEAS)
    assert found(index, text="Regulator") == found(index, text="REGULATOR") == idset(OVERSEAS)
    assert found(index, text="mis-selling") == idset(OVERSEAS)
    assert found(index, text="China Life fined") == idset(OVERSEAS)  # every word, title or text
    assert found(index, text="China Life refunds") == set()
    assert found(index, text="policyholders") == idset(OVERSEAS)  # policyholders' is the word
    assert found(index, text="3.5%") == idset(OVERSEAS)
    assert found(index, text="fined", channels=["overseas"], units=["chinalife-jl"]) == idset(OVERSEAS)
    hit = index.search(SearchQuery(text="fined")).hits[0]
    assert hit.highlights["title"] == ["China Life&#x27;s Jilin branch <em>fined</em> by regulator for mis-selling"]
    # Chinese documents are unaffected, and a Chinese name quoted in English text is a Chinese word.
    assert found(index, text="理赔") == idset(DELAY, DISPUTE, COMMUNITY, SURRENDER)
    assert found(index, text="中国人寿") == idset(DELAY, COMMUNITY, OVERSEAS)
    assert found(index, text="中国人寿 fined") == idset(OVERSEAS)
    assert index.counts(SearchQuery(text="fined"), "channel") == {"overseas": 1}


def test_non_chinese_words_are_whole_words(index):
    index.upsert(CORPUS + [OVERSEAS, OVERSEAS_CAFE])
    # jieba would cut café into caf + é and Prüfung into pr + ü + fung
    assert found(index, text="café") == found(index, text="Prüfung") == idset(OVERSEAS_CAFE)
    assert found(index, text="fung") == found(index, text="caf") == set()
    assert found(index, text="PICC") == set()  # PICCOLO is not PICC
    assert found(index, text="piccolo") == idset(OVERSEAS_CAFE)


def test_queries_match_documents_written_with_a_richer_dictionary(env):
    # The scorer's tokenizer knows 理赔纠纷 and the unit names as words; a
    # reader with plain jieba still finds them, because search mode also
    # writes their parts. Not every word: 退保难 is written as 退保 + 退保难
    # and plain jieba asks for 退保 + 难. Readers should use the writers'
    # tokenizer (the composition root does); this is only a safety margin.
    from sentiment.tokenize import Tokenizer

    words = Tokenizer(extra_words=[name for name, _ in UNITS.values()])
    writer = open_index(env.url, tokenizer=words.search_tokens, **env.options)
    env._open.append(writer)
    writer.upsert(CORPUS)
    reader = env.open()
    for text, expected in (("理赔纠纷", [DISPUTE]), ("中国人寿吉林省分公司", [DELAY, COMMUNITY]),
                           ("平安产险吉林分公司", [DRILL])):
        assert found(writer, text=text) == idset(*expected), text
        # Plain jieba's tokens are fewer, so the reader may find more (COMMUNITY
        # has 平安产险 and 吉林省分公司), never less.
        assert found(reader, text=text) >= idset(*expected), text


# ------------------------------------------------------------ filters


def test_each_filter_alone(loaded):
    assert found(loaded, start=datetime(2024, 5, 12, tzinfo=SH)) == idset(COMMUNITY, DRILL, SURRENDER)
    assert found(loaded, end=datetime(2024, 5, 12, tzinfo=SH)) == idset(DELAY, DISPUTE)
    # effective time = crawled_at when published_at is unknown
    assert found(loaded, start=datetime(2024, 5, 13, tzinfo=SH), end=datetime(2024, 5, 14, tzinfo=SH)) == idset(DRILL)
    assert found(loaded, units=["chinalife-jl"]) == idset(DELAY, COMMUNITY, SURRENDER)
    assert found(loaded, units=["pingan-pc-jl", "picc-jl"]) == idset(DISPUTE, COMMUNITY, DRILL)
    assert found(loaded, units=["picc-jl"]) == set()
    assert found(loaded, channels=["weibo", "forum"]) == idset(DISPUTE, SURRENDER)
    assert found(loaded, sources=["jl-news"]) == idset(DELAY, DRILL)
    assert found(loaded, levels=["red", "orange"]) == idset(DELAY, SURRENDER)
    assert found(loaded, min_negativity=0.7) == idset(DELAY, DISPUTE, SURRENDER)


def test_time_range_edges_are_start_inclusive_end_exclusive(loaded):
    at = published(DISPUTE)
    assert found(loaded, start=at, end=at + timedelta(microseconds=1)) == idset(DISPUTE)
    assert found(loaded, start=at - timedelta(hours=1), end=at) == set()
    # the same instant written in another offset
    assert found(loaded, start=at.astimezone(timezone.utc), end=at.astimezone(timezone.utc) + timedelta(seconds=1)) \
        == idset(DISPUTE)


def test_filters_combine_with_and(loaded):
    assert found(loaded, text="理赔", units=["chinalife-jl"]) == idset(DELAY, COMMUNITY, SURRENDER)
    assert found(loaded, text="理赔", units=["chinalife-jl"], min_negativity=0.5) == idset(DELAY, SURRENDER)
    assert found(loaded, units=["chinalife-jl"], channels=["news", "forum"], levels=["red"]) == idset(SURRENDER)
    assert found(loaded, units=["pingan-pc-jl"], sources=["jl-news"], end=datetime(2024, 6, 1, tzinfo=SH)) \
        == idset(DRILL)
    assert found(loaded, text="理赔", channels=["news"], start=datetime(2024, 5, 11, tzinfo=SH)) == set()


# ------------------------------------------------------------ sorting and paging


def test_sort_orders(loaded):
    def order(**query) -> list[str]:
        return ids(loaded.search(SearchQuery(limit=100, **query)))

    assert order() == [d.id for d in BY_TIME]  # time_desc is the default
    assert order(sort="time_asc") == [d.id for d in reversed(BY_TIME)]
    assert order(sort="negativity_desc") == [d.id for d in (SURRENDER, DELAY, DISPUTE, COMMUNITY, DRILL)]
    assert order(sort="relevance") == [d.id for d in BY_TIME]  # no text: newest first
    assert order(text="理赔", sort="time_asc") == [d.id for d in (DELAY, DISPUTE, COMMUNITY, SURRENDER)]


def test_relevance_ranks_title_matches_first_and_scores_hits(loaded):
    result = loaded.search(SearchQuery(text="拖延理赔", sort="relevance"))
    assert set(ids(result)) == idset(DELAY, SURRENDER)
    assert ids(result)[0] == DELAY.id  # in the title beats in the text
    assert result.hits[0].score >= result.hits[1].score > 0


def test_paging_and_total(loaded):
    pages = [loaded.search(SearchQuery(offset=offset, limit=2)) for offset in (0, 2, 4, 6)]
    assert [p.total for p in pages] == [5, 5, 5, 5]
    assert [ids(p) for p in pages] == [[d.id for d in BY_TIME[i:i + 2]] for i in (0, 2, 4, 6)]
    only_total = loaded.search(SearchQuery(text="理赔", limit=0))
    assert only_total.total == 4 and only_total.hits == []


# ------------------------------------------------------------ highlights


def test_highlights_wrap_matches_in_the_original_text(loaded):
    hits = {hit.doc.id: hit for hit in loaded.search(SearchQuery(text="理赔", limit=100)).hits}
    assert hits[DELAY.id].highlights == {"title": ["中国人寿吉林省分公司被投诉拖延<em>理赔</em>"]}
    assert "title" not in hits[COMMUNITY.id].highlights  # match only in the text
    [fragment] = hits[COMMUNITY.id].highlights["text"]
    assert "解答<em>理赔</em>问题" in fragment
    assert "<em>理赔纠纷</em>" in hits[DISPUTE.id].highlights["text"][0] or \
        "<em>理赔</em>纠纷" in hits[DISPUTE.id].highlights["text"][0]
    assert all(hit.highlights == {} for hit in loaded.search(SearchQuery(limit=100)).hits)  # no text, none


def test_highlights_escape_html_and_stay_short(index):
    filler = "相关部门表示将依法依规处理，并督促公司整改。"
    doc = make_doc("escape", '<b>“理赔”</b> & 投诉 "热线"',
                   filler * 4 + "<script>理赔</script>" + filler * 8 + "再谈理赔" + filler * 8 + "又见理赔" + filler * 8
                   + "第四次理赔" + filler)
    index.upsert([doc])
    hit = index.search(SearchQuery(text="理赔")).hits[0]
    assert hit.highlights["title"] == ["&lt;b&gt;“<em>理赔</em>”&lt;/b&gt; &amp; 投诉 &quot;热线&quot;"]
    fragments = hit.highlights["text"]
    assert len(fragments) == 3  # at most three per field
    assert "&lt;script&gt;<em>理赔</em>&lt;/script&gt;" in fragments[0]
    assert "<script>" not in "".join(fragments)
    for fragment in fragments:
        assert fragment.count("<em>") >= 1
        plain = fragment.replace("<em>", "").replace("</em>", "").replace("&lt;", "<").replace("&gt;", ">")
        assert len(plain) <= 100  # about 80 characters of context


# ------------------------------------------------------------ counts


def test_counts_by_day_use_shanghai_calendar_days(loaded):
    assert published(DISPUTE).astimezone(timezone.utc).date() == published(COMMUNITY).astimezone(timezone.utc).date()
    assert loaded.counts(SearchQuery(), "day") == {
        "2024-05-10": 1, "2024-05-11": 1, "2024-05-12": 1, "2024-05-13": 1, "2024-06-02": 1}


def test_counts_by_day_in_another_time_zone(env):
    index = open_index(env.url, tz="UTC", **env.options)
    env._open.append(index)
    index.upsert([DISPUTE, COMMUNITY])
    assert index.counts(SearchQuery(), "day") == {"2024-05-11": 2}


def test_counts_by_field(loaded):
    q = SearchQuery()
    assert loaded.counts(q, "unit") == {"chinalife-jl": 3, "pingan-pc-jl": 3}
    assert loaded.counts(q, "channel") == {"news": 2, "weibo": 1, "wechat": 1, "forum": 1}
    assert loaded.counts(q, "level") == {"red": 1, "orange": 1, "yellow": 1}  # unleveled docs are not counted
    assert loaded.counts(q, "source") == {"jl-news": 2, "weibo-search": 1, "wx-jlbx": 1, "jl-forum": 1}
    assert list(loaded.counts(q, "channel"))[0] == "news"  # largest bucket first


def test_counts_honour_filters_and_text(loaded):
    assert loaded.counts(SearchQuery(text="理赔"), "channel") == {"news": 1, "weibo": 1, "wechat": 1, "forum": 1}
    assert loaded.counts(SearchQuery(units=["chinalife-jl"]), "unit") == {"chinalife-jl": 3, "pingan-pc-jl": 1}
    assert loaded.counts(SearchQuery(min_negativity=0.5, channels=["news", "forum"]), "level") == \
        {"red": 1, "orange": 1}
    assert loaded.counts(SearchQuery(start=datetime(2024, 5, 11, tzinfo=SH), end=datetime(2024, 6, 1, tzinfo=SH)),
                         "day") == {"2024-05-11": 1, "2024-05-12": 1, "2024-05-13": 1}
    assert loaded.counts(SearchQuery(text="理赔", offset=3, limit=1), "source")["jl-news"] == 1  # paging ignored


# ------------------------------------------------------------ opening


def test_unknown_scheme_and_bad_options_are_index_errors(tmp_path):
    with pytest.raises(IndexError_, match="unknown scheme"):
        open_index("mongodb://localhost")
    with pytest.raises(IndexError_, match="bad option"):
        open_index("sqlite:///index.db", tmp_path, no_such_option=1)
    with pytest.raises(IndexError_, match="sqlite:///relative.db"):
        open_index("sqlite://index.db", tmp_path)


def test_elasticsearch_connects_only_when_used():
    index = open_index("http://127.0.0.1:9", prefix="yuqing-contract-offline", max_retries=0)
    try:
        with pytest.raises(IndexError_, match="127.0.0.1:9"):
            index.get("x")
    finally:
        index.close()


def test_relative_sqlite_path_is_under_data_dir(tmp_path):
    index = open_index("sqlite:///sub/index.db", tmp_path)
    try:
        index.upsert([DELAY])
    finally:
        index.close()
    assert (tmp_path / "sub" / "index.db").exists()


def test_elasticsearch_requests_carry_the_clusters_compatibility_header():
    """The compatibility headers a cluster checks, seen on the wire by a local HTTP server."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pipeline.index.elastic import CLIENT_MAJOR

    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"took": 1, "timed_out": False, "hits": {"total": {"value": 0, "relation": "eq"},
                                                                       "hits": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = open_index(f"http://127.0.0.1:{server.server_address[1]}", compatible_with=CLIENT_MAJOR, max_retries=0)
    try:
        assert index.get("x") is None
    finally:
        index.close()
        server.shutdown()
        server.server_close()
    compat = f"application/vnd.elasticsearch+json; compatible-with={CLIENT_MAJOR}"
    assert seen and seen[0]["accept"] == compat and seen[0]["content-type"] == compat


def test_elasticsearch_options_are_checked_at_start_up():
    from pipeline.index.elastic import CLIENT_MAJOR
    with pytest.raises(IndexError_, match="compatible_with must be 8 or 9"):
        open_index("http://127.0.0.1:9", compatible_with=7)
    other = 17 - CLIENT_MAJOR  # 8 with the 9 client, 9 with the 8 client
    with pytest.raises(IndexError_, match=f"pip install 'elasticsearch>={other},<{other + 1}'"):
        open_index("http://127.0.0.1:9", compatible_with=other)
    with pytest.raises(IndexError_, match="raw_analyzer"):
        open_index("http://127.0.0.1:9", raw_analyzer="ik max word")


def test_elasticsearch_raw_analyzer_indexes_raw_text_too():
    from pipeline.index.elastic import MAPPINGS, mappings
    assert mappings()["properties"]["text"] == {"type": "text", "index": False}
    ik = mappings("ik_max_word")["properties"]
    assert ik["title"] == ik["text"] == {"type": "text", "analyzer": "ik_max_word"}
    assert ik["text_tokens"] == MAPPINGS["properties"]["text_tokens"]  # the adapter's own queries are unchanged
