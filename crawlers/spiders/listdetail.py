"""List -> detail spider, driven by a source's selectors: news sites, blogs,
Discuz-style forums and Tieba.

The list pages (``start_urls``, then ``selectors.next_page`` up to
``max_pages``) are fetched on every run; they are where new items appear.
A detail page whose URL is already in the crawl state is not fetched again,
so a steady-state run costs a handful of list pages per source — unless the
source sets ``revisit``: pages first seen less than that long ago are
fetched again and re-published only if their title or text changed (news
gets corrected in its first hours). Detail fields come from the selectors,
falling back field by field to generic extraction (see ``crawlers.extract``).

Tieba (and some portals) ship the thread list inside HTML comments that
their JavaScript unwraps; when the list selector matches nothing, the page
is read again with its comments unwrapped before it is declared blind.
"""
from __future__ import annotations

import time

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from crawlers.extract import decoded_html, extract_page, select_links
from crawlers.spiders.base import SourceSpider
from pipeline.config import Selectors


class ListDetailSpider(SourceSpider):
    name = "listdetail"

    @property
    def selectors(self) -> Selectors:
        selectors = self.source.selectors
        assert selectors is not None  # SourceConfig: spiders listdetail and epaper need selectors.list_links
        return selectors

    async def start(self):
        for url in self.source.start_urls:
            yield self.list_request(url)

    def list_request(self, url: str, page: int = 1) -> scrapy.Request:
        # dont_filter: a list URL may also be linked from another list page.
        return scrapy.Request(url, **self.auth(), callback=self.parse_list, errback=self.request_failed,
                              cb_kwargs={"page": page}, dont_filter=True, priority=10)

    def parse_list(self, response, page: int):
        self.page_fetched(response)
        sel = self.list_selector(response)
        if sel is None:
            return
        selectors = self.selectors
        links = select_links(sel, selectors.list_links)
        if not links and "<!--" in sel.get():
            sel = Selector(text=sel.get().replace("<!--", "").replace("-->", ""))
            links = select_links(sel, selectors.list_links)
        if not links:
            # Usually a redesign broke list_links, or a login wall / captcha page.
            self.count("empty_lists")
            self.blind(f"no links matched {selectors.list_links!r}", response.url)
        yield from self.detail_requests(response, links)
        if selectors.next_page and page < self.source.max_pages:
            next_links = select_links(sel, selectors.next_page)
            if next_links:
                yield self.list_request(response.urljoin(next_links[0]), page + 1)

    def list_selector(self, response) -> Selector | None:
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.logger.warning("source %s: list %s is not text (%s)", self.source.id, response.url,
                                response.headers.get("Content-Type"))
            return None
        html = decoded_html(response)
        return response.selector if html is response.text else Selector(text=html)

    def detail_requests(self, response, links: list[str]):
        revisit_since = time.time() - self.source.revisit if self.source.revisit else None
        for href in dict.fromkeys(links):  # a link listed twice is fetched once
            url = response.urljoin(href)
            if not url.startswith(("http://", "https://")):
                continue
            first_seen = self.state.first_seen(self.source.id, url)
            if first_seen is not None and (revisit_since is None or first_seen < revisit_since):
                self.count("skipped_seen")
                continue
            yield scrapy.Request(url, **self.auth(), callback=self.parse_detail, errback=self.request_failed,
                                 meta={"revisit": first_seen is not None})

    def parse_detail(self, response):
        self.page_fetched(response)
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.logger.warning("source %s: %s is not a text page", self.source.id, response.url)
            return
        ex = extract_page(response, self.source.selectors, self.now, self.tz)
        for field in ex.fallbacks:
            self.count(f"fallback/{field}")
        url = ex.canonical or response.url
        item = self.make_item(url, ex.title, ex.text, ex.author, ex.published_at, engagement=ex.engagement)
        if item is None:
            return
        # The URL the list linked to (before redirects) and the fetched one are
        # recorded too, so the next run skips the list link without a fetch.
        linked = (response.meta.get("redirect_urls") or [response.url])[0]
        item.aliases = tuple(u for u in dict.fromkeys((linked, response.url)) if u != item.document.url)
        if response.meta.get("revisit") and self.is_unchanged(item):
            return
        yield item
