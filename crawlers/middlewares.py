"""Downloader middlewares for polite, resilient 7x24 crawling.

* ``BackoffRetryMiddleware`` — Scrapy's RetryMiddleware retries at once;
  hammering a site that just answered 503 or 429 is how crawlers get
  banned. This one waits ``backoff × 2^(n-1)`` seconds (±20 % jitter, at
  most ``YUQING_BACKOFF_MAX``) before the n-th retry, and at least what a
  ``Retry-After`` header asks. The wait happens in ``process_request`` of the
  retried request, so other requests go on meanwhile.
* ``ProxyRotationMiddleware`` — sends requests through the source's proxy
  list in turn, and a retried request through the next proxy (a dead proxy
  must not fail the source). Disabled (NotConfigured) without proxies.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

log = logging.getLogger(__name__)

_RETRY_AT = "yuqing_retry_at"


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("YUQING_BACKOFF", 2.0)
        self.backoff_max = settings.getfloat("YUQING_BACKOFF_MAX", 60.0)

    async def process_request(self, request: Request, spider=None):
        wait = request.meta.get(_RETRY_AT, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(self, request: Request, response, spider=None):
        out = super().process_response(request, response)
        if isinstance(out, Request):
            self._schedule(out, _retry_after(response.headers.get(b"Retry-After")))
        return out

    def process_exception(self, request: Request, exception: Exception, spider=None):
        out = super().process_exception(request, exception)
        if isinstance(out, Request):
            self._schedule(out, 0.0)
        return out

    def _schedule(self, retry: Request, at_least: float) -> None:
        n = retry.meta.get("retry_times", 1)
        delay = self.backoff * 2 ** (n - 1) * random.uniform(0.8, 1.2)
        delay = min(max(delay, at_least), self.backoff_max)
        retry.meta[_RETRY_AT] = time.monotonic() + delay
        log.debug("retry %d of %s in %.1fs", n, retry.url, delay)


def _retry_after(value: bytes | None) -> float:
    """Seconds from a Retry-After header (the delta form; dates are rare)."""
    try:
        return max(0.0, float(value.decode("ascii"))) if value else 0.0
    except ValueError:
        return 0.0


class ProxyRotationMiddleware:
    def __init__(self, proxies: list[str]) -> None:
        self._cycle = itertools.cycle(proxies)
        self._several = len(set(proxies)) > 1

    @classmethod
    def from_crawler(cls, crawler) -> ProxyRotationMiddleware:
        proxies = [p.strip() for p in crawler.settings.getlist("YUQING_PROXIES") if p.strip()]
        if not proxies:
            raise NotConfigured  # crawlers.run enables it only for sources with proxies
        log.info("sending requests through %d prox%s in turn", len(proxies), "y" if len(proxies) == 1 else "ies")
        return cls(proxies)

    def process_request(self, request: Request, spider=None):
        # A retry is a copy of the failed request, proxy included: use another one.
        if "proxy" not in request.meta or request.meta.get("retry_times"):
            failed, proxy = request.meta.get("proxy"), next(self._cycle)
            while self._several and proxy == failed:
                proxy = next(self._cycle)
            request.meta["proxy"] = proxy
        return None
