"""Every spider kind in a real crawl against fixture sites shaped like the
real ones (tests/fixtures/sites: routes.yaml, sources.yaml): a news portal
with pagination, a redirect, a 404, a slow page, a 503 that recovers, a
GBK page behind a lying header and broken HTML; an e-paper issue; Tieba's
commented-out thread list; Weibo's container API with long texts and
reposts; Douyin's signed search; a vendor JSON feed; Sogou WeChat search;
English and Big5 overseas media; a blog; a site that is down; a missing
cookie and a captcha.

Each source runs in its own ``python -m crawlers.run`` subprocess, all at
once, twice: the second run must publish nothing (incremental state).

Site and crawls share one fixed clock, ``NOW``: 03:00 in Shanghai, so the
news page dated "today 08:10" is always in the future and always clamped.
``FIXTURE_NOW=2026-11-25T12:00:00+08:00`` runs the module at another time.
"""
from __future__ import annotations

import os
import shutil
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from contracts.messages import Channel, Document
from contracts.topics import DOCS_RAW
from crawlers.dates import FUTURE_SKEW, SHANGHAI
from crawlers.health import source_health
from pipeline.bus import open_bus
from pipeline.config import load_config
from tests.kit.sites import FixtureSite, crawl_in_subprocesses

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "tests" / "fixtures" / "sites"
SECRETS = {"FX_WEIBO_COOKIE": "SUB=_2A25fixture; SUBP=0033WrSX", "FX_DOUYIN_COOKIE": "ttwid=1%7Cfixture",
           "FX_DOUYIN_SIG": "fixture-signature", "FX_VENDOR_KEY": "vendor-key-123"}
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0.05", "-s", "LOG_LEVEL=WARNING"]
NOW = (datetime.fromisoformat(os.environ["FIXTURE_NOW"]) if os.environ.get("FIXTURE_NOW")
       else datetime(2026, 11, 25, 3, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="module")
def site():
    with FixtureSite(SITES, now=NOW) as s:
        yield s


@pytest.fixture(scope="module")
def env(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("channels")
    config = base / "config"
    shutil.copytree(ROOT / "config" / "demo", config)
    shutil.copy(SITES / "sources.yaml", config / "sources.yaml")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "FX_"))}
    environ.update(SECRETS, FIXTURE_SITE=site.url, YUQING_BUS_URL="sqlite:///bus.db")
    os.environ["FIXTURE_SITE"] = site.url  # for load_config in this process
    yield {"config": config, "data": base / "data", "environ": environ}
    os.environ.pop("FIXTURE_SITE", None)


@pytest.fixture(scope="module")
def runs(env, site):
    """Both runs of every source: ({source: stats} first, second, {source: [docs]})."""
    sources = [s.id for s in load_config(env["config"]).sources]
    first = crawl_in_subprocesses(env["config"], env["data"], sources, env["environ"], FAST, now=site.now)
    docs = defaultdict(list)
    for d in drain(env["data"]):
        docs[d.source_id].append(d)
    requests_first = site.requests()
    site.reset()
    second = crawl_in_subprocesses(env["config"], env["data"], sources, env["environ"], FAST, now=site.now)
    return {"first": first, "second": second, "docs": docs, "requests": requests_first,
            "second_docs": drain(env["data"]), "second_requests": site.requests()}


def drain(data_dir: Path) -> list[Document]:
    bus = open_bus("sqlite:///bus.db", data_dir)
    consumer = bus.consumer([DOCS_RAW], "test-channels")
    out: list[Document] = []
    while batch := consumer.poll(max_records=500, timeout=0.5):
        out += [Document.from_bytes(r.value) for r in batch]
    consumer.commit()
    consumer.close()
    bus.close()
    return out


def by_title(docs: list[Document]) -> dict[str, Document]:
    return {d.title: d for d in docs}


def paths(requests: list[dict]) -> list[str]:
    return [r["path"] for r in requests]


# ---------------------------------------------------------------- outcomes


OK = ["fx-news", "fx-epaper", "fx-tieba", "fx-blog", "fx-weibo", "fx-douyin", "fx-vendor", "fx-wechat",
      "fx-overseas-rss", "fx-overseas-site"]
PUBLISHED = {"fx-news": 7, "fx-epaper": 3, "fx-tieba": 3, "fx-blog": 2, "fx-weibo": 5, "fx-douyin": 4,
             "fx-vendor": 2, "fx-wechat": 3, "fx-overseas-rss": 2, "fx-overseas-site": 2}


def test_first_run_outcomes(runs):
    first = runs["first"]
    for source in OK:
        code, stats = first[source]
        assert code == 0 and stats["ok"], (source, stats)
        assert stats["items_published"] == PUBLISHED[source], (source, stats)
        assert len(runs["docs"][source]) == PUBLISHED[source]
    for source in ("fx-weibo-nocookie", "fx-wechat-captcha"):
        code, stats = first[source]
        assert code == 1 and not stats["ok"] and stats["blind"] >= 1 and stats["pages_fetched"] >= 1, stats
    assert "请先登录" in first["fx-weibo-nocookie"][1]["blind_reason"]
    assert "antispider" in first["fx-wechat-captcha"][1]["blind_reason"]
    code, stats = first["fx-down"]
    assert code == 1 and stats["pages_fetched"] == 0 and stats["errors"] == 1
    code, stats = first["fx-overseas-rss-truncated"]  # the feed answered, but cut off: failed, not quiet
    assert code == 1 and not stats["ok"] and stats["pages_fetched"] == 1 and stats["errors"] >= 1, stats
    assert "truncated" in stats["last_error"] and stats["items_published"] == 0
    for docs in runs["docs"].values():
        for d in docs:
            assert d.id == Document.id_for(d.url) and d.title and d.text
            assert d.published_at is not None and d.published_at.tzinfo is not None, d.url


def test_second_run_publishes_nothing_new(runs):
    assert [(d.source_id, d.url) for d in runs["second_docs"]] == []
    for source in OK:
        code, stats = runs["second"][source]
        assert code == 0 and stats["items_published"] == 0, (source, stats)
    # Seen detail pages are not fetched again; list pages are.
    second = paths(runs["second_requests"])
    assert "/news/list.html" in second and "/news/2026/101.html" not in second
    assert not any(p.startswith("/mp/") or p == "/sogou/link" for p in second)  # WeChat: known before resolving
    assert "/weibo/statuses/extend" not in second
    # A page already fully seen ends the paging of newest-first APIs.
    pages = [r["query"].get("page") for r in runs["second_requests"] if r["path"] == "/vendor/api/v2/search"]
    assert pages == ["1"]


def test_cursors_persist(runs, env):
    from crawlers.state import CrawlState
    with CrawlState.in_data_dir(env["data"]) as state:
        for source in OK:
            newest = float(state.cursor(source, "newest") or "nan")  # newest publish time flushed
            newest_doc = max(d.published_at.timestamp() for d in runs["docs"][source])
            assert newest == pytest.approx(newest_doc, abs=1), source
        assert state.cursor("fx-down", "newest") is None


def test_a_future_publish_date_is_clamped_to_the_crawl_and_flagged(runs, site):
    """103.html says "today 08:10": before 08:10 that is the future. The
    document then carries the crawl time (so the cursor above agrees with
    it) and what the page claimed; every other document is left alone."""
    doc = by_title(runs["docs"]["fx-news"])["吉林省农险承保面积再创新高"]
    claimed = site.now.replace(hour=8, minute=10, second=0)
    extra = doc.model_extra or {}
    if claimed > site.now + FUTURE_SKEW:
        assert doc.published_at == doc.crawled_at and site.now <= doc.crawled_at < site.now + timedelta(minutes=2)
        assert datetime.fromisoformat(extra["published_at_claimed"]) == claimed
        assert runs["first"]["fx-news"][1]["counters"]["future_dates"] == 1
    else:  # past, or a site clock a few minutes fast: never after the crawl, not flagged
        assert doc.published_at == min(claimed, doc.crawled_at) and "published_at_claimed" not in extra
    for docs in runs["docs"].values():
        for d in docs:
            assert d.published_at <= d.crawled_at, d.url
            assert d is doc or "published_at_claimed" not in (d.model_extra or {}), d.url


def test_source_health_after_the_runs(runs, env):
    health = {h.source_id: h for h in source_health(load_config(env["config"], data_dir=env["data"]))}
    for source in OK:
        h = health[source]
        assert h.state == "ok" and h.last_status == "ok" and h.runs_24h == 2, h
        assert h.items_24h == PUBLISHED[source] and h.items_last_run == 0 and h.consecutive_failures == 0
        assert h.last_item_at is not None and h.staleness_s is not None
    assert health["fx-weibo-nocookie"].state == "blind" and "请先登录" in (health["fx-weibo-nocookie"].last_error or "")
    assert health["fx-wechat-captcha"].state == "blind"
    down = health["fx-down"]
    assert down.state == "failing" and down.consecutive_failures == 2 and down.last_success_at is None
    assert down.last_error and ("500" in down.last_error or "non-200" in down.last_error)


# ---------------------------------------------------------------- per channel


def test_news_portal(runs):
    docs = by_title(runs["docs"]["fx-news"])
    first = paths(runs["requests"])
    art = docs["中国人寿吉林省分公司开展“7·8保险公众宣传日”活动"]
    assert art.author == "韩雪" and art.engagement == {"views": 12000, "comments": 35}
    assert art.text.startswith("本网讯 为普及保险知识") and "分享到" not in art.text and "责任编辑" not in art.text
    # Broken HTML in another template: every field by generic extraction.
    broken = docs["长春一车主称理赔被拖延半年 保险公司回应"]
    assert broken.author == "宋佳" and broken.text.count("\n") == 2 and "版权所有" not in broken.text
    assert runs["first"]["fx-news"][1]["fallbacks"] == {"title": 1, "text": 1, "author": 1, "published_at": 1}
    # Redirected: published under where it lives now, the old link remembered.
    assert docs["吉林省农险承保面积再创新高"].url.endswith("/news/2026/103.html")
    # GBK behind a header claiming utf-8, characters outside GBK as &#…; references.
    assert "镕基、𠮷野家" in docs["消费者投诉：退保手续费扣得不明不白"].text
    notice = docs["吉林银保监分局通报一季度保险消费投诉情况"].published_at
    assert notice is not None and notice.strftime("%H:%M") == "14:20"
    # 404 counted; robots.txt obeyed; the 503 retried; the slow page waited for.
    stats = runs["first"]["fx-news"][1]
    assert stats["errors"] == 1 and stats["robots_forbidden"] == 1 and stats["retries"] == 1
    assert "/robots.txt" in first and "/private/108.html" not in first
    assert first.count("/news/2026/106.html") == 2 and "延边州开展防范非法集资宣传月活动" in docs
    assert first.count("/news/2026/101.html") == 1  # listed on two pages, fetched once


def test_epaper_issue_pages_articles(runs):
    docs = by_title(runs["docs"]["fx-epaper"])
    assert set(docs) == {"全省金融工作会议在长春召开", "保险业助力东北全面振兴取得新成效", "一季度全省保费收入稳步增长"}
    assert all(d.channel == Channel.epaper for d in docs.values())
    assert docs["全省金融工作会议在长春召开"].text.startswith("本报讯（记者 孙艺）")
    layouts = [p for p in paths(runs["requests"]) if "/layout/" in p]
    assert sorted(set(layouts)) == sorted(layouts) and len(layouts) == 4  # 3 版面 once each + yesterday (404)
    assert runs["first"]["fx-epaper"][1]["counters"]["missing_issues"] == 1


def test_tieba_thread_list_in_comments(runs):
    docs = by_title(runs["docs"]["fx-tieba"])
    assert set(docs) == {"大地保险长春的理赔员态度太差了", "新生儿医疗险买哪家好？", "有没有人知道吉林农险怎么报案"}
    post = docs["大地保险长春的理赔员态度太差了"]
    assert post.author == "车险受害者" and post.engagement == {"replies": 27} and post.channel == Channel.tieba
    assert post.text.endswith("应该去哪投诉？") and "12378" not in post.text  # first post only
    assert "/p/8100000001" not in paths(runs["requests"])  # the sticky 吧规 thread


def test_blog(runs):
    docs = by_title(runs["docs"]["fx-blog"])
    post = docs["为什么理赔纠纷总出在健康告知上"]
    assert post.channel == Channel.blog and post.engagement == {"views": 1024, "comments": 7}
    assert post.text.startswith("做了二十年保险") and "标签" not in post.text


def test_weibo_search_and_timeline(runs):
    docs = {d.url.rsplit("/", 1)[1]: d for d in runs["docs"]["fx-weibo"]}
    long = docs["5001000000000001"]
    assert "材料八月份就交齐了" in long.text and "[怒]" in long.text and "全文" not in long.text
    assert long.author == "长春的小周" and long.engagement == {"reposts": 18, "comments": 46, "likes": 12000}
    assert long.url == "https://m.weibo.cn/detail/5001000000000001"
    repost = docs["5001000000000002"]
    assert repost.text.endswith("//@吉林消费维权：【读者来信】重疾险交了五年，保险公司以“未如实告知”拒赔，投保时业务员代勾健康告知，该找谁？")
    assert repost.text.count("//@吉林消费维权") == 1
    assert docs["5001000000000003"].published_at.strftime("%H:%M") == "14:20"  # "昨天 14:20"
    assert "[赞]" in docs["5001000000000003"].text
    assert {"5001000000000010", "5001000000000011"} <= set(docs)  # the account's timeline
    api = [r for r in runs["requests"] if r["path"].startswith("/weibo/") and "/guest/" not in r["path"]]
    assert api and all("SUB=_2A25fixture" in r["headers"].get("Cookie", "") for r in api)


def test_douyin(runs):
    docs = {d.url.rsplit("/", 1)[1]: d for d in runs["docs"]["fx-douyin"]}
    video = docs["7440000000000000001"]
    assert video.title == "吉林车险理赔拖了两个月，保险公司一直踢皮球" and video.author == "长春老刘说车"
    assert video.engagement["likes"] == 15320 and video.channel == Channel.douyin
    assert docs["7440000000000000002"].title == "抖音视频 @黑土地上的新农人"
    assert "7440000000000000003" in docs and "7440000000000000010" in docs  # page 2 (offset=10), the account
    api = [r for r in runs["requests"] if r["path"].startswith("/douyin/")]
    assert all(r["query"].get("a_bogus") == "fixture-signature" for r in api)


def test_vendor_json_feed(runs):
    docs = {d.url: d for d in runs["docs"]["fx-vendor"]}
    wx = docs["https://mp.weixin.qq.com/s/AbCdEfGh001"]
    assert wx.channel == Channel.wechat and wx.engagement == {"reads": 25000, "likes": 310, "comments": 42}
    assert wx.text.split("\n")[1] == "涉事保险公司表示已报警，并将配合调查。"  # HTML made text
    wb = docs["https://weibo.com/7301234500/P9z8y7x6w"]
    assert wb.channel == Channel.weibo and wb.title.startswith("吐槽一下")
    assert runs["first"]["fx-vendor"][1]["skipped_empty"] == 1  # the item without a link
    api = [r for r in runs["requests"] if r["path"].startswith("/vendor/")]
    assert all(r["headers"].get("X-Api-Key") == "vendor-key-123" for r in api)


def test_wechat_via_sogou(runs, site):
    docs = by_title(runs["docs"]["fx-wechat"])
    letter = docs["重疾险交了五年却被拒赔，吉林读者来信求助"]
    assert letter.author == "吉林消费维权" and letter.channel == Channel.wechat
    # The permanent URL from og:url, not the expiring temporary link.
    assert "__biz=" in unquote(letter.url) and "signature" not in letter.url and "chksm" not in letter.url
    assert letter.text.startswith("编者按")
    assert letter.published_at == site.now - timedelta(hours=3)  # `var ct`, to the second
    # A deleted article: what the search result showed is published.
    gone = docs["这篇文章已经被删除了"]
    assert gone.text == "某保险公司吉林分公司被曝违规销售，摘要仍然可见。" and gone.author == "长春热点"
    # The account search keeps that account's articles only.
    assert not any(r["query"].get("url") == "other" for r in runs["requests"])
    assert runs["first"]["fx-wechat"][1]["counters"]["articles_gone"] == 1


def test_overseas_language_kept(runs):
    rss = by_title(runs["docs"]["fx-overseas-rss"])
    delayed = rss["Chinese insurers face scrutiny over delayed claims in northeast"]
    assert delayed.language == "en" and delayed.author == "Jane Doe" and delayed.channel == Channel.overseas
    assert delayed.text.startswith("CHANGCHUN, China") and "newsletter" not in delayed.text
    assert rss["Jilin farmers receive crop insurance payouts after floods"].text.startswith("Farmers in China")
    site = by_title(runs["docs"]["fx-overseas-site"])
    assert site["Chinese insurers face scrutiny over delayed claims in northeast"].language == "en"
    big5 = site["香港保險業監管局對一家保險經紀公司處以罰款"]  # Big5, header claiming gb2312
    assert big5.language == "zh" and "保障保單持有人的權益" in big5.text
