"""crawlers.boilerplate: boilerplate pruned by whole class/id tokens and
evidence (link density, paragraph text), never the main content; checked
through generic extraction on small handmade pages shaped like the ones
that lost their text to substring matching."""
from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawlers.boilerplate import main_container, named_boilerplate, prune, tokens
from crawlers.extract import extract_generic

EN_PARAGRAPHS = [
    "The provincial regulator fined the insurer for delaying claims by an average of four months last year.",
    ("According to the notice, the company failed to inform policyholders of missing documents in time, and "
     "several hundred claims were left open without any explanation."),
    "The insurer said in a statement that it accepted the decision and had already changed its procedures.",
    "Consumer groups welcomed the fine, but said the amount was too small to change how claims are handled.",
]
ZH_PARAGRAPHS = [
    "本报讯 近日，省金融监管局通报了一季度保险消费投诉情况，理赔纠纷仍是投诉的主要原因，占全部投诉的六成以上。",
    "通报指出，部分保险公司存在理赔时效慢、资料要求反复、拒赔理由解释不清等问题，消费者反映强烈。",
    "监管部门要求各保险机构切实落实主体责任，优化理赔流程，提高服务质量，依法保护消费者合法权益。",
]


def page(article: str, body_attrs: str = "", lang: str = "en") -> str:
    links = "".join(f'<li><a href="/news/{n}.html">Other story number {n} about something else</a></li>'
                    for n in range(8))
    return f"""<!DOCTYPE html><html lang="{lang}"><head><title>Insurer fined over delayed claims</title></head>
<body {body_attrs}>
<header class="site-header"><nav class="nav"><a href="/">Home</a> <a href="/world">World</a>
<a href="/business">Business</a> <a href="/sport">Sport</a></nav></header>
<div class="layout">
{article}
<aside class="sidebar"><h3>Most read</h3><ul>{links}</ul></aside>
</div>
<footer class="footer"><p>Copyright 2026 Example News. All rights reserved.</p>
<a href="/about">About us</a> <a href="/contact">Contact</a> <a href="/privacy">Privacy</a></footer>
</body></html>"""


def paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def assert_all_kept(text: str, texts: list[str]) -> None:
    for t in texts:
        assert t in text, (t, text)


@pytest.mark.parametrize("value, expected", [
    ("url-breadcrumb", ("url", "breadcrumb")),
    ("mp-editor", ("mp", "editor")),
    ("tone-editorial", ("tone", "editorial")),
    ("shareBox", ("share", "box")),
    ("rich_media_tool", ("rich", "media", "tool")),
    ("  read-more  ", ("read", "more")),
    (None, ()),
])
def test_class_and_id_values_split_into_whole_tokens(value, expected):
    assert tokens(value) == expected


@pytest.mark.parametrize("attrs, rule", [
    ('class="share-bar"', "share"),
    ('id="qr_code"', "qr"),
    ('class="rich_media_tool"', "rich-media-tool"),
    ('class="article-meta clearfix"', "article-meta"),
    ('id="mp-editor"', "editor"),
    ('class="url-breadcrumb"', "breadcrumb"),
    ('class="read-more"', None),  # "ad-" is not a token of it
    ('class="tone-editorial"', None),  # nor is "editor"
    ('class="header-shadow"', None),
    ('class="leading"', None),  # nor is "ad"
])
def test_rules_match_whole_tokens_not_substrings(attrs, rule):
    el = lxml.html.fromstring(f"<div {attrs}>x</div>")
    assert named_boilerplate(el) == rule


@pytest.mark.parametrize("wrapper", [
    '<div class="story read-more">{}</div>',
    '<div class="article-body tone-editorial">{}</div>',
    '<div class="url-breadcrumb"><h1>Insurer fined over delayed claims</h1>{}</div>',
    '<div id="share-container" class="content">{}</div>',  # named, but it is the article
    '<article class="article" id="mp-editor">{}</article>',
])
def test_named_containers_that_hold_the_article_keep_its_text(wrapper):
    html = page(wrapper.format(paragraphs(EN_PARAGRAPHS)))
    text = extract_generic(html, "https://news.example.com/a.html").text
    assert_all_kept(text, EN_PARAGRAPHS)
    assert "Other story number" not in text and "All rights reserved" not in text


def test_a_body_whose_class_list_says_footer_keeps_its_text():
    html = page(f'<div class="main">{paragraphs(EN_PARAGRAPHS)}</div>', body_attrs='class="page has-footer footer"')
    assert_all_kept(extract_generic(html).text, EN_PARAGRAPHS)


def test_sohu_article_in_mp_editor_keeps_its_text():
    article = (f'<div class="text"><div class="text-title"><h1>通报一季度保险消费投诉情况</h1></div>'
               f'<article class="article" id="mp-editor">{paragraphs(ZH_PARAGRAPHS)}'
               f'<p data-role="editor-name">责任编辑：<span>张三</span></p></article></div>')
    text = extract_generic(page(article, lang="zh"), "https://www.sohu.com/a/1_2").text
    assert_all_kept(text, ZH_PARAGRAPHS)


def test_named_boilerplate_inside_the_article_goes():
    article = ('<div class="article-content">'
               '<div class="article-meta">来源：新华网 2026-11-25 09:30 作者：张三</div>'
               + paragraphs(ZH_PARAGRAPHS) +
               '<div class="share-bar">分享到：<a href="#">微博</a><a href="#">微信</a><a href="#">QQ空间</a></div>'
               '<div id="qr_code">扫描二维码关注我们的公众号</div>'
               '<p class="editor">责任编辑：李四</p></div>')
    text = extract_generic(page(article, lang="zh")).text
    assert_all_kept(text, ZH_PARAGRAPHS)
    for noise in ("分享到", "扫描二维码", "责任编辑", "来源：新华网"):
        assert noise not in text, text


def test_link_lists_go_even_inside_the_article_but_prose_with_links_stays():
    related = "".join(f'<li><a href="/r/{n}">相关新闻标题第{n}条关于保险的报道</a></li>' for n in range(5))
    prose = ('<p>据<a href="/x">新华社</a>报道，保险业今年前十个月保费收入同比增长，'
             '其中<a href="/y">健康险</a>增速最快，财产险和人身险也保持平稳增长。</p>')
    article = f'<div class="article">{paragraphs(ZH_PARAGRAPHS)}{prose}<ul>{related}</ul></div>'
    text = extract_generic(page(article, lang="zh")).text
    assert_all_kept(text, ZH_PARAGRAPHS)
    assert "健康险增速最快" in text and "相关新闻标题" not in text


def test_main_container_is_found_by_text_density_and_always_survives():
    html = page(f'<div id="footer-wrap" class="ad-slot">{paragraphs(EN_PARAGRAPHS)}</div>')
    tree = lxml.html.fromstring(html)
    main = main_container(tree)
    assert main is not None and main.get("id") == "footer-wrap"
    pruned = prune(tree)
    body = pruned.find("body")
    assert isinstance(body, lxml.html.HtmlElement) and EN_PARAGRAPHS[0] in body.text_content()
    assert "Other story number" not in body.text_content()


def test_an_english_wordpress_article_keeps_its_paragraphs_and_loses_the_rest():
    """A common English template (tests/fixtures/extract/wordpress_en.html):
    share bar, related posts, tags, comments and widgets around the post."""
    html = (Path(__file__).parents[1] / "fixtures" / "extract" / "wordpress_en.html").read_text(encoding="utf-8")
    ex = extract_generic(html, "https://times.example.com/2026/10/02/flood-claims/")
    lines = ex.text.split("\n")
    assert len(lines) == 4 and lines[0].startswith("Insurers in the region") and lines[3].endswith("policies.")
    for noise in ("Share this", "Storm season outlook", "Tagged", "four months", "Recent Posts", "WordPress"):
        assert noise not in ex.text
    assert ex.published_at is not None and ex.published_at.date().isoformat() == "2026-10-02"


@pytest.mark.parametrize("tag", ["div", "font"])
def test_a_page_nested_thousands_deep_does_not_break_extraction(tag):
    """Broken pages nest unclosed tags thousands deep. lxml drops what lies
    deeper than 255 levels, so there is no text to get, but extraction (and
    the date search that walks the body) must not die of a RecursionError."""
    para = "保险理赔投诉的主要原因是理赔时效慢、资料要求反复、拒赔理由解释不清。" * 3
    ex = extract_generic(f"<html><body><h1>标题</h1>{f'<{tag}>' * 3000}<p>{para}</p></body></html>")
    assert ex.title == "标题"


def test_a_page_nested_deep_within_the_parsers_limit_keeps_its_text():
    para = "保险理赔投诉的主要原因是理赔时效慢、资料要求反复、拒赔理由解释不清。" * 3
    ex = extract_generic(f"<html><body>{'<div>' * 200}<p>{para}</p>{'</div>' * 200}</body></html>")
    assert ex.text == para


@pytest.mark.parametrize("classes", [
    "post-5760818 post type-post status-publish hentry tag-bgr-deals",  # WordPress's post_class
    "h-entry tag-insurance",
])
def test_a_post_entry_is_not_named_boilerplate_by_its_taxonomy_classes(classes):
    assert named_boilerplate(lxml.html.fromstring(f'<div class="{classes}">x</div>')) is None
    assert named_boilerplate(lxml.html.fromstring('<div class="tag-list">x</div>')) == "tag"


def test_text_written_straight_into_a_div_beside_a_menu_is_the_article():
    """A municipal news page: the article is text between ``<br>``s in a
    column whose row also holds a long link menu, and the footer's address
    is the only other prose on the page."""
    menu = "".join(f'<li><a href="/s/{n}"><span>SECRETARIA MUNICIPAL DE SERVIÇO {n}</span></a></li>'
                   for n in range(40))
    body = " ".join(EN_PARAGRAPHS)
    html = f"""<html><head><title>Insurer fined</title></head><body>
<div class="container conteudo"><div class="row">
<div class="col-md-3"><ul>{menu}</ul></div>
<div class="col-md-9"><p class="titulo">Insurer fined over delayed claims</p>
<small><b>05/10/2018</b> - Published by: <a href="/a">Clara</a> - Tags: <a href="/t/1">claims</a>
<a href="/t/2">fines</a></small><br><br>{body}<br><br><br>
<div class="row"><div><a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">Whatsapp</a></div></div>
</div></div></div>
<div class="col-lg-12"><div>Example City - CNPJ: 83.102.459/0001-23 - Rua Walter, 1111 - Barra - 89259-565 -
Caixa Postal 421 - Fone: (047) 2106-8000</div></div>
</body></html>"""
    text = extract_generic(html, "https://city.example.gov/news/1").text
    assert EN_PARAGRAPHS[0] in text and EN_PARAGRAPHS[-1] in text, text
