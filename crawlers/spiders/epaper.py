"""E-newspaper digital editions (电子报刊 / 数字报): issue → 版面 → article.

Provincial papers (吉林日报, 城市晚报, 新文化报 …) publish each day's issue
as a set of 版面 (page) pages under a dated path, e.g.
``/pc/paper/layout/202611/25/node_01.html``; each 版面 lists its articles
(often as an image map plus a title list) and links every other 版面 of the
issue. So a run:

1. formats ``epaper.issue_url`` with today's date (and ``epaper.days - 1``
   days before, for issues published late or crawled after midnight);
2. on each 版面, follows every link matched by ``epaper.pages`` (the 版面
   navigation: 第01版 要闻, 第02版 经济 …) once, and every article link
   matched by ``selectors.list_links``;
3. extracts articles like any list/detail source (``selectors`` first,
   generic extraction for what they miss).

A date with no issue (Sundays for some papers, holidays) answers 404; that is
counted as ``missing_issues``, not as an error, unless no issue was found at
all in a run, which is a blind run.
"""
from __future__ import annotations

from datetime import timedelta

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.extract import select_links
from crawlers.spiders.listdetail import ListDetailSpider
from pipeline.config import EpaperSpec


class EpaperSpider(ListDetailSpider):
    name = "epaper"

    @property
    def spec(self) -> EpaperSpec:
        spec = self.source.epaper
        assert spec is not None  # SourceConfig: spider epaper needs epaper.issue_url and epaper.pages
        return spec

    async def start(self):
        spec = self.spec
        for back in range(spec.days):
            day = (self.now - timedelta(days=back)).astimezone(self.tz)
            url = spec.issue_url.format(date=day)
            # Filtered like the 版面 links, so the first 版面 is not fetched again from the navigation.
            yield scrapy.Request(url, **self.auth(), callback=self.parse_layout, errback=self.issue_missing,
                                 priority=10, cb_kwargs={"issue": f"{day:%Y-%m-%d}"})

    def parse_layout(self, response, issue: str):
        """One 版面: its articles, and the other 版面 of the same issue."""
        self.page_fetched(response)
        self.count("issue_pages")
        sel = self.list_selector(response)
        if sel is None:
            return
        links = select_links(sel, self.selectors.list_links)
        if not links:
            # An empty 版面 happens (a full-page advertisement); all of them empty does not.
            self.count("empty_lists")
        yield from self.detail_requests(response, links)
        for href in select_links(sel, self.spec.pages):
            # The scheduler's duplicate filter visits each 版面 once although every 版面 links them all.
            yield scrapy.Request(response.urljoin(href), **self.auth(), callback=self.parse_layout,
                                 errback=self.request_failed,
                                 priority=10, cb_kwargs={"issue": issue})

    def issue_missing(self, failure):
        response = getattr(failure.value, "response", None)
        if failure.check(HttpError) and response is not None and response.status == 404:
            self.count("missing_issues")
            self.logger.info("source %s: no issue at %s", self.source.id, response.url)
            return
        self.request_failed(failure)

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats
        pages = stats.get_value("yuqing/issue_pages", 0)
        if pages == 0 and stats.get_value("yuqing/missing_issues", 0):
            self.blind(f"no issue found in the last {self.spec.days} day(s)", self.spec.issue_url)
        elif pages and stats.get_value("yuqing/empty_lists", 0) >= pages:
            self.blind(f"no article links matched {self.selectors.list_links!r} on any 版面", self.spec.issue_url)
