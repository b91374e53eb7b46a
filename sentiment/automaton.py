"""Multi-word search over raw text: every word of a set, in one pass.

One small wrapper over ahocorasick_rs (the Rust aho-corasick crate: a DFA
with byte classes, a table look-up per byte of UTF-8) that owns building and
walking, so that the matchers say what they look for, not how:

* every occurrence, overlapping ones too, in order of their end, and at
  one end the longest first (the unit aliases, the exclusion phrases, the
  scheme words);
* several sets in one walk (:class:`SharedWalk`: the negativity scorer's
  lexicon, counter and market cues, sarcasm needs and tails), the lexicon's
  leftmost-longest occurrences then taken from all of them
  (:func:`leftmost_longest`): at the leftmost position where a word starts,
  the longest word there, then on after it;
* ``longest=True``: the same leftmost-longest walk by ahocorasick_rs itself,
  the reference the unit tests hold :func:`leftmost_longest` to.
  pyahocorasick's ``iter_long``, used before, missed a word that ends a
  longer word's unfinished prefix when the text stops or goes on with no
  word (拒不赔。 has 不赔; it found nothing there): the unit tests keep the
  semantics here.

A word's value is kept in a list by pattern index; occurrences come back as
``(start, end, value)``, character offsets into the text as given, ``end``
exclusive. Words are lower-cased (the walked text is lowered by the caller)
and the first value given for a word wins.

For a handful of words an automaton costs more than it saves: :func:`any_in`
is the plain ``in`` test, one word after another.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

import ahocorasick_rs

V = TypeVar("V")

# A lone surrogate (a broken escape in crawled JSON) cannot be encoded as UTF-8,
# which ahocorasick_rs walks: replaced by one character no word holds, so that
# offsets stay those of the text as given.
_SURROGATE = re.compile("[" + chr(0xD800) + "-" + chr(0xDFFF) + "]")  # chr(): mypyc rejects them in literals


class Automaton(Generic[V]):
    """The words of ``words`` (``(word, value)`` pairs), walked one way:
    leftmost-longest when ``longest``, else every occurrence."""

    def __init__(self, words: list[str], values: list[V], longest: bool) -> None:
        kind = ahocorasick_rs.MatchKind.LeftmostLongest if longest else ahocorasick_rs.MatchKind.Standard
        self._auto = ahocorasick_rs.AhoCorasick(words, matchkind=kind, store_patterns=False,
                                                implementation=ahocorasick_rs.Implementation.DFA)
        self._values = values
        self._overlapping = not longest

    def find(self, text: str) -> list[tuple[int, int, V]]:
        """The occurrences in ``text`` (lower-cased) as ``(start, end, value)``, the way
        the automaton was built for: every one, or leftmost-longest."""
        try:
            raw = self._auto.find_matches_as_indexes(text, self._overlapping)
        except UnicodeEncodeError:
            raw = self._auto.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), self._overlapping)
        values = self._values
        return [(start, end, values[i]) for i, start, end in raw]


class SharedWalk:
    """Several word sets walked in one pass over a text, each occurrence told
    by its set: the same occurrences, in the same order, as a walk of every
    set on its own (every occurrence, by end, at one end the longest first;
    at one end and length, by set). ``sets``: per set, its words, as
    :func:`build_automaton` would keep them (lower-cased, unique, non-empty);
    a word may be in several sets. Saves a walk and a byte offset table per
    text and set."""

    def __init__(self, sets: list[list[str]]) -> None:
        words = [w for ws in sets for w in ws]
        self._auto = ahocorasick_rs.AhoCorasick(words, store_patterns=False,
                                                implementation=ahocorasick_rs.Implementation.DFA) if words else None
        # The first pattern index of each set after the first: set k holds [bounds[k-1], bounds[k]).
        self.bounds: list[int] = []
        total = 0
        for ws in sets:
            total += len(ws)
            self.bounds.append(total)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence in ``text`` (lower-cased) as ``(pattern, start, end)``: ``pattern``
        indexes the words of all sets in order (set k from ``bounds[k - 1]``, 0 for the first)."""
        if self._auto is None:
            return []
        try:
            return self._auto.find_matches_as_indexes(text, True)
        except UnicodeEncodeError:
            return self._auto.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), True)


def leftmost_longest(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Of every occurrence ``(pattern, start, end)`` of one set of words (a :class:`SharedWalk`'s, in any order),
    those a leftmost-longest walk finds (``Automaton`` built ``longest``), in order: at the leftmost start the
    longest word there, then on from its end."""
    at = 0
    for _, start, end in found:  # none overlapping (most texts: one phrase or none): all of them, in order
        if start < at:
            break
        at = end
    else:
        return found
    ordered = sorted([(start, -end, p) for p, start, end in found])  # by start, the longest first
    out: list[tuple[int, int, int]] = []
    at = 0
    for start, neg_end, p in ordered:
        if start >= at:
            out.append((p, start, -neg_end))
            at = -neg_end
    return out


def occurs_from(found: list[tuple[int, str]], at: int, words: Mapping[str, object]) -> bool:
    """Whether one of ``words`` is among ``found`` (``(start, word)``) starting at ``at`` or after."""
    for start, word in found:  # noqa: SIM110 -- no generator (mypyc)
        if start >= at and word in words:
            return True
    return False


def starts_table(words: Iterable[str]) -> str:
    """1 at each BMP character one of ``words`` starts with, else 0, read by ``ord(table[code])`` (native)."""
    table = bytearray(0x10000)
    for w in words:
        table[ord(w[0])] = 1
    return table.decode("latin-1")


def unique_words(words: Iterable[tuple[str, V]]) -> dict[str, V]:
    """Lower-cased ``(word, value)`` pairs, the first value given for a word
    winning, without empty words: the words an automaton is built over."""
    found: dict[str, V] = {}
    for word, value in words:
        key = word.lower()
        if key and key not in found:
            found[key] = value
    return found


def build_automaton(words: Iterable[tuple[str, V]], longest: bool = False) -> Automaton[V] | None:
    """An automaton over lower-cased ``(word, value)`` pairs, the first value
    given for a word winning; None when there are no words. ``longest``: walked
    leftmost-longest, else for every occurrence (:meth:`Automaton.find`)."""
    found = unique_words(words)
    if not found:
        return None
    return Automaton(list(found), list(found.values()), longest)


def any_in(words: tuple[str, ...], text: str) -> bool:
    """Whether one of ``words`` occurs in ``text`` (``any`` without a generator: the cost avoided here)."""
    for w in words:  # noqa: SIM110 -- no generator (mypyc)
        if w in text:
            return True
    return False
