"""Weibo: keyword search and account timelines through m.weibo.cn's JSON API.

    - id: weibo-jl-insurance
      channel: weibo
      spider: weibo
      query: [吉林 保险 理赔, 中国人寿 吉林]
      accounts: ["1234567890"]          # uids
      cookie_env: YUQING_WEIBO_COOKIE   # the mobile web client's cookie (SUB=…)

The container API returns ``cards``; a weibo is a card's ``mblog`` (search
results also nest them in ``card_group``). What Weibo adds to the generic
JSON API spider (``crawlers.spiders.api``, paths in ``presets.yaml``):

* a truncated weibo (``isLongText``) is completed from ``statuses/extend``
  (the full text); if that fails, the truncated text is published;
* a repost carries the reposted weibo's text after ``//@author:`` — for
  public opinion the reposted complaint is the point;
* emoticons are ``<img alt="[怒]">``: their alt text is kept, it is opinion;
  the "全文" link of a truncated text is not.

Without a cookie m.weibo.cn answers search with ``ok: 0`` or a login page
after a few requests: that is a blind run, and the health check says so.
"""
from __future__ import annotations

import re

import scrapy

from crawlers.extract import html_to_text
from crawlers.spiders.api import JSON_ACCEPT, JsonApiSpider, jget
from crawlers.spiders.base import CrawledItem, claimed_date

_EMOTICON = re.compile(r"""<img[^>]*?alt=["']?(\[[^\]"'<>]{1,8}\])["']?[^>]*>""", re.I)
_EMPTY_CHAIN = re.compile(r"\s*//@[^:：/]{1,30}[:：]\s*$")
_FULL_TEXT_LINK = re.compile(r"""<a[^>]*>\s*全文\s*</a>""")


class WeiboSpider(JsonApiSpider):
    name = "weibo"
    platform = "weibo"

    def prepare_html(self, html):
        if not isinstance(html, str):
            return html
        return _FULL_TEXT_LINK.sub("", _EMOTICON.sub(r"\1", html))

    def item_from(self, raw: dict, spec):
        item = super().item_from(raw, spec)
        reposted = raw.get("retweeted_status")
        if item is not None and isinstance(reposted, dict) and reposted.get("text"):
            who = jget(reposted, "user.screen_name") or "原博"
            quoted = html_to_text(self.prepare_html(reposted["text"]))
            doc = item.document
            own = _EMPTY_CHAIN.sub("", doc.text)  # "转发理由//@原博:" ends with who is quoted below
            return self.make_item(doc.url, None, f"{own}\n//@{who}：{quoted}", doc.author, claimed_date(doc),
                                  engagement=doc.engagement)
        return item

    def complete(self, item: CrawledItem, raw: dict):
        if not raw.get("isLongText") or not raw.get("id"):
            yield item
            return
        url = self.preset["long_text_url"].format(endpoint=self.endpoint, id=raw["id"])
        yield scrapy.Request(url, **self.auth(Accept=JSON_ACCEPT), callback=self.parse_long_text, errback=self.long_text_failed,
                             cb_kwargs={"item": item})

    def parse_long_text(self, response, item: CrawledItem):
        self.page_fetched(response)
        data = self.load_json(response)
        html = jget(data, "data.longTextContent") if isinstance(data, dict) else None
        if html:
            doc = item.document
            full = html_to_text(self.prepare_html(html))
            repost = doc.text.split("\n//@", 1)[1] if "\n//@" in doc.text else None
            # Same state hash as the truncated weibo: parse_api compared that
            # one, so an unchanged long weibo costs no extend request next run.
            item = self.make_item(doc.url, None, full + (f"\n//@{repost}" if repost else ""), doc.author,
                                  claimed_date(doc), state_hash=item.content_hash, engagement=doc.engagement) or item
        else:
            self.count("long_text_missing")
        yield item

    def long_text_failed(self, failure):
        """The full text is gone or blocked: publish the truncated one."""
        self.request_failed(failure)
        yield failure.request.cb_kwargs["item"]
