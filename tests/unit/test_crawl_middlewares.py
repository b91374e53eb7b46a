"""Retries wait with backoff (and honour Retry-After); proxies rotate, and a
retry goes through the next one."""
from __future__ import annotations

import time

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawlers.middlewares import BackoffRetryMiddleware, ProxyRotationMiddleware


def middleware(cls, **settings):
    crawler = get_crawler(Spider, settings_dict=settings)
    crawler.spider = crawler._create_spider("test")
    return cls.from_crawler(crawler)


def test_retry_waits_longer_each_time_and_honours_retry_after():
    mw = middleware(BackoffRetryMiddleware, RETRY_TIMES=3, YUQING_BACKOFF=2.0, YUQING_BACKOFF_MAX=60.0)
    req = Request("http://x.cn/a.html")
    waits = []
    for _ in range(3):
        before = time.monotonic()
        req = mw.process_response(req, HtmlResponse(req.url, status=503, request=req))
        assert isinstance(req, Request)
        waits.append(req.meta["yuqing_retry_at"] - before)
    assert 1.5 < waits[0] < 2.5 and 3 < waits[1] < 5 and 6 < waits[2] < 10
    limited = mw.process_response(Request("http://x.cn/b.html"), HtmlResponse(
        "http://x.cn/b.html", status=429, headers={"Retry-After": "30"}))
    assert limited.meta["yuqing_retry_at"] - time.monotonic() > 25
    ok = HtmlResponse("http://x.cn/c.html", status=200)
    assert mw.process_response(Request(ok.url), ok) is ok


def test_proxies_rotate_and_retries_change_proxy():
    with pytest.raises(NotConfigured):
        middleware(ProxyRotationMiddleware)
    mw = middleware(ProxyRotationMiddleware, YUQING_PROXIES=["http://p1:3128", "http://p2:3128"])
    first, second = Request("http://x.cn/1"), Request("http://x.cn/2")
    mw.process_request(first)
    mw.process_request(second)
    assert (first.meta["proxy"], second.meta["proxy"]) == ("http://p1:3128", "http://p2:3128")
    retry = first.replace(meta={**first.meta, "retry_times": 1})  # p1 failed
    mw.process_request(retry)
    assert retry.meta["proxy"] == "http://p2:3128"
    again = retry.replace(meta={**retry.meta, "retry_times": 2})  # p2 failed too
    mw.process_request(again)
    assert again.meta["proxy"] == "http://p1:3128"
