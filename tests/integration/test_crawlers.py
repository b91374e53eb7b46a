"""Real crawls: the demo site runs in this process, ``python -m crawlers.run``
in subprocesses (Twisted's reactor cannot restart inside one pytest
process), documents are read back from the SQLite bus.

The three demo sources are crawled three times against the same data dir:
everything published arrives once, a second run publishes nothing, and an
item published after that appears in the third run only.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from contracts.messages import Channel, Document
from contracts.topics import DOCS_RAW
from crawlers.publish import Publisher
from crawlers.spiders.base import CrawledItem
from crawlers.state import CrawlState
from demo.site import SCRIPT, DemoSite
from pipeline.bus import BusError, Producer, open_bus
from tests.kit.sites import crawl_in_subprocesses

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"news": "demo-news", "blog": "demo-blog-rss", "forum": "demo-forum", "world": "demo-world"}
CHANNELS = {"news": Channel.news, "blog": Channel.blog, "forum": Channel.forum, "world": Channel.overseas}
LANGUAGES = {"world": "en"}  # the overseas outlet is English; every other section Chinese
# The site each demo source's documents show: its `site` in sources.yaml (the demo site is one local address).
DEMO_SITES = {s["id"]: s["site"] for s in
              yaml.safe_load((ROOT / "config" / "demo" / "sources.yaml").read_text(encoding="utf-8"))["sources"]}
# Fast but still throttled: the demo site is local.
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0.05", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]

LONG_TEXT = "\n\n".join([
    "秋收过后，不少种粮农户关心：遇到自然灾害减产，玉米完全成本保险到底怎么赔？今天我们用最通俗的话讲清楚。",
    "第一，保什么。完全成本保险覆盖物化成本、土地成本和人工成本，保险金额明显高于传统的直接物化成本保险。",
    "第二，怎么报案。发生灾害后，农户可以通过村级协保员、保险公司服务热线或线上平台报案，安华农险等机构均已开通。",
    "第三，多久到账。损失核定无争议的案件，赔款一般在公示结束后十日内直接打到农户的一卡通账户。",
])

# (section, title, text, author as published, author expected, extra)
FIRST = [
    ("news", "人保财险吉林省分公司开展农险理赔回访",
     "日前，人保财险吉林省分公司组织工作人员走访榆树市受灾农户。\n\n回访中，农户对理赔时效表示满意。",
     "记者 张三", "张三", {"source": "吉林日报"}),
    ("news", "平安夜街头暖心服务 志愿者提醒市民出入平安",
     "平安夜当晚，保险行业志愿者在街头提醒市民雪天路滑。\n\n“祝大家平安夜快乐，一路平安，出入平安！”",
     "记者 王磊", "王磊", {}),
    ("news", "太平洋保险吉林分公司因违规被罚款",
     "吉林监管局公布的行政处罚信息显示，太平洋保险吉林分公司因虚列费用被罚款62万元。",
     "记者 刘洋", "刘洋", {}),
    ("blog", "读者来信：重疾险交了五年却被拒赔",
     "我母亲在中国人寿吉林省分公司投保重疾险五年，今年确诊后被以未如实告知为由拒赔。\n\n希望消费者引以为戒。",
     "吉林消费维权", "吉林消费维权", {}),
    ("blog", "一文读懂：吉林玉米完全成本保险怎么赔？", LONG_TEXT, "吉林保险观察", "吉林保险观察",
     {"full_text": True}),
    ("forum", "中国人寿吉林省分公司理赔拖了三个月，谁能管管？",
     "父亲住院后材料八月就交齐了，理赔拖了三个多月。\n\n现在又说未如实告知要拒赔，太寒心了。",
     "维权的老周", "维权的老周", {"replies": [{"author": "热心网友", "text": "可以向监管部门投诉。"}]}),
    ("forum", "平安产险代理人销售误导，续保被搭售意外险",
     "曝光一下：续保时被搭售了三份意外险，镕基、𠮷野家这种字也得完好。\n\n大家续保一定看清保单明细。",
     "被坑的车主", "被坑的车主", {}),
    ("world", "Regulator fines Ping An's Jilin property unit over mis-selling",
     "The Jilin branch of Ping An Property & Casualty was fined 450,000 yuan for mis-selling add-on policies.\n\n"
     "The company said it would rectify the problems.", "Staff Reporter", "Staff Reporter", {}),
]
LATER: list[tuple[str, str, str, str, str, dict]] = [
    ("news", "大地保险吉林分公司开通暴雪理赔绿色通道", "针对强降雪天气，大地保险吉林分公司开通车险理赔绿色通道。",
     "记者 孙悦", "孙悦", {}),
    ("blog", "泰康人寿吉林分公司客户节走进社区", "泰康人寿吉林分公司客户节活动走进长春市南关区多个社区。",
     "长春社区生活", "长春社区生活", {}),
    ("forum", "分享：人保财险这次理赔挺快的", "追尾后半小时查勘员就到了，第二天赔款到账。", "朝阳区的小陈", "朝阳区的小陈", {}),
    ("world", "China Life's Jilin branch expands crop insurance", "China Life's Jilin branch extended its crop "
     "insurance programme to 1.2 million farming households.", "Staff Reporter", "Staff Reporter", {}),
]


@pytest.fixture(scope="module")
def site():
    # page_size=2: three news items span two list pages, so next_page is crawled.
    with DemoSite(port=0, script=False, page_size=2) as s:
        yield s


@pytest.fixture(scope="module")
def env(site, tmp_path_factory):
    """A copy of config/demo pointing at the test site, a fresh data dir."""
    base = tmp_path_factory.mktemp("crawl")
    config = base / "config"
    shutil.copytree(ROOT / "config" / "demo", config)
    settings_file = config / "settings.yaml"
    settings = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    settings["bus"] = {"url": "sqlite:///bus.db", "options": {"partitions": 2}}
    settings_file.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    environ = dict(os.environ, YUQING_DEMO_SITE=site.url)
    environ.pop("YUQING_DATA_DIR", None)
    return {"config": config, "data": base / "data", "environ": environ}


@pytest.fixture(scope="module")
def consumer(env):
    bus = open_bus("sqlite:///bus.db", env["data"], partitions=2)
    c = bus.consumer([DOCS_RAW], "test")
    yield c
    c.close()
    bus.close()


def crawl(env, sources, extra=()) -> dict[str, tuple[int, dict]]:
    """Run the sources in parallel subprocesses; {source: (exit code, stats)}."""
    return crawl_in_subprocesses(env["config"], env["data"], sources, env["environ"], [*FAST, *extra], timeout=90)


def crawl_ok(env) -> dict[str, dict]:
    results = crawl(env, SOURCES.values())
    for s, (code, stats) in results.items():
        assert code == 0 and stats["ok"], f"{s}: exit {code}, {stats}"
        assert stats["errors"] == 0, f"{s}: {stats}"
    return {s: stats for s, (code, stats) in results.items()}


def drain(consumer) -> list[Document]:
    docs: list[Document] = []
    while batch := consumer.poll(max_records=500, timeout=0.5):
        docs += [Document.from_bytes(r.value) for r in batch]
    consumer.commit()
    return docs


def publish(site, items) -> dict[str, tuple]:
    return {site.publish(sec, title, text, author, **extra): (sec, title, text, expected, extra)
            for sec, title, text, author, expected, extra in items}


def check(docs: list[Document], published: dict[str, tuple]) -> None:
    by_url = {d.url: d for d in docs}
    assert sorted(by_url) == sorted(published), "exactly the published items, once each"
    assert len(docs) == len(by_url)
    now = datetime.now(timezone.utc)
    for url, (section, title, text, author, extra) in published.items():
        doc = by_url[url]
        paragraphs = [p for p in text.split("\n") if p.strip()]
        assert doc.title == title
        assert doc.text == "\n".join(paragraphs), (url, doc.text)
        assert doc.author == author
        assert doc.channel == CHANNELS[section] and doc.source_id == SOURCES[section]
        assert doc.site == DEMO_SITES[doc.source_id] != "127.0.0.1" and doc.language == LANGUAGES.get(section, "zh")
        assert doc.id == Document.id_for(url)
        assert doc.published_at is not None and doc.published_at.tzinfo is not None
        assert abs(doc.published_at - now) < timedelta(minutes=10)
        for reply in extra.get("replies", []):
            assert reply["text"] not in doc.text  # the first post only


def test_crawl_publish_then_nothing_new_then_only_the_new_item(site, env, consumer):
    first = publish(site, FIRST)
    stats = crawl_ok(env)
    assert stats["demo-news"]["items_published"] == 3 and stats["demo-news"]["pages_fetched"] == 3 + 2
    assert stats["demo-blog-rss"]["items_published"] == 2
    assert stats["demo-forum"]["items_published"] == 2
    # A short description looks like a summary: the article page is fetched too (feed + 1 page).
    assert stats["demo-world"]["items_published"] == 1 and stats["demo-world"]["pages_fetched"] == 2
    # The long full-text description is used as is; the short summary makes
    # the spider fetch the page: feed + 1 page.
    assert stats["demo-blog-rss"]["pages_fetched"] == 2
    docs = drain(consumer)
    check(docs, first)
    texts = {d.title: d.text for d in docs}
    # GBK forum, including a character outside GBK sent as &#134071;.
    assert "镕基、𠮷野家" in texts["平安产险代理人销售误导，续保被搭售意外险"]
    assert "平安夜快乐，一路平安，出入平安" in texts["平安夜街头暖心服务 志愿者提醒市民出入平安"]

    again = crawl_ok(env)
    assert all(s["items_published"] == 0 for s in again.values()), again
    # List pages are fetched again; detail pages are not.
    assert again["demo-news"]["pages_fetched"] == 2 and again["demo-news"]["skipped_seen"] == 3
    assert again["demo-forum"]["pages_fetched"] == 1 and again["demo-blog-rss"]["pages_fetched"] == 1
    assert again["demo-world"]["pages_fetched"] == 1
    assert drain(consumer) == []

    later = publish(site, LATER)
    third = crawl_ok(env)
    assert {s: v["items_published"] for s, v in third.items()} == dict.fromkeys(SOURCES.values(), 1)
    check(drain(consumer), later)


def test_an_unreachable_site_fails_the_run(env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = dict(env, environ=dict(env["environ"], YUQING_DEMO_SITE=f"http://127.0.0.1:{port}"),
                data=env["data"].with_name("data-down"))
    (code, stats), = crawl(down, ["demo-news"], ["-s", "RETRY_TIMES=0"]).values()
    assert code == 1 and stats["ok"] is False
    assert stats["pages_fetched"] == 0 and stats["errors"] >= 1


def test_unknown_source_is_a_usage_error(env):
    (code, stats), = crawl(env, ["no-such-source"]).values()
    assert code == 2 and stats["ok"] is False and "no-such-source" in stats["error"]


# ---------------------------------------------------------------- delivery contract


class FailingProducer(Producer):
    """A real bus behind a producer whose flush fails while ``fail`` is set
    (a full disk, a Kafka outage); failed batches are dropped, as adapters do."""

    def __init__(self, inner: Producer) -> None:
        self.inner, self.fail = inner, False
        self.buffer: list[tuple] = []

    def send(self, topic, value, key=None):
        self.buffer.append((topic, value, key))

    def flush(self, timeout=None):
        batch, self.buffer = self.buffer, []
        if self.fail:
            raise BusError("disk full")
        for message in batch:
            self.inner.send(*message)
        self.inner.flush()


def test_urls_are_marked_seen_only_after_their_flush_succeeded(tmp_path):
    bus = open_bus("memory://", tmp_path)
    producer = FailingProducer(bus.producer())
    state = CrawlState.in_data_dir(tmp_path)
    publisher = Publisher(producer, state, "src", flush_every=2)

    def item(n: int) -> CrawledItem:
        doc = Document.create(url=f"http://x.cn/{n}.html", source_id="src", channel=Channel.news,
                              site="x.cn", title=f"标题{n}")
        return CrawledItem(doc, f"hash{n}")

    publisher.send(item(1))
    assert not state.seen("src", "http://x.cn/1.html")  # sent, not yet durable
    publisher.send(item(2))  # the second item triggers a flush
    assert state.seen("src", "http://x.cn/1.html") and state.hash_of("src", "http://x.cn/2.html") == "hash2"
    producer.fail = True
    publisher.send(item(3))
    with pytest.raises(BusError):
        publisher.send(item(4))
    assert not state.seen("src", "http://x.cn/3.html") and not state.seen("src", "http://x.cn/4.html")
    producer.fail = False
    publisher.send(item(5))
    assert publisher.flush() == 1  # what the pipeline does at spider close
    consumer = bus.consumer([DOCS_RAW], "check")
    assert sorted(d.title for d in drain(consumer)) == ["标题1", "标题2", "标题5"]
    assert publisher.published == 3 and state.count("src") == 3
    state.close()


def test_the_cursor_is_the_newest_publish_time_never_after_the_crawl(tmp_path):
    bus = open_bus("memory://", tmp_path)
    state = CrawlState.in_data_dir(tmp_path)
    publisher = Publisher(bus.producer(), state, "src")
    crawled = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    for n, published in enumerate([crawled - timedelta(hours=2), crawled + timedelta(hours=7)]):
        doc = Document.create(url=f"http://x.cn/{n}.html", source_id="src", channel=Channel.news, site="x.cn",
                              title=f"标题{n}", published_at=published, crawled_at=crawled)
        publisher.send(CrawledItem(doc, f"hash{n}"))
    publisher.flush()
    assert float(state.cursor("src", "newest") or "nan") == crawled.timestamp()
    state.close()


# ---------------------------------------------------------------- the demo site


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_scripted_items_appear_over_time():
    script = yaml.safe_load(SCRIPT.read_text(encoding="utf-8"))["items"]
    assert len(script) >= 20
    with DemoSite(port=0, speed=1.0) as slow:
        titles = {i["title"] for i in json.loads(get(slow.url + "/_admin/items")[2])["items"]}
    at_once = {i.get("title", "") for i in script if i["delay"] <= 0}  # weibos have no title
    assert titles == at_once and 3 <= len(at_once) < len(script)
    with DemoSite(port=0, speed=100_000) as fast:  # the last item is due after 3 ms
        time.sleep(0.05)
        items = json.loads(get(fast.url + "/_admin/items")[2])["items"]
        assert len(items) == len(script)
        status, ctype, body = get(fast.url + "/forum/forum-2-1.html")
        assert status == 200 and ctype == "text/html; charset=gbk"
        assert "中国人寿吉林省分公司理赔拖了三个月" in body.decode("gbk")
        assert get(fast.url + "/robots.txt")[2] == b"User-agent: *\nDisallow:\n"
        assert get(fast.url + "/news/index_99.html")[0] == 404


def test_admin_endpoints(site):
    req = urllib.request.Request(site.url + "/_admin/publish", b'{"section": "video", "title": "x"}',
                                 {"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400
    with DemoSite(port=0, script=True) as other:
        url = other.publish("blog", "测试", "正文")
        assert get(url)[0] == 200
        urllib.request.urlopen(urllib.request.Request(other.url + "/_admin/reset", b"", method="POST"), timeout=10)
        assert json.loads(get(other.url + "/_admin/items")[2])["items"] == []
        assert get(url)[0] == 404


def test_demo_weibo_search_publishes_posts_with_engagement_then_nothing_new(site, env, consumer):
    drain(consumer)  # whatever earlier tests left
    urls = [site.publish("weibo", "", "在新华保险吉林分公司买的重疾险被拒赔了[怒]", "四平的老刘"),
            site.publish("weibo", "", "人保财险吉林省分公司的营业厅服务很耐心[赞]", "长春小雪的日常")]
    (code, stats), = crawl(env, ["demo-weibo"]).values()
    assert code == 0 and stats["ok"] and stats["items_published"] == 2, stats
    docs = {d.url: d for d in drain(consumer)}
    assert sorted(docs) == sorted(urls)  # the weibos' own pages on the demo site, by url_template
    doc = docs[urls[0]]
    assert doc.channel == Channel.weibo and doc.source_id == "demo-weibo" and doc.author == "四平的老刘"
    assert doc.text.startswith("在新华保险吉林分公司买的重疾险被拒赔了[怒]") and "#吉林保险#" in doc.text
    assert doc.title.startswith("在新华保险吉林分公司")  # a weibo has no title: its first words
    assert set(doc.engagement) == {"reposts", "comments", "likes"}
    assert doc.published_at is not None and doc.published_at.tzinfo is not None

    (code, stats), = crawl(env, ["demo-weibo"]).values()
    assert code == 0 and stats["items_published"] == 0 and stats["skipped_seen"] == 2, stats
    assert drain(consumer) == []
