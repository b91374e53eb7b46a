"""What every source spider shares: its SourceConfig, the crawl state, the
clock and timezone, secrets from the environment, turning extracted fields
into a Document, and counting.

Spiders are built by ``crawlers.run`` with keyword arguments
``source`` (a SourceConfig), ``state`` (a CrawlState) and ``tz``; they yield
``CrawledItem``s, which ``crawlers.publish.PublishPipeline`` sends to the bus.
Counters live in the crawler's stats under ``yuqing/`` and end up in the JSON
line that ``python -m crawlers.run`` prints; ``yuqing/errors`` and
``yuqing/blind`` (a page that answered but held nothing we could read: a
login wall, a captcha, selectors that no longer match) decide the run's
health (``crawlers.health``).
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import scrapy
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from contracts.messages import Channel, Document
from contracts.urls import site_of
from crawlers.dates import SHANGHAI, clamp_future, get_tz
from crawlers.extract import clean_author, clean_text, clean_title
from crawlers.fields import guess_language
from crawlers.state import CrawlState, content_hash
from pipeline.config import SourceConfig

log = logging.getLogger(__name__)

UNTITLED_CHARS = 40  # a post without a title is titled by its first words
# Document extra field, set only when the page's publish time lay beyond the
# crawl time (plus crawlers.dates.FUTURE_SKEW): what the page claimed, ISO
# 8601; ``published_at`` then holds the crawl time.
CLAIMED = "published_at_claimed"


def claimed_date(doc: Document) -> datetime | None:
    """The publish time ``doc`` was built from: what the page claimed when it
    was clamped, else ``published_at`` (for spiders that rebuild an item)."""
    raw = (doc.model_extra or {}).get(CLAIMED)
    return datetime.fromisoformat(raw) if raw else doc.published_at


@dataclass
class CrawledItem:
    """A Document plus the hash the crawl state records once it is flushed,
    under the document's URL and its ``aliases`` (the URL a list linked to,
    when the page redirected or declared another canonical URL), so the
    next run recognises the list link without fetching it."""

    document: Document
    content_hash: str
    aliases: tuple[str, ...] = ()


class SourceSpider(scrapy.Spider):
    def __init__(self, source: SourceConfig, state: CrawlState, tz: tzinfo = SHANGHAI,
                 now: datetime | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.state = state
        self.tz = get_tz(source.timezone) if source.timezone else tz
        # One reference time per run for relative dates ("3小时前"); injectable
        # (``python -m crawlers.run --now``) so tests crawl on a fixed clock.
        self.now = now or datetime.now(self.tz)
        self._started = time.monotonic()

    def crawl_time(self) -> datetime:
        """The crawl's clock: ``now`` plus the time this run has taken."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    # ------------------------------------------------------------ counting

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"yuqing/{key}", n)

    def page_fetched(self, response) -> None:
        self.count("pages")
        self.logger.debug("fetched %s (%s)", response.url, getattr(response, "encoding", "-"))

    def blind(self, why: str, url: str) -> None:
        """The page answered but held nothing readable: counted apart from
        quiet pages, because a blind channel must not look like a quiet one."""
        self.count("blind")
        self.crawler.stats.set_value("yuqing/blind_reason", why)
        self.logger.warning("source %s: %s (%s)", self.source.id, why, url)

    def request_failed(self, failure: Failure):
        """Errback: count and log; the crawl goes on with the other pages.
        A page robots.txt forbids is the site's wish, not an error."""
        request = getattr(failure, "request", None)
        message = failure.getErrorMessage()
        if failure.check(IgnoreRequest) and "robots.txt" in message:
            self.count("robots_forbidden")
            return
        self.count("errors")
        self.crawler.stats.set_value("yuqing/last_error", f"{request.url if request else 'request'}: {message}"[:300])
        self.logger.warning("source %s: %s failed: %s", self.source.id,
                            request.url if request else "request", message)

    # ------------------------------------------------------------ secrets and requests

    def secret(self, env_name: str | None, what: str) -> str | None:
        """The value of the environment variable ``env_name``; a missing one is
        logged and counted (the source will likely answer with a login wall)."""
        if not env_name:
            return None
        value = os.environ.get(env_name)
        if not value:
            self.count("missing_secrets")
            self.logger.warning("source %s: %s: environment variable %s is not set", self.source.id, what, env_name)
        return value or None

    def request_headers(self, **extra: str) -> dict[str, str]:
        """Configured headers and secret ones from the environment."""
        headers = {**extra, **self.source.headers}
        for name, env in self.source.headers_env.items():
            value = self.secret(env, f"header {name}")
            if value:
                headers[name] = value
        return headers

    def request_cookies(self) -> dict[str, str]:
        """The ``cookie_env`` cookie string (``SUB=…; SUBP=…``) as a dict.
        Passed as Request(cookies=…): Scrapy's cookie middleware replaces any
        Cookie header, and keeps what the site sets in its cookie jar."""
        raw = self.secret(self.source.cookie_env, "cookie") or ""
        pairs = (part.strip().partition("=") for part in raw.split(";"))
        return {name.strip(): value.strip() for name, sep, value in pairs if sep and name.strip()}

    def auth(self, **headers: str) -> dict:
        """``headers`` and ``cookies`` keyword arguments for a scrapy.Request
        (secrets are read, and a missing one reported, once per run)."""
        if not hasattr(self, "_auth"):
            self._auth = (self.request_headers(), self.request_cookies())
        return {"headers": {**headers, **self._auth[0]}, "cookies": dict(self._auth[1])}

    def request_params(self) -> dict[str, str]:
        """Configured query parameters plus secret ones (signatures, tokens)."""
        params = dict(self.source.params)
        for name, env in self.source.params_env.items():
            value = self.secret(env, f"parameter {name}")
            if value:
                params[name] = value
        return params

    def newest_published(self) -> float:
        """Epoch seconds of the newest document already published (0: none)."""
        value = self.state.cursor(self.source.id, "newest")
        return float(value) if value else 0.0

    # ------------------------------------------------------------ items

    def make_item(self, url: str, title: str | None, text: str | None, author: str | None,
                  published_at: datetime | None, state_hash: str | None = None, *,
                  engagement: dict[str, int] | None = None, language: str | None = None,
                  channel: Channel | str | None = None) -> CrawledItem | None:
        """A CrawledItem, or None (logged, counted) when there is nothing to publish.
        The state hash covers title and text only: a changed like count is
        not a changed document."""
        title, text = clean_title(title), clean_text(text)
        if not title and not text:
            self.count("skipped_empty")
            self.logger.info("source %s: skipping %s: no title and no text extracted", self.source.id, url)
            return None
        if not title:
            first_line = text.split("\n", 1)[0]
            title = first_line[:UNTITLED_CHARS] + ("…" if len(first_line) > UNTITLED_CHARS else "")
        language = language or self.source.language
        if language == "auto":
            language = guess_language(f"{title}\n{text}")
        crawled_at = self.crawl_time()
        published_at, claimed = clamp_future(published_at, crawled_at)
        extra = {CLAIMED: claimed.isoformat()} if claimed else {}
        if claimed:
            self.count("future_dates")
            self.logger.info("source %s: %s claims to be published at %s, after the crawl: clamped to %s",
                             self.source.id, url, claimed.isoformat(), crawled_at.isoformat())
        doc = Document.create(
            url=url, source_id=self.source.id, channel=channel or self.source.channel, site=self.source.site or site_of(url),
            title=title, text=text, author=clean_author(author), published_at=published_at,
            crawled_at=crawled_at, language=language, engagement=engagement or {},
            source_name=self.source.name, **extra)
        return CrawledItem(doc, state_hash or content_hash(title, text))

    def is_unchanged(self, item: CrawledItem) -> bool:
        """True (and counted) when this exact content was already published."""
        if self.state.hash_of(self.source.id, item.document.url) == item.content_hash:
            self.count("skipped_seen")
            return True
        return False
