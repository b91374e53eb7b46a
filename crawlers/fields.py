"""Small field parsers every spider shares: engagement counts as Chinese
sites print them, the canonical URL a page declares, the language of a text.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from contracts.language import LETTERS_PER_WORD, script_counts

# "1.2万", "10万+", "3,456", "1.5w", "2.3k", "阅读 100000+", "1亿"
_COUNT = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(亿|万|千|w|W|k|K)?\+?")
_SCALE = {"亿": 100_000_000, "万": 10_000, "w": 10_000, "W": 10_000, "千": 1_000, "k": 1_000, "K": 1_000}


def parse_count(value) -> int | None:
    """An engagement count from an int or a label such as ``阅读 1.2万``;
    None when there is no number (a "转发" button with no count yet)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    m = _COUNT.search(str(value))
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))
    return int(round(number * _SCALE.get(m.group(2) or "", 1)))


def counts(raw: dict[str, object]) -> dict[str, int]:
    """The parseable counts of ``raw`` (name -> value), others dropped."""
    out = {}
    for name, value in raw.items():
        n = parse_count(value)
        if n is not None:
            out[name] = n
    return out


def canonical_link(sel: Selector, url: str) -> str | None:
    """The URL the page says it really lives at (``<link rel=canonical>``,
    else ``og:url``), if it is a plausible article URL on the same site.
    Templates often point every page's canonical at the home page, or at
    another host's mirror: those are ignored."""
    for href in (sel.xpath("//link[@rel='canonical']/@href").get(),
                 sel.xpath("//meta[@property='og:url']/@content").get()):
        if not href or not href.strip():
            continue
        absolute = urljoin(url, href.strip())
        target, here = urlsplit(absolute), urlsplit(url)
        if target.scheme not in ("http", "https") or target.path in ("", "/"):
            continue
        if _site(target.hostname) != _site(here.hostname):
            continue
        return absolute
    return None


def _site(host: str | None) -> str:
    """Registered-domain-ish: the last two labels (three under .com.cn etc.)."""
    labels = (host or "").lower().split(".")
    if len(labels) >= 3 and labels[-2] in ("com", "net", "org", "gov", "edu", "co"):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


def guess_language(text: str) -> str:
    """zh / ja / ko / en from the script of ``text`` — enough to keep English
    away from a Chinese tokenizer; "und" when there is nothing to go on.
    (Latin-script text is taken as English: the association's overseas list
    is English-language media.)"""
    sample = text[:3000]
    han, letters = script_counts(sample)
    kana, hangul = len(_KANA.findall(sample)), len(_HANGUL.findall(sample))
    latin = letters / LETTERS_PER_WORD  # ~5 letters per word vs 1 character per word
    if kana > 0.05 * (han + kana):
        return "ja"
    if hangul > han:
        return "ko"
    if han >= latin and han > 0:
        return "zh"
    return "en" if latin > 0 else "und"
