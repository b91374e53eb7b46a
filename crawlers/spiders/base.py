"""What every source spider shares: its SourceConfig, the crawl state, the
clock and timezone, turning extracted fields into a Document, and counting.

Spiders are built by ``crawlers.run`` with keyword arguments
``source`` (a SourceConfig), ``state`` (a CrawlState) and ``tz``; they yield
``CrawledItem``s, which ``crawlers.publish.PublishPipeline`` sends to the bus.
Counters live in the crawler's stats under ``yuqing/`` and end up in the JSON
line that ``python -m crawlers.run`` prints.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo

import scrapy
from twisted.python.failure import Failure

from crawlers.dates import SHANGHAI
from crawlers.extract import clean_author, clean_text, clean_title
from crawlers.state import CrawlState, content_hash
from pipeline.config import SourceConfig
from pipeline.messages import Document
from pipeline.urls import site_of

log = logging.getLogger(__name__)

UNTITLED_CHARS = 40  # a post without a title is titled by its first words


@dataclass
class CrawledItem:
    """A Document plus the hash the crawl state records once it is flushed."""

    document: Document
    content_hash: str


class SourceSpider(scrapy.Spider):
    def __init__(self, source: SourceConfig, state: CrawlState, tz: tzinfo = SHANGHAI,
                 now: datetime | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.state = state
        self.tz = tz
        # One reference time per run for relative dates ("3小时前").
        self.now = now or datetime.now(tz)

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"yuqing/{key}", n)

    def page_fetched(self, response) -> None:
        self.count("pages")
        self.logger.debug("fetched %s (%s)", response.url, response.encoding if hasattr(response, "encoding") else "-")

    def request_failed(self, failure: Failure):
        """Errback: count and log; the crawl goes on with the other pages."""
        self.count("errors")
        request = getattr(failure, "request", None)
        self.logger.warning("source %s: %s failed: %s", self.source.id,
                            request.url if request else "request", failure.getErrorMessage())

    def make_item(self, url: str, title: str | None, text: str | None, author: str | None,
                  published_at: datetime | None, state_hash: str | None = None) -> CrawledItem | None:
        """A CrawledItem, or None (logged, counted) when there is nothing to publish."""
        title, text = clean_title(title), clean_text(text)
        if not title and not text:
            self.count("skipped_empty")
            self.logger.info("source %s: skipping %s: no title and no text extracted", self.source.id, url)
            return None
        if not title:
            first_line = text.split("\n", 1)[0]
            title = first_line[:UNTITLED_CHARS] + ("…" if len(first_line) > UNTITLED_CHARS else "")
        doc = Document.create(
            url=url, source_id=self.source.id, channel=self.source.channel, site=site_of(url),
            title=title, text=text, author=clean_author(author), published_at=published_at,
            language=self.source.language)
        return CrawledItem(doc, state_hash or content_hash(title, text))
