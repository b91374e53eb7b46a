"""Field parsers (counts, canonical URLs, language), API spec merging and
the platform presets."""
from __future__ import annotations

import pytest
from parsel import Selector

from crawlers.fields import canonical_link, counts, guess_language, parse_count
from crawlers.spiders.api import jget, merge_spec, presets
from pipeline.config import ApiSpec


@pytest.mark.parametrize("raw, n", [
    (42, 42), ("1.2万", 12000), ("阅读 10万+", 100000), ("3,456", 3456), ("1.5w", 15000), ("2.3k", 2300),
    ("1亿", 100_000_000), ("评论(7)", 7), ("转发", None), (None, None), (True, None), (-1, None), ("0", 0),
])
def test_parse_count(raw, n):
    assert parse_count(raw) == n


def test_counts_drops_what_is_not_a_number():
    assert counts({"views": "阅读：1.2万", "likes": "赞", "shares": 3}) == {"views": 12000, "shares": 3}


@pytest.mark.parametrize("html, expected", [
    ('<link rel="canonical" href="/news/2026/1.html">', "http://www.example.com.cn/news/2026/1.html"),
    ('<meta property="og:url" content="https://m.example.com.cn/a/1.html">', "https://m.example.com.cn/a/1.html"),
    ('<link rel="canonical" href="http://www.example.com.cn/">', None),  # the template's home page
    ('<link rel="canonical" href="http://mirror.other.org/a/1.html">', None),  # another site
    ("", None),
])
def test_canonical_link(html, expected):
    sel = Selector(text=f"<html><head>{html}</head><body></body></html>")
    assert canonical_link(sel, "http://www.example.com.cn/news/2026/1.html?from=timeline") == expected


@pytest.mark.parametrize("text, lang", [
    ("中国人寿吉林省分公司理赔拖延", "zh"), ("香港保險業監管局處以罰款", "zh"),
    ("Chinese insurers face scrutiny over delayed claims", "en"),
    ("Regulators in Jilin 吉林 review claims complaints from policyholders", "en"),
    ("保険金の支払いが遅れている", "ja"), ("보험금 지급이 지연되고 있다", "ko"), ("12345 !!", "und"),
])
def test_guess_language(text, lang):
    assert guess_language(text) == lang


def test_merge_spec_overrides_field_by_field():
    preset = presets()["weibo"]
    spec = merge_spec(preset["api"], None, {"fields": {"author": "user.name", "engagement": {"likes": "likes"}},
                                            "page_param": "p"})
    assert isinstance(spec, ApiSpec) and spec.page_param == "p" and spec.fields is not None
    assert spec.fields.author == "user.name" and spec.fields.text == "text"  # the rest kept
    assert spec.fields.engagement == {"reposts": "reposts_count", "comments": "comments_count", "likes": "likes"}


@pytest.mark.parametrize("platform", ["weibo", "douyin"])
def test_presets_are_valid_specs(platform):
    p = presets()[platform]
    for mode in ("search", "account"):
        spec = merge_spec(p["api"], p[mode].get("api"))
        assert spec.items and spec.fields and spec.ok
        assert "{endpoint}" in p[mode]["url"]


def test_weibo_items_expression_flattens_card_groups():
    data = {"data": {"cards": [{"card_type": 9, "mblog": {"id": 1}},
                               {"card_type": 11, "card_group": [{"mblog": {"id": 2}}, {"card_type": 4}]},
                               {"card_type": 58}]}}
    assert [m["id"] for m in jget(data, presets()["weibo"]["api"]["items"])] == [1, 2]
