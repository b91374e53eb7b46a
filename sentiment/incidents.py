"""One incident, one alert: is a new item about the same event as an open alert? (pure)

Near-duplicate text makes a story (sentiment/stories.py); an event is wider:
a Weibo complaint, the news report about it and a forum thread retelling it
share neither title nor text, but they name the same unit, the same risk
type and the same particulars — the product (重疾险), the grounds
(未如实告知), the place (四平), the amount (62万元). Two items are one event
when, within ``window`` of each other, they

* are about the same unit,
* share a risk type (when both have one),
* do not carry different numbers in their titles (第12号投诉 and 第13号投诉
  are two complaints, as for stories), and
* share at least ``min_shared`` key terms that make up at least
  ``min_overlap`` of the smaller item's key terms.

Key terms come from the scorer (:func:`key_terms`): nouns, places, names,
organisations and numbers with their measure words from the title and the
lead, without the unit's own names and without words every complaint uses
(``common``: 理赔, 保险, 客户…), which carry no identity.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Final

from sentiment.tokenize import KEPT, UNKNOWN, UNTAGGED, WordTags, is_word

KEEP_TAGS = ("n", "nr", "ns", "nt", "nz", "vn", "m", "eng")
LEAD_CHARS = 400
MAX_TERMS = 24
COMMON = frozenset(["保险", "公司", "分公司", "客户", "理赔", "问题", "情况", "工作", "消费者", "市民", "网友", "记者", "近日", "今年", "目前", "时间", "相关", "部门", "电话", "保单", "保费", "业务员", "代理人", "服务", "方面", "人员", "单位", "事情", "东西", "大家", "朋友", "时候", "一个", "一次", "一下", "两个", "三个", "现在", "今天", "昨天", "投保", "对方", "多次", "全部", "内容", "一份", "第一", "材料", "通知", "消息", "发文", "表示", "记者"])
_NUMBER: Final = re.compile(r"\d")  # Final: compiled, no module dict look-up per use
_KEPT_TAGS: dict[str, bool] = {}
_BY_COUNT: Final = itemgetter(1)


@dataclass(frozen=True)
class EventRules:
    window: timedelta = timedelta(hours=72)
    min_shared: int = 3
    min_overlap: float = 0.3


@dataclass(frozen=True)
class EventKey:
    unit_id: str
    risks: frozenset[str]
    terms: frozenset[str]
    at: datetime
    numbers: frozenset[str] = frozenset()  # the numbers in the title (stories.title_numbers)


@dataclass(frozen=True)
class NameParts:
    """A unit's names and every substring of them, built once per unit:
    whether a word is part of one of its names is then one set look-up."""
    names: frozenset[str]
    parts: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> NameParts:
        kept = frozenset(n for n in names if n)
        return cls(kept, frozenset(n[i:j] for n in kept for i in range(len(n)) for j in range(i + 1, len(n) + 1)))


class OwnNames:
    """The names key terms leave out (:func:`key_terms`): the ``known`` units' names (with their substrings,
    NameParts) and ``own_names``; a word goes when it is part of one of them or contains one. Built once per set
    of units by the scorer (DocumentScorer.key_terms)."""

    def __init__(self, own_names: Iterable[str] = (), known: Iterable[NameParts] = ()) -> None:
        self.units = list(known)
        covered: set[str] = set()  # the known units' names (their substrings are in their parts)
        for k in self.units:  # loops, not star-arguments from generators (a tuple built per call)
            covered.update(k.names)
        rest = [n for n in own_names if n and n not in covered]
        self.rest_parts = NameParts.of(rest).parts  # the other names' substrings
        names = covered.union(rest)
        self.names = frozenset(names)
        self.lengths = sorted({len(n) for n in names})
        self.shortest = self.lengths[0] if self.lengths else 0

    def drops(self, word: str) -> bool:
        """Whether ``word`` is part of a name or contains one: a look-up per unit, then the word's own substrings
        looked up in the names (words are short, names many); a word no longer than the shortest name can only
        contain a name it equals, which the first tests find."""
        return (_in_parts(word, self.units) or word in self.rest_parts
                or (len(word) > self.shortest and _contains_any(word, self.names, self.lengths)))


def key_terms(tagged: list[tuple[str, str]], own_names: Iterable[str] = (),
              common: frozenset[str] = COMMON, known: Iterable[NameParts] = ()) -> list[str]:
    """The identifying terms of a text from its (token, part of speech)
    pairs (a list: compiled, a list is walked by index, an iterable through
    the iterator protocol; punctuation is dropped here too), most frequent first, without the words that are part of one of
    ``own_names`` or of the ``known`` units' names, or contain one."""
    return tagged_terms(tagged, OwnNames(own_names, known), common)


def tagged_terms(tagged: list[tuple[str, str]], own: OwnNames, common: frozenset[str] = COMMON) -> list[str]:
    """:func:`key_terms` with the names to leave out built already."""
    counts: dict[str, int] = {}  # in order of first use, as Counter keeps it
    kept_tags = _KEPT_TAGS  # a module global is a dict look-up per use, compiled too
    for word, tag in tagged:
        if len(word) < 2:
            continue
        kept = kept_tags.get(tag)  # tag.startswith(KEEP_TAGS), once per tag (jieba has a few dozen)
        if kept is None:
            if len(kept_tags) >= 10_000:
                kept_tags.clear()
            kept = kept_tags[tag] = tag.startswith(KEEP_TAGS)
        if (kept or (tag == "x" and _NUMBER.search(word))) and word not in common and is_word(word):
            counts[word] = counts.get(word, 0) + 1
    return _ranked(counts, own)


def key_terms_of(tokens: list[str], tags: WordTags, own: OwnNames, common: frozenset[str] = COMMON
                 ) -> list[str] | None:
    """:func:`key_terms` of a text cut already (:meth:`Tokenizer.cut`), each token's tag told by ``tags``
    (``Tokenizer.word_tags(KEEP_TAGS)``) instead of tagging the text again — the same terms; None when a token's
    tag cannot be told alone (tokenize.UNKNOWN): then the caller tags the text."""
    counts: dict[str, int] = {}
    for word in tokens:
        if len(word) < 2 or word in common or not is_word(word):
            continue
        kind = tags.kind(word)
        if kind == KEPT or (kind == UNTAGGED and _NUMBER.search(word)):
            counts[word] = counts.get(word, 0) + 1
        elif kind == UNKNOWN:
            return None
    return _ranked(counts, own)


def _ranked(counts: dict[str, int], own: OwnNames) -> list[str]:
    """The counted words that ``own`` does not drop, most frequent first (ties in order of first use: Counter's
    most_common is a stable sort by count), at most MAX_TERMS."""
    ranked: list[tuple[str, int]] = []
    for w, n in counts.items():  # in order of first use
        if not own.drops(w):
            ranked.append((w, n))
    ranked.sort(key=_BY_COUNT, reverse=True)
    return [w for w, _ in ranked[:MAX_TERMS]]


def _in_parts(word: str, units: list[NameParts]) -> bool:
    for k in units:  # noqa: SIM110 -- no generator (mypyc)
        if word in k.parts:
            return True
    return False


def _contains_any(word: str, names: frozenset[str], lengths: list[int]) -> bool:
    n = len(word)
    for k in lengths:
        if k > n:
            return False
        for i in range(n - k + 1):
            if word[i:i + k] in names:
                return True
    return False


def same_event(a: EventKey, b: EventKey, rules: EventRules) -> tuple[bool, str]:
    """Whether ``a`` and ``b`` are one event, and why (Chinese, for the audit trail)."""
    if a.unit_id != b.unit_id:
        return False, "不同单位"
    if abs(a.at - b.at) > rules.window:
        return False, "超出时间窗口"
    if a.risks and b.risks and not a.risks & b.risks:
        return False, "风险类型不同"
    if a.numbers and b.numbers and not (a.numbers <= b.numbers or b.numbers <= a.numbers):
        return False, "标题编号不同"
    shared = a.terms & b.terms
    smaller = min(len(a.terms), len(b.terms)) or 1
    overlap = len(shared) / smaller
    if len(shared) < rules.min_shared or overlap < rules.min_overlap:
        return False, f"共同要素{len(shared)}个（{overlap:.0%}）不足"
    kinds = "、".join(sorted(a.risks & b.risks)) or "未分类"
    return True, f"同一事件：同一单位、风险类型{kinds}、共同要素{len(shared)}个（{'、'.join(sorted(shared)[:6])}）"
