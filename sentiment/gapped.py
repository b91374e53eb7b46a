"""Lexicon phrases with figures in the middle, written HEAD…TAIL in rules.yaml
(净利…同比下降 finds 净利3.16亿，同比下滑 and 净利润7255.12万元，同比减少). The
negativity scorer puts the heads in its lexicon automaton and, where one is
found, matches the figures and a tail right after it (sentiment/negativity.py);
the configuration checks the phrases at load (pipeline/config/rules.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# A lexicon phrase written HEAD…TAIL, each a word or (a|b|c): the head, then
# figures only (digits, units, %, commas: 净利3.16亿，同比下滑), then the tail.
# Words between (收入增长而赔付下降) break it.
GAP = "…"
FIGURES = r"[\d.．,，%％万亿千百元余 ]{0,20}?"


class Tails:
    """What may follow one head: a compiled pattern with ``tails``, tail → (risk type, weight)."""

    def __init__(self) -> None:
        self.tails: dict[str, tuple[str, float]] = {}
        self._pattern: re.Pattern | None = None

    def match(self, text: str, at: int) -> re.Match | None:
        if self._pattern is None:
            alternatives = "|".join(re.escape(t) for t in sorted(self.tails, key=len, reverse=True))
            self._pattern = re.compile(f"{FIGURES}({alternatives})")
        return self._pattern.match(text, at)


def _words(part: str) -> list[str]:
    part = part.strip()
    if part.startswith("(") and part.endswith(")"):
        part = part[1:-1]
    return [w.strip().lower() for w in part.split("|") if w.strip()]


def gapped_heads(phrases: Iterable[tuple[str, str, float]], plain: Iterable[str]) -> dict[str, Tails]:
    """``(HEAD…TAIL phrase, risk type, weight)`` → head → its tails. A head that is
    also a plain phrase would shadow it (the automaton keeps one value a word): refused."""
    heads: dict[str, Tails] = {}
    known = {p.lower() for p in plain}
    for phrase, risk, weight in phrases:
        head, _, tail = phrase.partition(GAP)
        if not _words(head) or not _words(tail) or GAP in tail:
            raise ValueError(f"{phrase!r}: write HEAD…TAIL, each a word or (a|b|c)")
        for h in _words(head):
            if h in known:
                raise ValueError(f"{phrase!r}: {h!r} is also a phrase of its own (a head must not be)")
            tails = heads.setdefault(h, Tails())
            for t in _words(tail):
                tails.tails.setdefault(t, (risk, weight))
    return heads
