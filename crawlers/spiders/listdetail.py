"""List -> detail spider, driven by a source's selectors.

The list pages (``start_urls``, then ``selectors.next_page`` up to
``max_pages``) are fetched on every run; they are where new items appear.
A detail page whose URL is already in the crawl state is not fetched again,
so a steady-state run costs a handful of list pages per source. Detail
fields come from the selectors, falling back field by field to generic
extraction (see ``crawlers.extract``).
"""
from __future__ import annotations

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from crawlers.extract import decoded_html, extract_page, select_links
from crawlers.spiders.base import SourceSpider


class ListDetailSpider(SourceSpider):
    name = "listdetail"

    async def start(self):
        for url in self.source.start_urls:
            # dont_filter: a list URL may also be linked from another list page.
            yield scrapy.Request(url, callback=self.parse_list, errback=self.request_failed,
                                 cb_kwargs={"page": 1}, dont_filter=True, priority=10)

    def parse_list(self, response, page: int):
        self.page_fetched(response)
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.logger.warning("source %s: list %s is not text (%s)", self.source.id, response.url,
                                response.headers.get("Content-Type"))
            return
        html = decoded_html(response)
        sel = response.selector if html is response.text else Selector(text=html)
        selectors = self.source.selectors
        links = select_links(sel, selectors.list_links)
        if not links:
            # Usually a redesign broke list_links; say so loudly, it stops the source.
            self.count("empty_lists")
            self.logger.warning("source %s: no links matched %r on %s", self.source.id,
                                selectors.list_links, response.url)
        for href in links:
            url = response.urljoin(href)
            if not url.startswith(("http://", "https://")):
                continue
            if self.state.seen(self.source.id, url):
                self.count("skipped_seen")
                continue
            yield scrapy.Request(url, callback=self.parse_detail, errback=self.request_failed)
        if selectors.next_page and page < self.source.max_pages:
            next_links = select_links(sel, selectors.next_page)
            if next_links:
                yield scrapy.Request(response.urljoin(next_links[0]), callback=self.parse_list,
                                     errback=self.request_failed, cb_kwargs={"page": page + 1}, priority=10)

    def parse_detail(self, response):
        self.page_fetched(response)
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.logger.warning("source %s: %s is not a text page", self.source.id, response.url)
            return
        ex = extract_page(response, self.source.selectors, self.now, self.tz)
        for field in ex.fallbacks:
            self.count(f"fallback/{field}")
        item = self.make_item(response.url, ex.title, ex.text, ex.author, ex.published_at)
        if item is not None:
            yield item
