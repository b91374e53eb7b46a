"""Boilerplate pruning before generic extraction, by evidence, not by names alone.

Chinese and English templates wrap share bars, QR-code captions, editors'
lines, breadcrumbs and "related" link lists in elements whose class or id
says so. Matching those names as *substrings* removes real text: ``read-more``
and ``tone-editorial`` contain "ad-" and "editor", Sohu's article is
``id="mp-editor"``, some sites put "footer" in the ``<body>``'s class list.
So here:

* a class or id is split into whole tokens (on whitespace, ``-``, ``_`` and
  camelCase: ``url-breadcrumb`` → url, breadcrumb; ``shareBox`` → share,
  box) and a rule matches a run of whole tokens (``editor`` matches
  ``mp-editor`` but not ``editorial`` nor Elementor's ``text-editor``); a
  post entry (``hentry``, ``type-post``, ``post-123``) names none, whatever
  taxonomy classes (``tag-deals``) it carries;
* the main content container is found by positive evidence first
  (``main_container``: text density of paragraph-like nodes, scaled down by
  link density, readability-style), and it, its ancestors, ``<html>``,
  ``<body>``, ``<article>`` and ``<main>`` are never removed;
* a named element is removed only with evidence against it too: mostly
  links, or little text (a byline, a share bar), never one that holds a
  large share of the main text;
* unnamed blocks that are lists of links (related news, "hot" lists,
  navigation) are removed when their link density is high, outside the
  main container or inside it — unless they hold prose worth a good share
  of the main container's (then they wrap the article).

``prune(tree)`` works in place on an lxml HTML tree and returns it; the
caller hands the tree to trafilatura.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

# Runs of class/id tokens that name boilerplate (each a tuple of whole tokens).
BOILERPLATE = tuple(tuple(name.split("-")) for name in (
    "share", "sharing", "social", "qr", "qrcode", "reward", "copyright", "editor", "related", "recommend",
    "recommended", "comment", "comments", "ad", "ads", "advert", "advertisement", "footer", "crumb", "crumbs",
    "breadcrumb", "breadcrumbs", "tags", "tag", "sidebar", "nav", "navbar", "menu", "toolbar", "subscribe",
    "newsletter", "promo", "sponsor", "sponsored", "byline",
    "rich-media-tool", "rich-media-meta", "meta-content", "article-meta", "article-info", "js-tags",
    "article-tag", "post-meta", "entry-meta", "read-next", "also-read", "most-read", "most-popular"))
# Runs that contain a rule's token but name the article's own text: the
# block a page builder fills from its text editor (Elementor's
# ``elementor-widget-text-editor``, ``wysiwyg-editor``).
CONTENT_RUNS = (("text", "editor"), ("wysiwyg", "editor"), ("rich", "text"))
# Tokens that speak for content (readability's positive class names).
CONTENT = frozenset({"article", "content", "post", "body", "entry", "text", "main", "story", "detail", "news",
                     "artibody", "article-content", "rich-media-content", "con", "cont", "txt", "zw"})
_NEVER = frozenset({"html", "body", "article", "main"})
_PARAGRAPHS = ("p", "pre", "td", "blockquote", "li", "div", "section", "span", "font")
_CONTAINERS = frozenset({"div", "section", "td", "article", "main"})
_LISTS = frozenset({"ul", "ol", "dl", "div", "section", "aside", "nav", "table", "tbody", "p", "span"})
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "button", "select", "textarea"})
_SPLIT = re.compile(r"[\s\-_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PUNCT = re.compile(r"[，。；！？,.;!?、]")

MIN_PARAGRAPH = 20  # characters of own text for a node to count as a paragraph
LINK_LIST_DENSITY = 0.6  # share of a block's text inside links that makes it a link list
LINK_LIST_MIN_LINKS = 3
NAMED_LINK_DENSITY = 0.35  # a named block with more links than this is boilerplate
# … and so is one with less paragraph text than this many characters or this
# share of the main container's (bylines, share bars, "most read" feeds).
NAMED_MIN_KEEP = 100
NAMED_KEEP_SHARE = 0.3


def tokens(value: str | None) -> tuple[str, ...]:
    """Whole lower-case tokens of a class or id attribute."""
    if not value:
        return ()
    return tuple(t for t in _SPLIT.split(_CAMEL.sub(" ", value).lower()) if t)


_SINGLE = {run[0]: "-".join(run) for run in BOILERPLATE if len(run) == 1}
_RUNS: dict[str, list[tuple[str, ...]]] = {}
for _run in BOILERPLATE:
    if len(_run) > 1:
        _RUNS.setdefault(_run[0], []).append(_run)


@lru_cache(maxsize=4096)
def _rule_for_name(name: str) -> str | None:
    """The rule one class name or id matches (cached: templates repeat them)."""
    toks = tokens(name)
    if any(toks[i:i + len(run)] == run for run in CONTENT_RUNS for i in range(len(toks))):
        return None
    for i, tok in enumerate(toks):
        for run in _RUNS.get(tok, ()):
            if toks[i:i + len(run)] == run:
                return "-".join(run)
    for tok in toks:
        if tok in _SINGLE:
            return _SINGLE[tok]
    return None


# Whole class names that mark an element as a post entry (hAtom/microformats2,
# WordPress's post_class): its other classes are labels of the post
# (``tag-deals``, ``category-news``), not a sign of boilerplate.
_ENTRY_CLASSES = frozenset({"hentry", "h-entry", "type-post", "type-page", "type-article"})
_ENTRY_ID_CLASS = re.compile(r"^post-\d+$")


def named_boilerplate(el) -> str | None:
    """The boilerplate rule the element's class or id matches (as whole
    tokens of one class name or of the id), or None. A post entry (class
    ``hentry``, ``type-post``, ``post-123``…) names none."""
    classes = (el.get("class") or "").split()
    if any(c in _ENTRY_CLASSES or _ENTRY_ID_CLASS.match(c) for c in classes):
        return None
    for name in classes + [el.get("id") or ""]:
        if name:
            rule = _rule_for_name(name)
            if rule:
                return rule
    return None


def _content_named(el) -> bool:
    names = (el.get("class") or "").split() + [el.get("id") or ""]
    return any(t in CONTENT or "-".join(tokens(n)) in CONTENT for n in names for t in tokens(n))


def _tag(el) -> str | None:
    return el.tag.lower() if isinstance(el.tag, str) else None


class _Lengths:
    """Per element, computed once bottom-up: text length, text inside links,
    number of links, and paragraph text (own text of the paragraph-like
    nodes in it that have at least MIN_PARAGRAPH characters)."""

    def __init__(self, root) -> None:
        self.text: dict = {}
        self.links: dict = {}
        self.n_links: dict = {}
        self.paragraphs: dict = {}
        # Post-order with its own stack: broken pages nest thousands deep.
        stack = [(root, False, False)]  # (element, inside a link, children done)
        while stack:
            el, in_link, done = stack.pop()
            tag = _tag(el)
            if tag is None or tag in _SKIP:
                continue
            is_link = tag == "a" or in_link
            if not done:
                stack.append((el, in_link, True))
                stack.extend((child, is_link, False) for child in el)
                continue
            own = len((el.text or "").strip())
            text, links, n = own, own if is_link else 0, 1 if tag == "a" else 0
            para = 0
            if tag in _PARAGRAPHS and not is_link:
                own_text = len(_own_text(el))
                para = own_text if own_text >= MIN_PARAGRAPH else 0
            for child in el:
                tail = len((child.tail or "").strip())
                text += self.text.get(child, 0) + tail
                links += self.links.get(child, 0) + (tail if is_link else 0)
                n += self.n_links.get(child, 0)
                para += self.paragraphs.get(child, 0)
            self.text[el], self.links[el], self.n_links[el], self.paragraphs[el] = text, links, n, para

    def density(self, el) -> float:
        total = self.text.get(el, 0)
        return self.links.get(el, 0) / total if total else 0.0


def main_container(root, lengths: _Lengths | None = None):
    """The element that most likely holds the article: readability's scoring
    of paragraph-like nodes (own text of at least MIN_PARAGRAPH characters)
    credited to their parent and half to their grandparent, scaled by one
    minus the candidate's link density and by its class names."""
    lengths = lengths or _Lengths(root)
    scores: dict = {}
    for el in root.iter(*_PARAGRAPHS):
        own = _own_text(el)
        if len(own) < MIN_PARAGRAPH:
            continue
        score = 1 + len(_PUNCT.findall(own)) + min(len(own) / 100, 3)
        parent = el.getparent()
        credited = [(parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)]
        if _tag(el) in _CONTAINERS:
            # Text written straight into a container (``<div>`` text between
            # ``<br>``s) makes the container itself a candidate: its parent
            # may also hold the site's link-heavy sidebar.
            credited.append((el, 1.0))
        for ancestor, share in credited:
            if ancestor is not None and _tag(ancestor) not in (None, "html"):
                scores[ancestor] = scores.get(ancestor, 0.0) + score * share
    best, best_score = None, 0.0
    for el, score in scores.items():
        weight = 1.0 - lengths.density(el)
        if named_boilerplate(el) and _tag(el) not in _NEVER:
            weight *= 0.5
        if _content_named(el) or _tag(el) in ("article", "main"):
            weight *= 1.25
        if score * weight > best_score:
            best, best_score = el, score * weight
    return best


def _own_text(el) -> str:
    """The element's text outside links and outside block children."""
    parts = [el.text or ""]
    for child in el:
        tag = _tag(child)
        if tag in ("br", "b", "strong", "em", "i", "u", "span", "font", "sup", "sub", "small", "code"):
            parts.append(child.text_content() if tag != "br" else "")
        parts.append(child.tail or "")
    return "".join(parts).strip()


def prune(tree, main=None) -> etree._Element:
    """Remove boilerplate from ``tree`` (in place; see the module docstring)."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    lengths = _Lengths(root)
    main = main if main is not None else main_container(root, lengths)
    protected = set(main.iterancestors()) | {main} if main is not None else set()
    main_text = lengths.paragraphs.get(main, 0) if main is not None else 0
    doomed = []
    for el in root.iter():
        tag = _tag(el)
        if tag is None or tag in _NEVER or el in protected or tag in _SKIP:
            continue
        if _doomed(el, tag, lengths, main_text):
            doomed.append(el)
    for el in _outermost(doomed):
        _drop(el)
    return root


def _doomed(el, tag: str, lengths: _Lengths, main_text: int) -> bool:
    density = lengths.density(el)
    if named_boilerplate(el):
        if density >= NAMED_LINK_DENSITY:
            return True
        # Kept only when it holds paragraphs worth a good share of the article.
        return lengths.paragraphs.get(el, 0) < max(NAMED_MIN_KEEP, NAMED_KEEP_SHARE * main_text)
    if tag in _LISTS and lengths.n_links.get(el, 0) >= LINK_LIST_MIN_LINKS:
        # A link-dense block that holds prose worth a good share of the main
        # container's is a page wrapper around a menu and the article (the
        # main container was then a footer or a form): keep it.
        return density >= LINK_LIST_DENSITY and lengths.paragraphs.get(el, 0) < max(
            NAMED_MIN_KEEP, NAMED_KEEP_SHARE * main_text)
    return False


def _outermost(elements: list) -> Iterable:
    chosen = set(elements)
    for el in elements:
        if not any(a in chosen for a in el.iterancestors()):
            yield el


def _drop(el) -> None:
    """Remove ``el`` but keep its tail text (it belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)
