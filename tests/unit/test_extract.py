"""crawlers.extract: selectors, generic fallbacks on broken HTML, encodings.

Responses are real Scrapy ``HtmlResponse`` objects built from bytes, so the
charset detection under test is Scrapy's own.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from crawlers.dates import SHANGHAI
from crawlers.extract import (
    clean_author,
    clean_text,
    decoded_html,
    extract_generic,
    extract_page,
    html_to_text,
    select_links,
    select_texts,
)
from crawlers.spiders.rss import RssSpider
from pipeline.config import Selectors

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
URL = "http://news.example.cn/2026/11/20/123.html"

PARAGRAPHS = [
    "11月20日，人保财险吉林省分公司在长春召开客户座谈会，邀请二十余位客户代表参加。",
    "座谈会上，客户代表围绕理赔时效、线上服务等方面提出意见建议，公司负责人逐一回应。",
    "公司表示，将以客户需求为导向，持续提升服务水平，切实保护消费者合法权益。",
]

# Unclosed <p>/<div>/<body>, a stray </span>, markup inside a script, a date
# bar with today's date, nav and footer: what real CMS output looks like.
BROKEN = f"""<html><head><meta charset="utf-8">
<title>人保财险吉林省分公司召开客户座谈会_吉林新闻_某某网</title>
<meta name="author" content="李四">
<script>var tpl = "<p>不是正文</p>";</script>
<body><div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a> <a href="/about/">关于我们</a></div>
<div class="top">今天是2026年11月25日 星期三</div>
<div class="wrap"><h1>人保财险吉林省分公司召开客户座谈会</h1>
<div class="info">发布时间：2026-11-20 10:15 来源：吉林日报</div>
<div class="txt"><p>\u3000\u3000{PARAGRAPHS[0]}
<p>\u3000\u3000{PARAGRAPHS[1].replace("，公司", "</span>，公司")}
<p>\u3000\u3000{PARAGRAPHS[2]}
</div>
<div class="footer">版权所有 吉ICP备00000000号 <a href="/contact/">联系我们</a>
"""

# Selectors written for the old layout: none of them matches BROKEN.
STALE = Selectors(list_links="ul.news-list a", title="h1.article-title", content="div.article-content",
                  published_at="span.time", author="span.author")


def html_response(body: bytes, content_type: str = "text/html", url: str = URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})


# ---------------------------------------------------------------- fallbacks


def test_stale_selectors_fall_back_to_generic_extraction_field_by_field():
    ex = extract_page(html_response(BROKEN.encode("utf-8")), STALE, NOW, SHANGHAI)
    assert ex.fallbacks == ["title", "text", "author", "published_at"]
    assert ex.title == "人保财险吉林省分公司召开客户座谈会"
    assert ex.text.split("\n") == PARAGRAPHS
    assert ex.author == "李四"
    # The labelled publish time with its time of day, not the "今天是…" date bar.
    assert ex.published_at == datetime(2026, 11, 20, 10, 15, tzinfo=SHANGHAI)


def test_generic_extraction_leaves_out_noise():
    ex = extract_generic(BROKEN, URL, NOW)
    for noise in ("首页", "关于我们", "版权所有", "不是正文", "发布时间", "今天是"):
        assert noise not in ex.text


def test_working_selectors_win_and_only_missing_fields_fall_back():
    html = BROKEN.replace("<h1>", '<h1 class="headline">').replace(
        '<div class="info">', '<div class="info"><span class="by">作者：王五</span>')
    sel = Selectors(list_links="a", title="h1.headline", content="xpath://div[@class='txt']",
                    author="xpath://span[@class='by']/text()", published_at=None)
    ex = extract_page(html_response(html.encode("utf-8")), sel, NOW, SHANGHAI)
    assert ex.fallbacks == ["published_at"]
    assert (ex.title, ex.author) == ("人保财险吉林省分公司召开客户座谈会", "王五")
    assert ex.text.split("\n") == PARAGRAPHS


def test_a_page_with_nothing_in_it_gives_empty_fields_not_an_error():
    ex = extract_page(html_response(b"<html><body><div></div></body></html>"), STALE, NOW, SHANGHAI)
    assert (ex.title, ex.text, ex.author, ex.published_at) == ("", "", None, None)


def test_title_without_h1_loses_the_site_suffix():
    html = "<html><head><title>泰康人寿吉林分公司开展客户节活动_吉林频道_某某网</title></head><body><p>正文</p></body></html>"
    assert extract_generic(html, URL).title == "泰康人寿吉林分公司开展客户节活动"


# ---------------------------------------------------------------- encodings

GBK_PAGE = """<html><head>{meta}<title>论坛</title></head><body>
<h1 class="t">平安产险代理人销售误导</h1><div class="c">续保被搭售意外险，镕基、𠮷野家和“引号”都要完好。</div>
</body></html>"""
EXPECTED_BODY = "续保被搭售意外险，镕基、𠮷野家和“引号”都要完好。"


def gbk_bytes(meta: str = "") -> bytes:
    # 𠮷 is outside GBK: Discuz writes it as a numeric character reference.
    return GBK_PAGE.format(meta=meta).encode("gbk", errors="xmlcharrefreplace")


@pytest.mark.parametrize("content_type, meta", [
    ("text/html; charset=gbk", ""),
    ("text/html; charset=GB2312", ""),  # mislabelled superset: 镕 is GBK, not GB2312
    ("text/html", '<meta charset="gbk">'),
    ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'),
])
def test_gbk_pages_decode(content_type, meta):
    sel = Selectors(list_links="a", title="h1.t", content="div.c")
    ex = extract_page(html_response(gbk_bytes(meta), content_type), sel, NOW, SHANGHAI)
    assert ex.title == "平安产险代理人销售误导"
    assert ex.text == EXPECTED_BODY


def test_a_lying_charset_header_is_corrected_from_the_meta_tag():
    resp = html_response(gbk_bytes('<meta charset="gbk">'), "text/html; charset=utf-8")
    assert "\ufffd" in resp.text  # what Scrapy alone makes of it
    html = decoded_html(resp)
    assert "平安产险代理人销售误导" in html and "\ufffd" not in html
    ex = extract_page(resp, Selectors(list_links="a", title="h1.t", content="div.c"), NOW, SHANGHAI)
    assert ex.text == EXPECTED_BODY


def test_a_lying_header_without_meta_tries_gb18030():
    resp = html_response(gbk_bytes(), "text/html; charset=utf-8")
    assert "平安产险代理人销售误导" in decoded_html(resp)


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize("raw, name", [
    ("记者 张三", "张三"), ("作者：李四", "李四"), ("文/王五", "王五"), ("来源：记者 赵六", "赵六"),
    ("  维权的老周 ", "维权的老周"), ("文静", "文静"), ("文 / 王五", "王五"), ("by Alice", "Alice"), ("发表于", None), ("2026-11-25 08:12", None), ("", None), (None, None),
    ("作者：张三 责任编辑：李四", "张三"), ("未知", None), ("佚名", None), ("name, email@example.com", None),
    ("Name; Email Com", None),  # trafilatura's reading of a template's placeholder
])
def test_clean_author(raw, name):
    assert clean_author(raw) == name


def test_text_keeps_paragraphs_and_drops_scripts():
    assert html_to_text("<p>第一段</p><p>第二段<br>第三行</p><script>alert(1)</script><style>p{}</style>尾") == \
        "第一段\n第二段\n第三行\n尾"
    assert html_to_text("纯文本 摘要") == "纯文本 摘要"
    assert clean_text("\u3000\u3000缩进\xa0段落\u200b\r\n\n  \n下一段 ") == "缩进 段落\n下一段"


def test_selectors_css_xpath_text_and_attributes():
    sel = Selector(text='<ul class="l"><li><a href="/a.html">甲</a></li><li><a href="javascript:void(0)">乙</a>'
                        '</li><li><span><a href="b.html">丙</a></span></li></ul>')
    assert select_links(sel, "ul.l a") == ["/a.html", "b.html"]
    assert select_links(sel, "xpath://li/span") == ["b.html"]  # links inside a selected element
    assert select_links(sel, "ul.l a::attr(href)") == ["/a.html", "b.html"]
    assert select_texts(sel, "ul.l a::text") == ["甲", "乙", "丙"]
    assert select_texts(sel, "xpath://a/text()") == ["甲", "乙", "丙"]
    assert select_texts(sel, "div.missing") == [] and select_texts(sel, None) == []


def test_feed_entries_rss_and_atom():
    rss = Selector(text="""<rss xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>
        <title> 标题一 </title><guid isPermaLink="true">http://x.cn/1.html</guid>
        <description>短摘要</description><content:encoded><![CDATA[<p>全文第一段</p><p>全文第二段</p>]]></content:encoded>
        <pubDate>Wed, 25 Nov 2026 09:30:00 +0800</pubDate><author>editor@x.cn (小编)</author></item>
        <item><title>标题二</title><link>http://x.cn/2.html</link><dc:creator>张三</dc:creator></item>
        </channel></rss>""", type="xml")
    rss.remove_namespaces()
    one, two = (RssSpider._rss_entry(e) for e in rss.xpath("//item"))
    assert one["title"] == "标题一" and one["link"] == "http://x.cn/1.html" and one["author"] == "小编"
    assert html_to_text(one["description"]) == "全文第一段\n全文第二段"
    assert two["author"] == "张三" and two["link"] == "http://x.cn/2.html"

    atom = Selector(text="""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>原子</title>
        <link rel="alternate" href="http://x.cn/a.html"/><link rel="edit" href="http://x.cn/edit"/>
        <updated>2026-11-25T01:30:00Z</updated><author><name>李四</name></author><summary>摘要</summary>
        </entry></feed>""", type="xml")
    atom.remove_namespaces()
    (entry,) = (RssSpider._atom_entry(e) for e in atom.xpath("//entry"))
    assert entry == {"title": "原子", "link": "http://x.cn/a.html", "description": "摘要",
                     "date": "2026-11-25T01:30:00Z", "author": "李四"}
