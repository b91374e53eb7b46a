"""Spread and authority: how far an item has gone and who carries it (pure).

rules.yaml ``spread`` gives points, summed into one spread score that the
levels may require (``levels[].min_spread``)::

    spread:
      authority:                  # who carries it: the most authoritative class matched
        regulator:     {points: 3, match: [nfra.gov.cn, 吉林监管局]}
        central_media: {points: 3, match: [people.com.cn, xinhuanet.com]}
        mainstream:    {points: 2, match: [chinajilin.com.cn, demo-news]}
        big_account:   {points: 1, match: [吉林消费维权]}
      engagement: [{min: 100, points: 1}, {min: 1000, points: 2}]
      documents: {points: 1, max: 2}   # each further document of the story
      channels:  {points: 1, max: 2}   # each further channel it reached
      velocity:  {docs: 3, points: 1}  # this many documents within the spike window

A ``match`` entry is a site host (or its parent domain), a source id, a
source name, or an author's screen name. One document alone scores its
carrier and its engagement; the router scores the story (documents,
channels, velocity) as it grows.

An insurer's own reply or clarification (the unit named just before 回应,
澄清, 声明… in the title, with no punctuation between) is recognised by
:func:`is_own_response`, so that the levels can cap it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

AUTHORITY_LABELS = {"regulator": "监管部门", "central_media": "中央媒体", "mainstream": "主流媒体",
                    "big_account": "大V账号"}
ENGAGEMENT_COUNTS = ("reposts", "shares", "comments", "replies", "likes")


@dataclass(frozen=True)
class AuthorityClass:
    name: str
    points: int
    match: tuple[str, ...]


@dataclass(frozen=True)
class SpreadRules:
    authority: tuple[AuthorityClass, ...] = ()
    engagement: tuple[tuple[int, int], ...] = ()  # (minimum interactions, points), any order
    per_document: int = 0
    max_documents: int = 0
    per_channel: int = 0
    max_channels: int = 0
    velocity_docs: int = 0
    velocity_points: int = 0

    # Carriers seen before (a few sites and accounts carry most items); not
    # part of the rules' identity, emptied by dataclasses.replace.
    _carriers: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def authority_of(self, *, site: str = "", source_id: str = "", source_name: str = "",
                     author: str | None = None) -> AuthorityClass | None:
        """The most authoritative class that names this carrier, if any."""
        key = (site, source_id, source_name, author)
        if key in self._carriers:
            return self._carriers[key]
        if len(self._carriers) >= 10_000:
            self._carriers.clear()
        found = self._carriers[key] = self._authority_of(site, source_id, source_name, author)
        return found

    def _authority_of(self, site: str, source_id: str, source_name: str, author: str | None) -> AuthorityClass | None:
        site = site.lower()
        names = {source_id, source_name, author or ""} - {""}
        found = [c for c in self.authority
                 if any(m in names or site == m.lower() or site.endswith("." + m.lower()) for m in c.match)]
        return max(found, key=lambda c: c.points, default=None)


@dataclass(frozen=True)
class Spread:
    """What is known of an item's spread: one document, or a story so far."""

    authority: str = ""  # the most authoritative carrier's class, "" for none
    engagement: int = 0  # interactions summed over the documents
    documents: int = 1
    channels: int = 1
    recent_docs: int = 0  # documents within the velocity window

    @staticmethod
    def interactions(engagement: Mapping[str, int] | None, counts: Sequence[str] = ENGAGEMENT_COUNTS) -> int:
        if not engagement:  # most documents: nothing crawled
            return 0
        return sum(int(engagement.get(k) or 0) for k in counts)


@dataclass(frozen=True)
class SpreadScore:
    points: int = 0
    terms: tuple[str, ...] = field(default_factory=tuple)  # Chinese, "主流媒体 +2"

    def describe(self) -> str:
        return f"传播分 {self.points}" + (f"（{'，'.join(self.terms)}）" if self.terms else "")


def score(spread: Spread, rules: SpreadRules) -> SpreadScore:
    terms: list[tuple[str, int]] = []
    cls = next((c for c in rules.authority if c.name == spread.authority), None)
    if cls is not None and cls.points:
        terms.append((AUTHORITY_LABELS.get(cls.name, cls.name), cls.points))
    step = max((p for minimum, p in rules.engagement if spread.engagement >= minimum), default=0)
    if step:
        terms.append((f"互动量 {spread.engagement}", step))
    docs = min(rules.per_document * max(0, spread.documents - 1), rules.max_documents)
    if docs:
        terms.append((f"报道 {spread.documents} 篇", docs))
    channels = min(rules.per_channel * max(0, spread.channels - 1), rules.max_channels)
    if channels:
        terms.append((f"渠道 {spread.channels} 个", channels))
    if rules.velocity_docs and spread.recent_docs >= rules.velocity_docs:
        terms.append((f"短时新增 {spread.recent_docs} 篇", rules.velocity_points))
    return SpreadScore(sum(p for _, p in terms), tuple(f"{t} +{p}" for t, p in terms))


_PUNCT = "，。！？；：、,.!?;:“”\"'（）()【】《》 \t\n"
# The reply patterns by (name, words, within), built once: their text (every word escaped, sorted and joined) and
# re's cache look-up cost ≈ 57 k instructions a title with a reply word (compiled; ≈ 71 k → ≈ 14 k a call).
_PATTERNS: dict[tuple[str, tuple[str, ...], int], re.Pattern[str]] = {}


def is_own_response(title: str, names: Iterable[str], words: Sequence[str], within: int = 12) -> bool:
    """The title presents the unit's own reply: a name, then within ``within``
    characters and no punctuation one of ``words`` (人保财险回应…, 某某人寿
    关于…的声明). "网友投诉某某人寿，公司未回应" is not: a comma lies between."""
    # Only a name and a word that occur in the title can match (most titles stop here).
    if not words or not any(w in title for w in words):
        return False
    names = [n for n in names if n and n in title]
    if not names:
        return False
    kept = tuple(words)
    for name in sorted(set(names), key=len, reverse=True):
        for m in _pattern(name, kept, within).finditer(title):
            if not _NOT_DONE.search(m.group(1)):  # "未回应 / 拒不回应" say it did not reply
                return True
    return False


def _pattern(name: str, words: tuple[str, ...], within: int) -> re.Pattern[str]:
    """``name``, a gap of at most ``within`` characters without punctuation (group 1), one of ``words``."""
    key = (name, words, within)
    found = _PATTERNS.get(key)
    if found is None:
        if len(_PATTERNS) >= 1_000:
            _PATTERNS.clear()
        alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        gap = f"[^{re.escape(_PUNCT)}]{{0,{within}}}?"
        found = _PATTERNS[key] = re.compile(re.escape(name) + f"({gap})(?:{alts})")
    return found


_NOT_DONE = re.compile(r"(?:未|没有|拒不|不予|不肯|尚未|迟迟)$")
