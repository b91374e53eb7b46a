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

from sentiment.tokenize import is_word

KEEP_TAGS = ("n", "nr", "ns", "nt", "nz", "vn", "m", "eng")
LEAD_CHARS = 400
MAX_TERMS = 24
COMMON = frozenset(["保险", "公司", "分公司", "客户", "理赔", "问题", "情况", "工作", "消费者", "市民", "网友", "记者", "近日", "今年", "目前", "时间", "相关", "部门", "电话", "保单", "保费", "业务员", "代理人", "服务", "方面", "人员", "单位", "事情", "东西", "大家", "朋友", "时候", "一个", "一次", "一下", "两个", "三个", "现在", "今天", "昨天", "投保", "对方", "多次", "全部", "内容", "一份", "第一", "材料", "通知", "消息", "发文", "表示", "记者"])
_NUMBER = re.compile(r"\d")
_KEPT_TAGS: dict[str, bool] = {}


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


def key_terms(tagged: list[tuple[str, str]], own_names: Iterable[str] = (),
              common: frozenset[str] = COMMON, known: Iterable[NameParts] = ()) -> list[str]:
    """The identifying terms of a text from its (token, part of speech)
    pairs (a list: compiled, a list is walked by index, an iterable through
    the iterator protocol; punctuation is dropped here too), most frequent first, without the words that are part of one of
    ``own_names`` or of the ``known`` units' names, or contain one."""
    units = list(known)
    names = {n for n in own_names if n}
    covered: set[str] = set()  # the known units' names (their substrings are in their parts)
    for k in units:  # loops, not star-arguments from generators (a tuple built per call)
        covered.update(k.names)
    names.update(covered)
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
    # "word in some name": the known units' substrings, and one substring
    # test against the other names joined by a character no token contains;
    # "some name in word": the word's own substrings looked up in the set
    # (words are short, names many); a word no longer than the shortest name
    # can only contain a name it equals, which the first test finds.
    joined = "\x00".join([n for n in names if n not in covered])
    lengths = sorted({len(n) for n in names})
    shortest = lengths[0] if lengths else 0
    drop: list[str] = []
    for w in counts:  # a look-up per unit and word (not parts.intersection(counts): a walk of counts per unit)
        if (_in_parts(w, units) or (w in joined and "\x00" not in w)
                or (len(w) > shortest and _contains_any(w, names, lengths))):
            drop.append(w)
    for word in drop:
        del counts[word]  # the others keep their order: ties stay in order of first use
    # Counter.most_common: a stable sort by count, so ties stay in order of first use.
    return [w for w, _ in sorted(counts.items(), key=itemgetter(1), reverse=True)[:MAX_TERMS]]


def _in_parts(word: str, units: list[NameParts]) -> bool:
    for k in units:  # noqa: SIM110 -- no generator (mypyc)
        if word in k.parts:
            return True
    return False


def _contains_any(word: str, names: set[str], lengths: list[int]) -> bool:
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
