"""JSON API sources: a data vendor's feed (``jsonapi``), and the base of the
Weibo and Douyin spiders.

What the API looks like is data: ``api.items`` (JMESPath to the list of
items), ``api.fields`` (JMESPath per Document field, within one item), how
to page (``page_param``, or ``cursor_param`` fed from ``next_cursor``), and
``ok`` / ``error`` to tell a refusal from an empty result. Platform spiders
start from the preset in ``crawlers/presets.yaml``; a source's ``api:``
block overrides it field by field.

Requests carry the source's headers, cookie and query parameters, secret
ones read from the environment (``cookie_env``, ``headers_env``,
``params_env``). A response that is not JSON, or whose ``ok`` is false (a
login wall, an expired signature, rate limiting), is a *blind* page: the
platform answered, but we saw nothing. Paging stops at ``max_pages``, when
the API says there is no more, or when a whole page was already published
(newest-first feeds: the rest is older).
"""
from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote

import jmespath
import scrapy
import yaml
from w3lib.url import add_or_replace_parameters

from contracts.messages import Channel
from crawlers.dates import parse_date
from crawlers.extract import html_to_text
from crawlers.fields import counts
from crawlers.spiders.base import CrawledItem, SourceSpider
from pipeline.config import ApiSpec

PRESETS = Path(__file__).resolve().parent.parent / "presets.yaml"
JSON_ACCEPT = "application/json, text/plain, */*"
_JSONP = re.compile(r"^\s*[\w$.]+\s*\(\s*(.*)\)\s*;?\s*$", re.S)


@cache
def presets() -> dict:
    return yaml.safe_load(PRESETS.read_text(encoding="utf-8"))


@lru_cache(maxsize=512)
def _compiled(expr: str):
    return jmespath.compile(expr)


def jget(data, expr: str | None):
    """JMESPath ``expr`` on ``data``; None for no expression."""
    return _compiled(expr).search(data) if expr else None


def merge_spec(*layers: dict | None) -> ApiSpec:
    """Later layers override earlier ones; ``fields`` and their
    ``engagement`` are merged key by key, so overriding one path keeps the rest."""
    merged: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if key == "fields" and isinstance(value, dict):
                fields = {**merged.get("fields", {}), **value}
                fields["engagement"] = {**merged.get("fields", {}).get("engagement", {}),
                                        **value.get("engagement", {})}
                merged["fields"] = fields
            elif value is not None:
                merged[key] = value
    return ApiSpec.model_validate(merged)


class JsonApiSpider(SourceSpider):
    name = "jsonapi"
    platform: str | None = None  # key of this spider's preset in presets.yaml

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preset = presets()[self.platform] if self.platform else {}
        self.endpoint = self.source.endpoint or self.preset.get("endpoint", "")
        own = self.source.api.model_dump(exclude_unset=True) if self.source.api else {}
        self.specs = {mode: merge_spec(self.preset.get("api"), self.preset.get(mode, {}).get("api"), own)
                      for mode in ("search", "account", "feed")}

    async def start(self):
        for url, mode in self.entry_points():
            yield self.api_request(url, self.specs[mode], page=1)

    def entry_points(self):
        """(URL, mode): one per keyword and per account, plus start URLs."""
        for q in self.source.query:
            yield self.preset["search"]["url"].format(endpoint=self.endpoint, query=quote(q)), "search"
        for a in self.source.accounts:
            yield self.preset["account"]["url"].format(endpoint=self.endpoint, account=quote(a)), "account"
        for url in self.source.start_urls:
            yield url, "feed"

    def api_request(self, base: str, spec: ApiSpec, page: int, cursor=None) -> scrapy.Request:
        params = self.request_params()
        if spec.page_param:
            params[spec.page_param] = str(page)
        if spec.cursor_param and cursor is not None:
            params[spec.cursor_param] = str(cursor)
        if spec.since_param and self.newest_published():
            params[spec.since_param] = str(int(self.newest_published()))
        return scrapy.Request(add_or_replace_parameters(base, params), **self.auth(Accept=JSON_ACCEPT),
                              callback=self.parse_api,
                              errback=self.request_failed, dont_filter=True, priority=10,
                              cb_kwargs={"spec": spec, "base": base, "page": page})

    # ------------------------------------------------------------ responses

    def load_json(self, response):
        """The decoded JSON (JSONP unwrapped), or None after calling the page blind."""
        body = response.body.decode("utf-8", errors="replace").strip()
        if not body:
            self.blind("empty response (cookie or signature refused?)", response.url)
            return None
        m = _JSONP.match(body) if body[0] not in "{[" else None
        try:
            return json.loads(m.group(1) if m else body)
        except ValueError:
            self.blind("response is not JSON (a login or captcha page?)", response.url)
            return None

    def parse_api(self, response, spec: ApiSpec, base: str, page: int):
        self.page_fetched(response)
        data = self.load_json(response)
        if data is None:
            return
        if spec.ok and not jget(data, spec.ok):
            self.blind(f"API refused: {jget(data, spec.error) or 'not ok'}", response.url)
            return
        items = jget(data, spec.items) or []
        fresh = 0
        for raw in items:
            item = self.item_from(raw, spec) if isinstance(raw, dict) else None
            if item is None or self.is_unchanged(item):
                continue
            fresh += 1
            yield from self.complete(item, raw)
        more = jget(data, spec.has_more) if spec.has_more else True
        if items and fresh and more and page < self.source.max_pages:
            cursor = jget(data, spec.next_cursor) if spec.next_cursor else None
            if spec.page_param or cursor is not None:
                yield self.api_request(base, spec, page + 1, cursor)

    def item_from(self, raw: dict, spec: ApiSpec) -> CrawledItem | None:
        f = spec.fields
        assert f is not None  # SourceConfig: jsonapi needs api.fields; the weibo and douyin presets have them
        get = lambda expr: jget(raw, expr)  # noqa: E731
        item_id = get(f.id)
        url = get(f.url) or (f.url_template.format(id=item_id) if f.url_template and item_id is not None else None)
        if not url:
            self.count("skipped_empty")
            return None
        title, text = get(f.title), get(f.text)
        if "title" in spec.html_fields:
            title = html_to_text(self.prepare_html(title))
        if "text" in spec.html_fields:
            text = html_to_text(self.prepare_html(text))
        raw_date = get(f.published_at)
        published = parse_date(str(raw_date), self.now, self.tz) if raw_date is not None else None
        channel = get(f.channel)
        return self.make_item(str(url), _str(title), _str(text), _str(get(f.author)), published,
                              engagement=counts({k: get(e) for k, e in f.engagement.items()}),
                              language=_str(get(f.language)),
                              channel=channel if channel in Channel.__members__ else None)

    def prepare_html(self, html):
        """Hook: platform markup to tidy before it becomes text."""
        return html

    def complete(self, item: CrawledItem, raw: dict):
        """Hook: yield the item, or requests that will (a long text to fetch)."""
        yield item


def _str(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
