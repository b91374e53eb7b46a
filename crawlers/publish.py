"""Publishing crawled Documents to ``docs.raw``: ``Publisher`` and the Scrapy
item pipeline around it.

Delivery contract (see ``pipeline.bus.base``): a message is durable only once
``Producer.flush`` returns. So documents are flushed every ``FLUSH_EVERY``
items and when the spider closes, and only after a flush succeeded are the
flushed URLs marked seen in the crawl state. A crash or a failed flush loses
at most the unflushed documents, and since their URLs are not marked seen,
the next run crawls and publishes them again (same document id: an
idempotent replay downstream).

``PublishPipeline`` is enabled by ``crawlers.run`` through the settings
``YUQING_BUS_URL``, ``YUQING_BUS_OPTIONS`` and ``YUQING_DATA_DIR``; without a
bus URL it raises NotConfigured, so using the spiders elsewhere publishes
nothing. A failed flush closes the spider with reason ``bus_error``.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from contracts.topics import DOCS_RAW
from crawlers.spiders.base import CrawledItem
from crawlers.state import CrawlState
from pipeline.bus import Bus, BusError, Producer, open_bus

log = logging.getLogger(__name__)

FLUSH_EVERY = 50


class Publisher:
    """Sends items to the bus; marks them seen once a flush made them durable."""

    def __init__(self, producer: Producer, state: CrawlState, source_id: str,
                 flush_every: int = FLUSH_EVERY) -> None:
        self.producer = producer
        self.state = state
        self.source_id = source_id
        self.flush_every = max(1, flush_every)
        self.pending: list[tuple[str, str]] = []  # (url, content hash) sent, not yet flushed
        self.pending_docs = 0  # documents among them (aliases are extra URLs of one document)
        self.pending_newest = 0.0  # newest publish time among them (epoch s)
        self.published = 0

    def send(self, item: CrawledItem) -> None:
        """Queue one document; may flush (and so raise BusError)."""
        doc = item.document
        self.producer.send(DOCS_RAW, doc.to_bytes(), key=doc.id)
        self.pending.append((doc.url, item.content_hash))
        self.pending += [(alias, item.content_hash) for alias in item.aliases]
        self.pending_docs += 1
        if doc.published_at is not None:
            # The spider already clamped a future date to the crawl time
            # (crawlers.dates.clamp_future); min() keeps the cursor from
            # outrunning the crawl for items built some other way.
            newest = min(doc.published_at, doc.crawled_at).timestamp()
            self.pending_newest = max(self.pending_newest, newest)
        if self.pending_docs >= self.flush_every:
            self.flush()

    def flush(self) -> int:
        """Flush, then mark the flushed URLs seen; returns how many. On
        BusError the pending documents are forgotten, unmarked, and re-crawled
        by a later run."""
        pending, self.pending = self.pending, []
        docs, self.pending_docs = self.pending_docs, 0
        newest, self.pending_newest = self.pending_newest, 0.0
        if not pending:
            return 0
        self.producer.flush()
        self.state.mark_seen(self.source_id, pending)
        if newest:  # like seen URLs, the cursor moves only past what is durable
            self.state.advance_cursor(self.source_id, "newest", newest)
        self.published += docs
        return docs


class PublishPipeline:
    def __init__(self, crawler, bus_url: str, data_dir: str, options: dict, flush_every: int) -> None:
        self.crawler = crawler
        self.bus_url = bus_url
        self.data_dir = data_dir
        self.options = options
        self.flush_every = flush_every
        self.bus: Bus | None = None
        self.publisher: Publisher | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler) -> PublishPipeline:
        s = crawler.settings
        url = s.get("YUQING_BUS_URL")
        if not url:
            raise NotConfigured("YUQING_BUS_URL is not set: crawled documents would go nowhere")
        return cls(crawler, url, s.get("YUQING_DATA_DIR", "."), dict(s.getdict("YUQING_BUS_OPTIONS")),
                   s.getint("YUQING_FLUSH_EVERY", FLUSH_EVERY))

    def open_spider(self) -> None:
        # Opening the bus here, not at import or construction, makes a broken
        # bus an error of this crawl run rather than of module loading.
        spider = self.crawler.spider
        self.bus = bus = open_bus(self.bus_url, self.data_dir, **self.options)
        self.publisher = Publisher(bus.producer(), spider.state, spider.source.id, self.flush_every)

    def process_item(self, item):
        if not isinstance(item, CrawledItem) or self.failed:
            return item  # not ours / the bus is down: the URL stays unseen, re-crawled next run
        assert self.publisher is not None, "Scrapy opens the spider (open_spider) before any item"
        self._guarded(self.publisher, self.publisher.send, item)
        return item

    def close_spider(self) -> None:
        try:
            if self.publisher is not None and not self.failed:
                self._guarded(self.publisher, self.publisher.flush, closing=True)
        finally:
            for resource in (self.publisher.producer if self.publisher else None, self.bus):
                try:
                    if resource is not None:
                        resource.close()
                except BusError as exc:  # nothing left to lose: pending was flushed or dropped
                    log.warning("closing the bus: %s", exc)

    def _guarded(self, publisher: Publisher, action, *args, closing: bool = False) -> None:
        before = publisher.published
        try:
            action(*args)
        except BusError as exc:
            self.failed = True
            self.crawler.stats.inc_value("yuqing/bus_errors")
            log.error("source %s: bus flush failed, unflushed documents will be re-crawled: %s",
                      publisher.source_id, exc)
            if not closing:  # crawling on would only fetch pages we cannot publish
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="bus_error"))
        finally:
            self.crawler.stats.inc_value("yuqing/published", publisher.published - before)
