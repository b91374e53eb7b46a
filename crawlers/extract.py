"""Shared extraction: decoded HTML, selectors, and a generic fallback.

A source's selectors (``sources.yaml``, CSS or ``xpath:``-prefixed XPath) are
tried first, because a human who looked at the site knows best. Every field
whose selector is missing or matches nothing falls back to generic extraction
(trafilatura for title/text/author/date, plus the ``<meta>`` tags and labelled
dates Chinese sites use), so a redesign of a site degrades the document
instead of losing it. ``Extracted.fallbacks`` records which fields fell back,
so the spider can count them and a broken selector shows up in the stats.

Decoding of pages whose charset label lies: ``crawlers.encoding``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from html import unescape as html_unescape

from parsel import Selector
from scrapy.http import TextResponse

from crawlers.boilerplate import main_container, prune
from crawlers.dates import SHANGHAI, parse_date
from crawlers.edges import strip_edges
from crawlers.encoding import decoded_html  # noqa: F401  (re-exported: spiders import it from here)
from crawlers.fields import canonical_link, counts
from crawlers.pagedate import page_date
from pipeline.config import Selectors

log = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "td", "th", "header", "footer",
})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "button"})
_INVISIBLE = str.maketrans({"\xa0": " ", "\u3000": " ", "\u200b": None, "\ufeff": None, "\r": "\n"})
# 文/by need a separator: 文静 is a name, not 文 + 静.
_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:作者|记者|撰文|撰稿|责任编辑|编辑|通讯员|来源|发帖人|楼主)\s*[:：/|｜]?\s*|(?:文|by)\s*[:：/|｜]\s*|by\s+)", re.I)
# Not a byline: labels, dates, and e-mail addresses (templates ship "name, email@example.com").
_NOT_A_NAME = re.compile(r"^(?:未知|佚名|匿名)$|(?i:\be-?mail\b)|发表于|发布于|发布时间|时间|日期|点击|阅读|\d{4}[-/年]|\d{1,2}:\d{2}|^[:：|/\s]*$|\S@\S+\.\S")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜| - | — |--|－)\s*")
_SITE_TAIL = re.compile(r"\s*[-—]\s*[\u4e00-\u9fa5A-Za-z0-9.]{1,10}(?:网|报|频道|新闻|在线|客户端|论坛|社区|门户)$")
_AUTHOR_IN_TEXT = re.compile(r"(?:作者|记者|撰文|文)\s*[:：/|]\s*([\u4e00-\u9fa5·A-Za-z]{2,12})")
# The page's editor (责任编辑：杨倩_NF4425): who answers for a page without a byline.
_EDITOR = re.compile(r"(?:责任编辑|责编)\s*[:：]\s*([\u4e00-\u9fa5·]{2,8})")
# A site or an outlet where a byline should be (<meta name="author" content="网易">, 新京报, 新浪财经-自媒体综合).
_OUTLET = re.compile(r"(?:网|报|社|台|新闻|财经|传媒|媒体|综合|频道|客户端|在线)$|^(?:网易|新浪|腾讯|搜狐|凤凰|今日头条)")
# A second label after the name (作者：张三 责任编辑：李四).
_NEXT_LABEL = re.compile(r"\s+(?:责任编辑|编辑|责编|来源|时间|发布|日期)\s*[:：].*$")


@dataclass
class Extracted:
    title: str = ""
    text: str = ""
    author: str | None = None
    published_at: datetime | None = None
    fallbacks: list[str] = field(default_factory=list)  # fields filled generically
    engagement: dict[str, int] = field(default_factory=dict)
    canonical: str | None = None  # the URL the page declares for itself, when plausible


# ---------------------------------------------------------------- text


def clean_text(text: str | None) -> str:
    """Collapse spaces inside lines, drop blank lines, strip full-width and
    zero-width spaces (Chinese paragraphs are indented with two U+3000)."""
    if not text:
        return ""
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.translate(_INVISIBLE).split("\n"))
    return "\n".join(line for line in lines if line)


def clean_title(title: str | None) -> str:
    return " ".join(clean_text(title).split())


def clean_author(author: str | None) -> str | None:
    """``记者 张三`` / ``作者：李四`` / ``文/王五`` -> the name; None for
    things that are not names (generic extractors return "发表于" or dates)."""
    text = clean_title(author)
    for _ in range(2):  # "来源：记者 张三"
        text = _AUTHOR_PREFIX.sub("", text).strip()
    text = _NEXT_LABEL.sub("", text)
    if not text or len(text) > 40 or _NOT_A_NAME.search(text):
        return None
    return text


def node_text(node) -> str:
    """Text of an lxml element with line breaks at block elements and <br>,
    so paragraphs survive as lines; scripts and styles are skipped. Walks
    with its own stack: broken pages nest thousands of unclosed tags deep."""
    parts: list[str] = []
    stack = [(node, True, False)]  # (element, is the root, its children are done)
    while stack:
        el, is_root, done = stack.pop()
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if done:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if not is_root:
                parts.append(el.tail or "")
            continue
        if tag is None or tag in _SKIP_TAGS:
            if not is_root:
                parts.append(el.tail or "")  # comments and skipped tags keep their tail
            continue
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        parts.append(el.text or "")
        stack.append((el, is_root, True))
        stack.extend((child, False, False) for child in reversed(el))
    return clean_text("".join(parts))


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (an RSS description, say)."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:  # still HTML: "&amp;" is "&"
        return clean_text(html_unescape(fragment))
    root = Selector(text=f"<div>{fragment}</div>").xpath("//body/div")
    return node_text(root[0].root) if root else clean_text(fragment)


# ---------------------------------------------------------------- selectors


def _query(sel: Selector, expr: str):
    expr = expr.strip()
    if expr.startswith("xpath:"):
        return sel.xpath(expr[len("xpath:"):].strip())
    return sel.css(expr)


def select_texts(sel: Selector, expr: str | None) -> list[str]:
    """Text of every match of a CSS/``xpath:`` selector (elements, text nodes
    or attributes alike); empty matches dropped."""
    if not expr:
        return []
    out = []
    for match in _query(sel, expr):
        root = match.root
        text = clean_text(root) if isinstance(root, str) else node_text(root)
        if text:
            out.append(text)
    return out


def select_links(sel: Selector, expr: str | None) -> list[str]:
    """hrefs selected by ``expr``: attribute matches as they are, elements
    by their own href or the hrefs of the links inside them."""
    if not expr:
        return []
    out: list[str] = []
    for match in _query(sel, expr):
        root = match.root
        if isinstance(root, str):
            out.append(root.strip())
        elif root.get("href"):
            out.append(root.get("href").strip())
        else:
            out += [h.strip() for h in match.xpath(".//a/@href").getall()]
    return [h for h in out if h and not h.lower().startswith(("javascript:", "#", "mailto:"))]


# ---------------------------------------------------------------- pages


def extract_page(response: TextResponse, selectors: Selectors | None = None,
                 now: datetime | None = None, tz: tzinfo = SHANGHAI) -> Extracted:
    """Title, main text, author and publish time of a detail page: selectors
    first, generic extraction for whatever they do not give."""
    html = decoded_html(response)
    sel = response.selector if html is response.text else Selector(text=html)
    out = Extracted()
    if selectors is not None:
        out.title = clean_title(next(iter(select_texts(sel, selectors.title)), ""))
        # Content may be split over several blocks: keep them all, in order.
        out.text = "\n".join(select_texts(sel, selectors.content))
        out.author = clean_author(next(iter(select_texts(sel, selectors.author)), None))
        raw_date = next(iter(select_texts(sel, selectors.published_at)), None)
        out.published_at = parse_date(raw_date, now, tz)
        out.engagement = counts({name: next(iter(select_texts(sel, expr)), None)
                                 for name, expr in selectors.engagement.items()})
    out.canonical = canonical_link(sel, response.url)
    missing = [f for f in ("title", "text", "author", "published_at") if not getattr(out, f)]
    if missing:
        generic = extract_generic(html, response.url, now, tz, sel)
        for f in missing:
            value = getattr(generic, f)
            if value:
                setattr(out, f, value)
                out.fallbacks.append(f)
    return out


def extract_generic(html: str, url: str | None = None, now: datetime | None = None,
                    tz: tzinfo = SHANGHAI, sel: Selector | None = None) -> Extracted:
    """Generic extraction for pages without (working) selectors."""
    import trafilatura  # heavy; only pages that need it pay for the import
    from trafilatura.utils import load_html

    sel = sel if sel is not None else Selector(text=html)
    doc = None
    try:
        # Boilerplate by whole class/id tokens and link/text density, never
        # the main content container (crawlers.boilerplate), then trafilatura.
        tree = load_html(html)
        doc = trafilatura.bare_extraction(
            prune(tree) if tree is not None else html, url=url, with_metadata=True, include_comments=False,
            include_tables=True,
            date_extraction_params={"outputformat": "%Y-%m-%d %H:%M:%S", "original_date": True})
    except Exception as exc:  # trafilatura on hostile HTML: degrade, don't crash
        log.warning("%s: generic extraction failed: %s", url, exc)
    title = _generic_title(sel, getattr(doc, "title", None))
    text = strip_edges(clean_text(getattr(doc, "text", None)), title)
    if not text:  # trafilatura found nothing (or failed): the densest block, if any
        main = main_container(sel.root)
        text = strip_edges(node_text(main), title) if main is not None else ""
    return Extracted(title=title, text=text, author=_generic_author(sel, getattr(doc, "author", None)),
                     published_at=_generic_date(sel, title, getattr(doc, "date", None), now, tz))


def _meta(sel: Selector, *names: str) -> str | None:
    for name in names:
        value = sel.xpath(f"//meta[@name='{name}' or @property='{name}']/@content").get()
        if value and value.strip():
            return value.strip()
    return None


def _byline(author: str | None) -> str | None:
    name = clean_author(author)
    return None if name is None or _OUTLET.search(name) else name


def _generic_author(sel: Selector, traf_author: str | None) -> str | None:
    """The byline (<meta name="author">, trafilatura's, 作者：/记者：in the page), else the page's 责任编辑 — never
    a site or an outlet (网易, 新京报), which is where the item came from, not who wrote it."""
    found = _byline(_meta(sel, "author", "article:author", "og:article:author")) or _byline(traf_author)
    if found:
        return found
    body = clean_text(sel.xpath("string(//body)").get(""))
    for pattern, head in ((_AUTHOR_IN_TEXT, body[:5000]), (_EDITOR, body)):
        if (m := pattern.search(head)) and (name := _byline(m.group(1))):
            return name
    return None


def _generic_title(sel: Selector, traf_title: str | None) -> str:
    page_title = clean_title(sel.xpath("string(//title)").get(""))
    headings = [clean_title(h) for h in sel.xpath("//h1").xpath("string(.)").getall()]
    headings = [h for h in headings if h]
    # The <h1> that the <title> repeats is the headline; others are logos.
    for h in headings:
        if h in page_title:
            return h
    # "[车友会] 标题" in <h1>, "标题 - 论坛名" in <title>: the common part.
    short = _strip_site_suffix(page_title)
    if len(short) >= 4 and any(short in h for h in headings):
        return short
    og = clean_title(_meta(sel, "og:title") or "")
    if og:
        return og
    if headings:
        return headings[0]
    traf = clean_title(traf_title)
    # trafilatura's headline with a badge beside the <title>'s (原创 标题): the <title>'s.
    if traf and len(short) >= max(4, len(traf) - 6) and short in traf:
        return short
    return _strip_site_suffix(traf or page_title)


def _strip_site_suffix(title: str) -> str:
    """``标题_吉林新闻_某某网`` -> ``标题`` (the first part, if it is not tiny)."""
    bare = _SITE_TAIL.sub("", title)  # 标题-新华网: a hyphen without spaces only before a site's name
    if len(bare) >= 4:
        title = bare
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p]
    if len(parts) < 2:
        return title
    return parts[0] if len(parts[0]) >= 4 else max(parts, key=len)


def _generic_date(sel: Selector, title: str, traf_date: str | None, now: datetime | None,
                  tz: tzinfo) -> datetime | None:
    body = sel.xpath("//body")
    lines = node_text(body[0].root).split("\n") if body else []
    return page_date(sel, lines, title, now, tz, traf_date)
