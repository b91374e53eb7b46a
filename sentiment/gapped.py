"""Lexicon phrases with figures in the middle, written HEAD…TAIL in rules.yaml
(净利…同比下降 finds 净利3.16亿，同比下滑 and 净利润7255.12万元，同比减少), or
with words in the middle, written HEAD……TAIL: an expectation, then within the
sentence its violation (说好……，结果 finds 当初说好七个工作日到账，结果一个月了).
The negativity scorer puts the heads in its lexicon automaton and, where one is
found, matches the figures or words and a tail right after it
(sentiment/negativity.py); the configuration checks the phrases at load
(pipeline/config/rules.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# A lexicon phrase written HEAD…TAIL, each a word or (a|b|c): the head, then
# figures only (digits, units, %, commas: 净利3.16亿，同比下滑; Chinese numerals and
# the words of a size: 净利润不足千万 同比下滑, 约三亿元, 交上去快两个月了, 已经四十天了), then the tail. Words
# between (收入增长而赔付下降) break it.
GAP = "…"
FIGURES = r"(?:[\d.．,，%％万亿千百元余 零一二两三四五六七八九十快]|不足|不到|仅|约|近|超过|超|逾|将近|整整|足足|差不多|已经|已|都){0,20}?"
# HEAD……TAIL: any words within the sentence between, at most WORDS_GAP characters.
WORDS = GAP + GAP
WORDS_GAP = 30
_WORDS_BETWEEN = rf"[^。！？!?\n]{{0,{WORDS_GAP}}}?"


class Tails:
    """What may follow one head: a compiled pattern with ``tails``, tail → (risk type, weight)."""

    def __init__(self, words: bool = False) -> None:
        self.tails: dict[str, tuple[str, float]] = {}
        self.words = words  # words between head and tail (HEAD……TAIL), else figures only
        # A head of HEAD……TAIL may be a plain phrase too: found without a tail, it counts as that
        # phrase, (phrase, risk type, weight).
        self.plain: tuple[str, str, float] | None = None
        self._pattern: re.Pattern | None = None

    def match(self, text: str, at: int) -> re.Match | None:
        if self._pattern is None:
            alternatives = "|".join(re.escape(t) for t in sorted(self.tails, key=len, reverse=True))
            self._pattern = re.compile(f"{_WORDS_BETWEEN if self.words else FIGURES}({alternatives})")
        return self._pattern.match(text, at)


def _words(part: str) -> list[str]:
    """A head or a tail: a word, or one group (a|b|c); anything else — two groups run together ((a|b)(c|d)), a
    group inside words — is refused: it would be read as words with brackets in them and never match."""
    part = part.strip()
    if part.startswith("(") and part.endswith(")"):
        part = part[1:-1]
    if "(" in part or ")" in part:
        raise ValueError(f"{part!r}: a head or a tail is a word or one group (a|b|c); write two groups in a row out as words")
    return [w.strip().lower() for w in part.split("|") if w.strip()]


def gapped_heads(phrases: Iterable[tuple[str, str, float]],
                 plain: Mapping[str, tuple[str, float]] | Iterable[str]) -> dict[str, Tails]:
    """``(HEAD…TAIL or HEAD……TAIL phrase, risk type, weight)`` → head → its tails.
    ``plain``: the plain phrases (with their risk type and weight, when a mapping).
    A head of HEAD…TAIL that is also a plain phrase would shadow it (the automaton
    keeps one value a word): refused; a head of HEAD……TAIL keeps the plain phrase
    as what it counts as without a tail (:attr:`Tails.plain`). One head has one
    kind of gap."""
    heads: dict[str, Tails] = {}
    known = {p.lower(): v for p, v in plain.items()} if isinstance(plain, Mapping) else \
        {p.lower(): ("", 0.0) for p in plain}
    for phrase, risk, weight in phrases:
        words = WORDS in phrase
        head, _, tail = phrase.partition(WORDS if words else GAP)
        if not _words(head) or not _words(tail) or GAP in tail:
            raise ValueError(f"{phrase!r}: write HEAD…TAIL or HEAD……TAIL, each a word or (a|b|c)")
        for h in _words(head):
            if h in known and not words:
                raise ValueError(f"{phrase!r}: {h!r} is also a phrase of its own (a head must not be)")
            tails = heads.setdefault(h, Tails(words))
            if tails.words != words:
                raise ValueError(f"{phrase!r}: {h!r} is the head of both HEAD…TAIL and HEAD……TAIL phrases")
            if h in known:
                tails.plain = (h, *known[h])
            for t in _words(tail):
                tails.tails.setdefault(t, (risk, weight))
    return heads
