"""``sources.yaml``: what to crawl, how and how often."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from contracts.messages import Channel
from pipeline.config.base import Strict, _no_duplicates, parse_duration

# ---------------------------------------------------------------- sources


class Selectors(Strict):
    """CSS (default) or XPath (prefix ``xpath:``) selectors for list/detail sites
    (``list_links`` required there), and for the article pages a feed links to."""

    list_links: str | None = None
    next_page: str | None = None
    title: str | None = None
    content: str | None = None
    published_at: str | None = None
    author: str | None = None
    # Counts shown on the detail page, by name: {views: "span.views", replies: "…"};
    # "阅读 1.2万" is read as 12000.
    engagement: dict[str, str] = Field(default_factory=dict)


class EpaperSpec(Strict):
    """An e-newspaper's digital edition (数字报): issue → 版面 → article. The
    first 版面 of an issue is ``issue_url`` formatted with the issue date
    (``{date:%Y%m}/{date:%d}/node_01.html``); every 版面 linked from it by
    ``pages`` is visited and its articles (``selectors.list_links``) fetched."""

    issue_url: str
    pages: str
    days: int = Field(1, ge=1, le=31)  # today's issue and the days before (holidays, late crawls)

    @field_validator("issue_url")
    @classmethod
    def _templated(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v) or "{date" not in v:
            raise ValueError(f"needs an http(s) URL with a {{date:…}} placeholder, got {v!r}")
        return v


class ApiFields(Strict):
    """JMESPath expressions into one item of a JSON API response."""

    url: str | None = None
    url_template: str | None = None  # e.g. "https://vendor.example.cn/doc/{id}" from the id field
    id: str | None = None
    title: str | None = None
    text: str | None = None
    author: str | None = None
    published_at: str | None = None
    language: str | None = None
    channel: str | None = None  # a vendor feed may mix channels (weibo, news, …)
    engagement: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_url(self) -> ApiFields:
        if not self.url and not (self.url_template and self.id):
            raise ValueError("needs url, or url_template and id")
        return self


class ApiSpec(Strict):
    """A JSON API source: where the items are, what each field is, how to page.
    ``jsonapi`` sources need it; ``weibo`` and ``douyin`` have built-in ones
    (crawlers/presets.yaml) that these fields override."""

    items: str | None = None  # JMESPath to the list of items, e.g. "data.list"
    fields: ApiFields | None = None
    ok: str | None = None  # JMESPath that must be true in a good response, e.g. "code == `0`"
    error: str | None = None  # JMESPath of the provider's error message
    page_param: str | None = None  # query parameter taking the page number (1, 2, …)
    cursor_param: str | None = None  # query parameter taking next_cursor of the previous page
    next_cursor: str | None = None
    has_more: str | None = None  # JMESPath; false stops paging
    since_param: str | None = None  # query parameter: only items newer than the cursor (epoch s)
    html_fields: list[str] = Field(default_factory=list)  # fields holding HTML, turned into text


class Politeness(Strict):
    """How hard a source's site may be hit (Scrapy settings of its crawl)."""

    obey_robots: bool = True
    delay: float = 1.0  # seconds between requests to one site (randomised 0.5–1.5×)
    concurrency: int = Field(2, ge=1, le=16)  # requests in flight per site
    autothrottle: bool = True
    timeout: float = 20.0
    retries: int = Field(2, ge=0, le=10)
    backoff: float = 2.0  # first retry after this many seconds, doubling each time
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    proxies: list[str] = Field(default_factory=list)  # http://host:port, used in turn
    proxies_env: str | None = None  # env var with a comma-separated proxy list (may carry credentials)
    user_agent: str | None = None

    _delays = field_validator("delay", "timeout", "backoff", mode="before")(
        lambda cls, v: 0.0 if v in (0, "0") else parse_duration(v))


class SourceHealthPolicy(Strict):
    """When a source counts as blind (crawlers/health.py): no successful run
    for ``fail_after`` × interval → source_failing; no new item for
    ``silent_after`` × ``expect_new_every`` → source_silent. Never sooner
    than ``min_alert_after`` (a hiccup is not an incident)."""

    fail_after: float = Field(3.0, gt=0)
    expect_new_every: float = 6 * 3600.0
    silent_after: float = Field(4.0, ge=0)  # 0: the source may be quiet for ever
    min_alert_after: float = 600.0

    _durations = field_validator("expect_new_every", "min_alert_after", mode="before")(
        lambda cls, v: parse_duration(v))


SpiderKind = Literal["listdetail", "rss", "epaper", "weibo", "wechat", "douyin", "jsonapi"]
_NEEDS_START_URLS = {"listdetail", "rss", "jsonapi"}
_NEEDS_QUERY_OR_ACCOUNTS = {"weibo", "wechat", "douyin"}


class SourceConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str
    channel: Channel
    spider: SpiderKind
    start_urls: list[str] = Field(default_factory=list)
    selectors: Selectors | None = None
    interval: float = 300.0
    priority: int = 5
    enabled: bool = True
    max_pages: int = Field(3, ge=1)
    language: str = "zh"  # "auto": guessed per document from its script
    # How much the source matters (reach, authority): levels may require a
    # minimum (rules.yaml levels[].min_source_weight). 1.0 is an ordinary source.
    weight: float = Field(1.0, ge=0)
    timezone: str | None = None  # of dates printed without an offset (default: settings.timezone)
    # Re-fetch detail pages first seen less than this long ago and publish
    # them again if their content changed (news gets corrected).
    revisit: float = 0.0
    # Social platforms and search: keywords, accounts (Weibo uid, Douyin
    # sec_user_id, WeChat account name), the API host (default: the real one).
    query: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    # The site its documents show (feed, wall, reports) when their URLs' host is not the site's public name
    # (a local mirror; the demo, served from 127.0.0.1). Default: each URL's host.
    site: str | None = Field(None, min_length=1)
    # Secrets never live here: the Cookie header, header values and query
    # parameters (signatures, tokens) are read from the environment variables named.
    cookie_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    params_env: dict[str, str] = Field(default_factory=dict)
    api: ApiSpec | None = None
    epaper: EpaperSpec | None = None
    politeness: Politeness = Field(default_factory=Politeness)
    health: SourceHealthPolicy = Field(default_factory=SourceHealthPolicy)

    _interval = field_validator("interval", mode="before")(lambda cls, v: parse_duration(v))
    _revisit = field_validator("revisit", mode="before")(lambda cls, v: 0.0 if v in (0, "0") else parse_duration(v))

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("endpoint")
    @classmethod
    def _http_endpoint(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _what_each_spider_needs(self) -> SourceConfig:
        kind = self.spider
        if kind in ("listdetail", "epaper") and (self.selectors is None or not self.selectors.list_links):
            raise ValueError(f"spider {kind!r} needs selectors.list_links")
        if kind in _NEEDS_START_URLS and not self.start_urls:
            raise ValueError(f"spider {kind!r} needs start_urls")
        if kind == "epaper" and self.epaper is None:
            raise ValueError("spider 'epaper' needs epaper.issue_url and epaper.pages")
        if kind in _NEEDS_QUERY_OR_ACCOUNTS and not (self.query or self.accounts):
            raise ValueError(f"spider {kind!r} needs query or accounts")
        if kind == "jsonapi" and (self.api is None or not self.api.items or self.api.fields is None):
            raise ValueError("spider 'jsonapi' needs api.items and api.fields")
        for term in (*self.query, *self.accounts):
            if not term.strip():
                raise ValueError("empty query or account (it would match everything)")
        return self


class SourcesFile(Strict):
    sources: list[SourceConfig]

    @model_validator(mode="after")
    def _unique_ids(self) -> SourcesFile:
        _no_duplicates([s.id for s in self.sources], "sources", "id")
        return self


