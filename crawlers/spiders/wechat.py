"""WeChat public-account articles (微信公众号), found through Sogou's WeChat search.

    - id: wechat-jl-insurance
      channel: wechat
      spider: wechat
      query: [吉林 保险 理赔]           # keyword search over all accounts
      accounts: [吉林保险观察]          # or: articles of these accounts only
      cookie_env: YUQING_SOGOU_COOKIE   # SNUID=…; optional, fewer captchas with it

Search result pages (``presets.yaml`` ``wechat.results``) give per article
its title, summary, account and publish time (``t``, epoch seconds), and a
``/link?url=…`` page whose script assembles the article's temporary
``mp.weixin.qq.com`` URL. An account-list source searches each account's
name and keeps the results of that account only.

Resolving a link costs two requests and Sogou rate-limits hard, so a result
already published is recognised *before* resolving, by a stable key (account,
time, title) recorded as an alias of the document. The article's URL is
made permanent from its ``og:url`` (``__biz``/``mid``/``idx``/``sn``), since
the temporary link expires. A redirect to ``/antispider/`` (captcha) makes
the run blind: source health reports it.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from crawlers.dates import parse_date
from crawlers.extract import clean_title, decoded_html, extract_page, select_links, select_texts
from crawlers.spiders.api import presets
from crawlers.spiders.base import SourceSpider
from crawlers.state import content_hash
from pipeline.config import Selectors

_URL_PIECE = re.compile(r"""url\s*\+=\s*['"]([^'"]*)['"]""")
_CT = re.compile(r"""\bvar\s+ct\s*=\s*["']?(\d{10})""")
_GONE = ("该内容已被发布者删除", "此内容因违规无法查看", "此内容被投诉且经审核涉嫌侵权", "该公众号已迁移")


class WechatSpider(SourceSpider):
    name = "wechat"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preset = presets()["wechat"]
        self.endpoint = self.source.endpoint or self.preset["endpoint"]
        self.article = self.source.selectors or Selectors(**self.preset["article"])

    async def start(self):
        for term, account in [(q, None) for q in self.source.query] + [(a, a) for a in self.source.accounts]:
            url = self.preset["search_url"].format(endpoint=self.endpoint, query=quote(term))
            yield self.search_request(url, account, 1)

    def search_request(self, url: str, account: str | None, page: int) -> scrapy.Request:
        return scrapy.Request(url, **self.auth(), callback=self.parse_search,
                              errback=self.request_failed, dont_filter=True, priority=10,
                              cb_kwargs={"account": account, "page": page})

    def parse_search(self, response, account: str | None, page: int):
        self.page_fetched(response)
        if self._captcha(response):
            return
        sel = Selector(text=decoded_html(response)) if isinstance(response, TextResponse) else None
        r = self.preset["results"]
        results = sel.css(r["item"]) if sel is not None else []
        if not results:
            self.blind("no search results on the page (layout changed or blocked?)", response.url)
        fresh = 0
        for res in results:
            found = {k: next(iter(select_texts(res, r[k])), "") for k in ("title", "summary", "account", "time")}
            if account and found["account"] != account:
                continue  # another account mentioning the name
            links = select_links(res, r["link"])
            if not links:
                continue
            key = f"sogou-wechat:{found['account']}:{found['time']}:{content_hash(clean_title(found['title']))[:16]}"
            if self.state.seen(self.source.id, key):
                self.count("skipped_seen")
                continue
            fresh += 1
            yield scrapy.Request(response.urljoin(links[0]), **self.auth(), callback=self.parse_link,
                                 errback=self.request_failed, cb_kwargs={"found": found, "key": key})
        next_links = select_links(sel, r["next_page"]) if sel is not None else []
        if fresh and next_links and page < self.source.max_pages:
            yield self.search_request(response.urljoin(next_links[0]), account, page + 1)

    def parse_link(self, response, found: dict, key: str):
        """Sogou's /link page: a script that builds the article URL piece by piece
        (or, on some paths, a plain redirect straight to the article)."""
        self.page_fetched(response)
        if self._captcha(response):
            return
        if "mp.weixin.qq.com" in response.url or response.css("#js_content"):
            yield from self.parse_article(response, found, key, counted=True)
            return
        pieces = _URL_PIECE.findall(response.text if isinstance(response, TextResponse) else "")
        if not pieces:
            self.blind("link page without an article URL", response.url)
            return
        url = "".join(pieces).replace("@", "")
        yield scrapy.Request(response.urljoin(url), callback=self.parse_article, errback=self.request_failed,
                             cb_kwargs={"found": found, "key": key})

    def parse_article(self, response, found: dict, key: str, counted: bool = False):
        if not counted:
            self.page_fetched(response)
        html = response.text if isinstance(response, TextResponse) else ""
        ex = extract_page(response, self.article, self.now, self.tz) if html else None
        gone = html and not response.css("#js_content") and any(marker in html for marker in _GONE)
        if ex is None or not ex.text or gone:
            # Deleted or blocked: publish what the search result showed.
            self.count("articles_gone")
            url, title, text, author, published = response.url, found["title"], found["summary"], found["account"], None
        else:
            url, title, text = ex.canonical or response.url, ex.title or found["title"], ex.text
            author, published = ex.author or found["account"], ex.published_at
        # The page fills #publish_time by script from `var ct` (epoch seconds):
        # ct is the exact time; what generic extraction found is a day at best.
        m = _CT.search(html)
        if m or published is None:
            published = parse_date(m.group(1) if m else found["time"], self.now, self.tz)
        item = self.make_item(url, title, text, author, published)
        if item is not None:
            item.aliases = (key,)
            yield item

    def _captcha(self, response) -> bool:
        if "antispider" in response.url:
            self.blind("Sogou asks for a captcha (antispider): slow down or refresh the cookie", response.url)
            return True
        return False
