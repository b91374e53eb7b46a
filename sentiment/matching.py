"""Member-unit matching: which units a text is about, by which aliases, where.

Aho-Corasick (sentiment/automaton.py) over the raw text, no tokenisation: one pass
finds every alias of every unit, so hundreds of units cost the same as one.

* Leftmost-longest: at each position the longest alias wins (中国平安人寿
  beats 中国平安), and matches do not overlap; an excluded occurrence
  does not hide an overlapping valid one.
* An occurrence inside one of the unit's exclusion phrases does not count
  (国寿安保基金 is not 国寿; 平安夜 is not 平安 if someone made 平安 an alias).
* An alias made of ASCII letters or digits (PICC) must stand alone: PICCOLO
  is not PICC.
* An alias marked ``needs_context`` (平安, 阳光, 大地: everyday words or
  other organisations' names) counts only with one of the unit's context
  words (保险, 人寿, 理赔…) within CONTEXT_WINDOW characters before or
  after it; the context word may not be part of the alias occurrence itself.
* Case-insensitive; offsets refer to the text as given.
* English names work the same way (China Life, Ping An, PICC; words apart
  by spaces): a brand followed by a region and "branch" (China Life's Jilin
  branch) or after "<region> branch of" names the branch, like 吉林分公司.

Names and aliases come from members.yaml; an empty alias is rejected there,
never treated as match-all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sentiment.automaton import Automaton, build_automaton

CONTEXT_WINDOW = 12
DEFAULT_CONTEXT_WORDS = ("保险", "人寿", "寿险", "产险", "财险", "车险", "险企", "保单", "保费", "理赔", "投保", "退保",
                         "承保", "赔付", "insurance", "insurer", "policy", "claim")


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    aliases: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    needs_context: tuple[str, ...] = ()  # aliases counted only with a context word nearby
    context_words: tuple[str, ...] = DEFAULT_CONTEXT_WORDS


class Match:
    """One unit's occurrences in a text. A plain class, not a dataclass, so
    that mypyc compiles its construction (a dataclass's generated
    ``__init__`` runs as Python code)."""

    def __init__(self, unit_id: str, unit_name: str, aliases: list[str] | None = None,
                 positions: list[int] | None = None, ends: list[int] | None = None, specific: bool = False) -> None:
        self.unit_id = unit_id
        self.unit_name = unit_name
        self.aliases: list[str] = [] if aliases is None else aliases
        self.positions: list[int] = [] if positions is None else positions  # start offsets of each occurrence
        self.ends: list[int] = [] if ends is None else ends  # end offsets, parallel to positions
        self.specific = specific  # the full name or a branch alias (…分公司, …吉林…) matched

    def __repr__(self) -> str:
        return (f"Match(unit_id={self.unit_id!r}, unit_name={self.unit_name!r}, aliases={self.aliases!r}, "
                f"positions={self.positions!r}, ends={self.ends!r}, specific={self.specific!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return (self.unit_id, self.unit_name, self.aliases, self.positions, self.ends, self.specific) == \
            (other.unit_id, other.unit_name, other.aliases, other.positions, other.ends, other.specific)


def ascii_word_char(ch: str) -> bool:
    """A letter or digit of an ASCII word: such a word is neither matched nor cut inside a longer one
    (Chinese has no such boundary: any two characters may meet)."""
    return ch.isascii() and ch.isalnum()


_BRANCH_AFTER = re.compile(r"(?:['’]s)?\s+([a-z]+)\s+(?:provincial\s+)?branch\b")
_BRANCH_BEFORE = re.compile(r"\b([a-z]+)\s+(?:provincial\s+)?branch\s+of\s+(?:the\s+)?$")


def _english_branch(lowered: str, start: int, end: int, regions: tuple[str, ...]) -> bool:
    """China Life's Jilin branch, the Jilin branch of China Life."""
    after = _BRANCH_AFTER.match(lowered, end, end + 40)
    if after and after.group(1) in regions:
        return True
    before = _BRANCH_BEFORE.search(lowered, max(0, start - 40), start)
    return bool(before and before.group(1) in regions)


def _has_context(context: Automaton[str] | None, lowered: str, start: int, end: int) -> bool:
    """A context word within CONTEXT_WINDOW characters of [start, end), not
    inside the occurrence itself (平安保险 is its own alias)."""
    if context is None:
        return False
    lo = max(0, start - CONTEXT_WINDOW)
    for s, e, _ in context.find(lowered[lo:end + CONTEXT_WINDOW]):  # noqa: SIM110 -- no generator (mypyc)
        if e + lo <= start or s + lo >= end:
            return True
    return False


class UnitMatcher:
    """Find member units in text. Built once per process from the specs."""

    def __init__(self, units: Iterable[UnitSpec], region_words: Iterable[str] = ("吉林",)) -> None:
        self.units = {u.id: u for u in units}
        regions = [r for r in region_words if r]
        self._regions = tuple(r.lower() for r in regions)
        entries: list[tuple[str, tuple[str, bool, bool, bool]]] = []
        self._guarded: dict[tuple[str, str], Automaton[str] | None] = {}
        for unit in self.units.values():
            guarded = {a.lower() for a in unit.needs_context}
            context = build_automaton((w, w) for w in unit.context_words) if guarded else None
            for i, alias in enumerate((unit.name, *unit.aliases)):
                # The full name, or an alias naming the branch or its region, is
                # specific to the member unit; a bare brand (中国人寿) may be the
                # head office or another province's branch.
                specific = i == 0 or "分公司" in alias or any(r in alias for r in regions)
                # Whether the alias starts / ends with an ASCII letter or digit
                # (then it must stand alone), decided once here, not per match.
                key = alias.lower()
                entries.append((alias, (unit.id, specific, ascii_word_char(key[0]), ascii_word_char(key[-1]))))
                if alias.lower() in guarded:
                    self._guarded[(unit.id, alias.lower())] = context
        self._aliases = build_automaton(entries)
        owners: dict[str, set[str]] = {}
        for uid, u in self.units.items():
            for phrase in u.exclusions:
                owners.setdefault(phrase.lower(), set()).add(uid)
        self._exclusions = build_automaton((phrase, frozenset(ids)) for phrase, ids in owners.items())
        self._excluding = frozenset(uid for ids in owners.values() for uid in ids)

    def find(self, text: str, lowered: str | None = None) -> list[Match]:
        """Units mentioned in ``text``, in order of first mention (``lowered``:
        ``text.lower()`` when the caller has it)."""
        if self._aliases is None or not text:
            return []
        if lowered is None:
            lowered = text.lower()
        # The exclusion phrases are looked for at the first occurrence of a
        # unit that has some (most documents name none of those units).
        excluding = self._excluding
        excluded: dict[str, list[tuple[int, int]]] | None = None
        # All occurrences first, then leftmost-longest among the valid ones:
        # an excluded occurrence must not hide an overlapping valid one
        # (中国太平洋保险: 中国太平 is excluded for 太平人寿, 太平洋保险 remains).
        candidates: list[tuple[int, int, str, bool, bool]] = []
        guarded = self._guarded
        length = len(lowered)
        for start, end, (unit_id, specific, ascii_start, ascii_end) in self._aliases.find(lowered):
            if ascii_start and start > 0 and ascii_word_char(lowered[start - 1]):
                continue
            if ascii_end and end < length and ascii_word_char(lowered[end]):
                continue
            if unit_id in excluding:
                if excluded is None:
                    excluded = self._excluded_spans(lowered)
                if any(s <= start and end <= e for s, e in excluded.get(unit_id, ())):
                    continue
            if guarded:
                key = (unit_id, lowered[start:end])
                if key in guarded and not _has_context(guarded[key], lowered, start, end):
                    continue
            candidates.append((start, -end, unit_id, specific, ascii_end))
        candidates.sort()
        found: dict[str, Match] = {}
        taken = 0
        for start, neg_end, unit_id, specific, ascii_end in candidates:
            end = -neg_end
            if start < taken:
                continue  # overlaps a longer or earlier match
            taken = end
            unit = self.units[unit_id]
            match = found.get(unit_id)
            if match is None:
                match = found[unit_id] = Match(unit_id, unit.name)
            alias = text[start:end]
            if alias not in match.aliases:
                match.aliases.append(alias)
            match.positions.append(start)
            match.ends.append(end)
            # 太平洋保险吉林分公司: a brand alias followed by the region and 分公司
            # names the branch as surely as a branch alias would.
            tail = lowered[end:end + 8]
            branch = "分公司" in tail and any(tail.startswith(r) for r in self._regions)
            if not branch and ascii_end:
                branch = _english_branch(lowered, start, end, self._regions)
            match.specific = match.specific or specific or branch
        return list(found.values())

    def _excluded_spans(self, lowered: str) -> dict[str, list[tuple[int, int]]]:
        spans: dict[str, list[tuple[int, int]]] = {}
        if self._exclusions is None:
            return spans
        for start, end, unit_ids in self._exclusions.find(lowered):
            for unit_id in unit_ids:
                spans.setdefault(unit_id, []).append((start, end))
        return spans
