"""RSS 2.0 / Atom spider.

Each entry gives title, link, publish time, author and a description. Feeds
often carry only a summary, so when the description is short or visibly
cut off, the linked page is fetched and its main text extracted (by the
source's ``selectors`` when it has them, else trafilatura); if that fails, the description is published rather than
nothing. An entry already published with the same content hash is skipped
without fetching anything; an edited entry (new hash) is published again
under the same document id.
"""
from __future__ import annotations

import re

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from crawlers.dates import parse_date
from crawlers.extract import clean_title, decoded_html, extract_page, html_to_text
from crawlers.spiders.base import SourceSpider
from crawlers.state import content_hash

# A description at least this long (in characters of text) is the article.
FULL_TEXT_CHARS = 200
_CUT_MARKS = ("…", "...", "阅读全文", "查看全文", "[more]", "更多")


class RssSpider(SourceSpider):
    name = "rss"

    async def start(self):
        for url in self.source.start_urls:
            yield scrapy.Request(url, **self.auth(), callback=self.parse_feed, errback=self.request_failed,
                                 dont_filter=True)

    def parse_feed(self, response):
        self.page_fetched(response)
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.logger.warning("source %s: feed %s is not text", self.source.id, response.url)
            return
        text = decoded_html(response)
        broken = _not_well_formed(text)
        if broken:  # a feed cut off in transfer: what it holds is published, but the run failed
            self.count("errors")
            self.count("broken")
            self.crawler.stats.set_value("yuqing/last_error", f"feed truncated or not well-formed XML: {broken}")
            self.logger.warning("source %s: feed %s is truncated or not well-formed: %s", self.source.id,
                                response.url, broken)
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()  # dc:creator, content:encoded and Atom alike
        entries = [self._rss_entry(e) for e in sel.xpath("//item")]
        entries += [self._atom_entry(e) for e in sel.xpath("//entry")]
        if not entries:
            self.count("empty_lists")
            self.blind("no RSS items or Atom entries (an error page instead of the feed?)", response.url)
        for entry in entries:
            if not entry["link"]:
                self.count("skipped_empty")
                continue
            entry["link"] = response.urljoin(entry["link"])
            entry["hash"] = content_hash(entry["title"], entry["description"], entry["date"])
            if self.state.hash_of(self.source.id, entry["link"]) == entry["hash"]:
                self.count("skipped_seen")
                continue
            text = html_to_text(entry["description"])
            if len(text) >= FULL_TEXT_CHARS and not text.rstrip().endswith(_CUT_MARKS):
                item = self._item(entry, text, None)
                if item:
                    yield item
            else:
                yield scrapy.Request(entry["link"], **self.auth(), callback=self.parse_page, errback=self.page_failed,
                                     cb_kwargs={"entry": entry})

    def parse_page(self, response, entry: dict):
        self.page_fetched(response)
        page = (extract_page(response, self.source.selectors, self.now, self.tz)
                if isinstance(response, TextResponse) else None)
        summary = html_to_text(entry["description"])
        # The page's text is the article unless extraction found less than the summary.
        text = page.text if page and len(page.text) >= len(summary) else summary
        item = self._item(entry, text, page)
        if item:
            yield item

    def page_failed(self, failure):
        """The linked page is gone or blocked: publish what the feed said."""
        self.request_failed(failure)
        entry = failure.request.cb_kwargs["entry"]
        item = self._item(entry, html_to_text(entry["description"]), None)
        if item:
            yield item

    def _item(self, entry: dict, text: str, page):
        published = parse_date(entry["date"], self.now, self.tz) or (page.published_at if page else None)
        return self.make_item(entry["link"], entry["title"] or (page.title if page else ""), text,
                              entry["author"] or (page.author if page else None), published,
                              state_hash=entry["hash"])

    @staticmethod
    def _rss_entry(e: Selector) -> dict:
        link = e.xpath("string(link)").get("").strip()
        if not link:  # guid isPermaLink is the link when <link> is missing
            link = e.xpath("string(guid[not(@isPermaLink='false')])").get("").strip()
        content = e.xpath("string(encoded)").get("")
        description = e.xpath("string(description)").get("")
        return {
            "title": clean_title(e.xpath("string(title)").get("")),
            "link": link,
            "description": content if len(content) > len(description) else description,
            "date": e.xpath("string(pubDate)").get("") or e.xpath("string(date)").get(""),
            "author": _rss_author(e.xpath("string(author)").get("") or e.xpath("string(creator)").get("")),
        }

    @staticmethod
    def _atom_entry(e: Selector) -> dict:
        link = (e.xpath("link[@rel='alternate']/@href").get() or e.xpath("link[not(@rel)]/@href").get()
                or e.xpath("link/@href").get() or "")
        content = e.xpath("string(content)").get("")
        summary = e.xpath("string(summary)").get("")
        return {
            "title": clean_title(e.xpath("string(title)").get("")),
            "link": link.strip(),
            "description": content if len(content) > len(summary) else summary,
            "date": e.xpath("string(published)").get("") or e.xpath("string(updated)").get(""),
            "author": e.xpath("string(author/name)").get("").strip() or None,
        }


def _rss_author(value: str) -> str | None:
    """RSS 2.0 wants ``email (Name)``; Chinese feeds mostly give the name."""
    value = value.strip()
    if "(" in value and value.endswith(")") and "@" in value.split("(", 1)[0]:
        return value.split("(", 1)[1][:-1].strip() or None
    if "@" in value and " " not in value:
        return None  # a bare address is not a byline
    return value or None


def _not_well_formed(text: str) -> str | None:
    """Why ``text`` is not a whole XML document (lxml's strict parser), or None when it is."""
    from lxml import etree
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)  # a str may not carry its encoding declaration
    try:
        etree.fromstring(body, etree.XMLParser(recover=False, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        return str(e)[:200]
    return None
