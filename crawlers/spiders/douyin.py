"""Douyin: keyword search and account feeds through www.douyin.com's web JSON API.

    - id: douyin-jl-insurance
      channel: douyin
      spider: douyin
      query: [吉林 保险 理赔]
      accounts: ["MS4wLjABAAAA…"]       # sec_user_id
      cookie_env: YUQING_DOUYIN_COOKIE
      params_env: {msToken: YUQING_DOUYIN_MSTOKEN, a_bogus: YUQING_DOUYIN_A_BOGUS}

A video is published as a Document whose text is its description (标题与
话题), author the account's nickname, engagement its likes, comments,
shares, collects and plays. Search pages by ``offset``/``cursor``, feeds by
``max_cursor`` (``presets.yaml``).

Douyin signs its web API (``a_bogus``, ``msToken``) and answers a request
with a missing or stale signature with HTTP 200 and an *empty body* — the
generic spider counts that as a blind page, so an expired signature shows up
in source health instead of as a quiet channel. Computing signatures is out
of scope: they come from the environment, refreshed by whoever operates the
signing service or the data vendor's feed (spider ``jsonapi``).
"""
from __future__ import annotations

import re

from crawlers.spiders.api import JsonApiSpider
from crawlers.spiders.base import claimed_date

_HASHTAG = re.compile(r"[#＃][^\s#＃]+")


class DouyinSpider(JsonApiSpider):
    name = "douyin"
    platform = "douyin"

    def item_from(self, raw: dict, spec):
        """Titled by the description without its hashtags (a video's words),
        or by its author when the description is hashtags only."""
        item = super().item_from(raw, spec)
        if item is None:
            return None
        doc = item.document
        words = " ".join(_HASHTAG.sub(" ", doc.text.split("\n", 1)[0]).split())
        title = words[:60] or f"抖音视频 @{doc.author or doc.url.rsplit('/', 1)[-1]}"
        return self.make_item(doc.url, title, doc.text, doc.author, claimed_date(doc), engagement=doc.engagement)
