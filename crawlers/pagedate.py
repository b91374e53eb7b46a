"""A page's publish time, from the most trustworthy evidence it carries.

In order, the first that parses to a full date wins:

1. page metadata: ``<meta>`` tags (``article:published_time``, ``pubdate``,
   ``og:release_date`` …), ``itemprop="datePublished"``, JSON-LD
   ``datePublished``, a ``<time>`` marked as the publish time or inside the
   ``<article>``;
2. elements whose class or id says they hold the publish time (WeChat's
   ``#publish_time``, ``pub-date`` …);
3. cue lines: a short line labelled 发布时间/发表于/日期：… or carrying
   来源/作者/记者/编辑 with a date, and the dateline under the headline;
4. any other ``<time datetime>``;
5. free text, by trafilatura's date search (htmldate) — only when the day it
   names is on the page: htmldate turns a page that shows only a year into
   ``YYYY-01-01``, and a made-up day is worse than none.

A date is never taken from a label that belongs to something else: 出生日期
(a baike page's birth date), 成立日期, 截止日期 are not publish times, so a
bare 时间/日期 label counts only when no Chinese character precedes it.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, tzinfo

from parsel import Selector

from crawlers.dates import parse_date

META_NAMES = ("article:published_time", "og:release_date", "og:published_time", "pubdate", "publishdate",
              "PubDate", "publish_time", "publishtime", "apub:time", "weibo:article:create_at",
              "weibo: article:create_at", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date",
              "DC.date.issued", "citation_publication_date", "datePublished", "date")
_CONTAINERS = " | ".join(
    f"//*[contains(@id, '{k}') or contains(@class, '{k}')]"
    for k in ("publish_time", "publish-time", "publishtime", "pubtime", "pub_time", "pub-time", "pub-date",
              "pubdate", "post-time", "post_time", "publish-date", "publish_date"))
# An explicit publish label, or a bare 时间/日期 label with a colon that no
# Chinese character precedes (出生日期：, 成立时间： are not publish times).
_LABEL = re.compile(r"(?:发布时间|发表时间|发布日期|发表日期|发稿时间|更新时间|发表于|发布于|"
                    r"(?<![\u4e00-\u9fff])(?:时间|日期)\s*[:：])\s*[:：]?\s*(.{6,40})")
# Byline labels, with their colon: 记者会 in a sentence is not a byline.
_CUE = re.compile(r"(?:来源|作者|记者|编辑|责编|稿源|出处|source)\s*[:：/]|^\s*by\s", re.IGNORECASE)
_LINE_MAX = 100  # a dateline is short; a date inside a paragraph is the story's, not the page's
_UNDER_HEADLINE = 6  # lines after the headline that may hold its dateline


def page_date(sel: Selector, lines: list[str], title: str, now: datetime | None, tz: tzinfo,
              free_text_date: str | None = None) -> datetime | None:
    """The publish time of the page ``sel`` (see the module docstring);
    ``lines`` is the body's text by block, ``title`` the headline, and
    ``free_text_date`` what htmldate found."""
    for raw in _metadata(sel):
        found = _full(raw, now, tz)
        if found:
            return found
    for text in sel.xpath(_CONTAINERS).xpath("string(.)").getall()[:5]:
        found = _full(text, now, tz)
        if found:
            return found
    found = _cue_lines(lines, title, now, tz)
    if found:
        return found
    for raw in sel.xpath("//time/@datetime").getall()[:3]:
        found = _full(raw, now, tz)
        if found:
            return found
    found = _full(free_text_date, now, tz)
    if found and _day_on_page(found, sel):
        return found
    return None


def _metadata(sel: Selector):
    for name in META_NAMES:
        yield from sel.xpath(f"//meta[@name='{name}' or @property='{name}' or @itemprop='{name}']/@content").getall()
    yield from sel.xpath("//*[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"
                         " | //*[@itemprop='datePublished' and not(@content) and not(@datetime)]/text()").getall()
    for block in sel.xpath("//script[@type='application/ld+json']/text()").getall():
        yield from _json_ld_dates(block)
    yield from sel.xpath("//time[@pubdate]/@datetime | //article//time/@datetime").getall()


def _json_ld_dates(block: str):
    try:
        data = json.loads(block)
    except ValueError:
        return
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            value = item.get("datePublished") or item.get("dateCreated")
            if isinstance(value, str):
                yield value
            stack.extend(v for k, v in item.items() if k in ("@graph", "mainEntity", "mainEntityOfPage"))


def _full(raw: str | None, now: datetime | None, tz: tzinfo) -> datetime | None:
    """parse_date of ``raw`` when it names a day (a bare year is not a date)."""
    if not raw or not re.search(r"\d", raw):
        return None
    if re.fullmatch(r"\s*(?:19|20)\d\d\s*(?:年)?\s*", raw):
        return None
    return parse_date(raw, now, tz)


def _cue_lines(lines: list[str], title: str, now: datetime | None, tz: tzinfo) -> datetime | None:
    for line in lines:
        if len(line) > _LINE_MAX:
            continue
        m = _LABEL.search(line)
        found = _full(m.group(1), now, tz) if m else None
        if found is None and _CUE.search(line):
            found = _absolute(line, now, tz)
        if found:
            return found
    # The dateline under the headline, a day and a time of day: "2019-09-05
    # 11:10 游民星空" (an encyclopedia's infobox there has days without times).
    squashed = re.sub(r"\s+", "", title)
    for i, line in enumerate(lines):
        if squashed and re.sub(r"\s+", "", line) == squashed:
            for after in lines[i + 1:i + 1 + _UNDER_HEADLINE]:
                if len(after) <= _LINE_MAX and _WITH_TIME.search(after):
                    found = _absolute(after, now, tz)
                    if found:
                        return found
            break
    return None


_WITH_TIME = re.compile(r"(?:19|20)\d\d\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?\s*\d{1,2}[:：]\d{2}")
_ABSOLUTE_HINT = re.compile(r"(?:19|20)\d\d\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}")


def _absolute(line: str, now: datetime | None, tz: tzinfo) -> datetime | None:
    """A date with its year written out in ``line`` (relative words and bare
    month-days in a byline are too often something else)."""
    m = _ABSOLUTE_HINT.search(line)
    return parse_date(line[m.start():m.start() + 40], now, tz) if m else None


_EVENTS = r"(?:出生|生于|诞生|逝世|去世|病逝|卒于|成立|创立|创办|born|died)"
_EVENT_BEFORE = re.compile(_EVENTS + r"(?:日期|时间)?\W{0,3}$", re.IGNORECASE)
_EVENT_AFTER = re.compile(r"^\W{0,2}" + _EVENTS, re.IGNORECASE)


def _day_on_page(day: datetime, sel: Selector) -> bool:
    """The page writes that day out somewhere (text, attributes, URLs), in one
    of the usual forms, and not only as a birth, death or founding date; a
    January 1st a page never mentions was made up."""
    html = sel.get()
    y, m, d = day.year, day.month, day.day
    forms = {f"{y}-{m:02d}-{d:02d}", f"{y}-{m}-{d}", f"{y}/{m:02d}/{d:02d}", f"{y}/{m}/{d}", f"{y}.{m:02d}.{d:02d}",
             f"{y}年{m}月{d}日", f"{y}年{m:02d}月{d:02d}日", f"{y}{m:02d}{d:02d}"}
    spots = [(i, i + len(form)) for form in forms for i in _find_all(html, form)]
    if (m, d) == (1, 1) and not spots:
        english = (f"January 1, {y}", f"Jan 1, {y}", f"1 January {y}", f"Jan. 1, {y}")
        return any(f in html for f in english)
    life_events = [_EVENT_BEFORE.search(html[max(0, a - 12):a]) or _EVENT_AFTER.search(html[b:b + 8])
                   for a, b in spots]
    return not (spots and all(life_events))


def _find_all(text: str, needle: str):
    start = text.find(needle)
    while start != -1:
        yield start
        start = text.find(needle, start + 1)
