"""Monitoring schemes (监测方案): per-unit keyword groups with AND / OR / NOT.

A scheme is a set of named groups — typically subject (主体词), region
(地域词) and event (事件词) — plus exclusions (排除词):

    every group must match (AND); any word of a group matches it (OR);
    no exclusion word may occur anywhere in the document (NOT).

With ``scope: sentence`` the groups must all match within one sentence (the
title counts as a sentence), which keeps 长春 in one paragraph from pairing
with 拒赔 about another company three paragraphs later.

The word ``@unit`` in a group stands for the unit's own names and aliases, as
found by the unit matcher (so its exclusions apply too).

A unit without schemes is matched by its names and aliases alone. A unit with
schemes is matched when one of its schemes matches (the first in members.yaml order
names the match: a text placed in Jilin is 国寿吉林本省舆情's, not also the brand
scheme's): the schemes define what
is monitored for it (a bare 中国人寿 in national news is out of scope when the
scheme also asks for a 吉林 region word). The words of the scheme's subject
group count as mentions of the unit, for choosing the sentences to score.

Empty groups and empty words are rejected when members.yaml is loaded, never
treated as match-all.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sentiment.automaton import Automaton, build_automaton, unique_words
from sentiment.matching import Match, ascii_word_char

UNIT_TOKEN = "@unit"


@dataclass(frozen=True)
class SchemeSpec:
    id: str
    unit_id: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (group name, words), in order
    exclude: tuple[str, ...] = ()
    scope: str = "document"  # "document" | "sentence"
    name: str = ""
    subject_group: str | None = "subject"


class SchemeHit:
    """A scheme that matched. A plain class, not a dataclass, so that mypyc
    compiles its construction."""

    def __init__(self, scheme_id: str, unit_id: str, terms: list[str] | None = None,
                 positions: list[int] | None = None, ends: list[int] | None = None) -> None:
        self.scheme_id = scheme_id
        self.unit_id = unit_id
        self.terms: list[str] = [] if terms is None else terms  # matched words, group by group
        self.positions: list[int] = [] if positions is None else positions  # offsets of the subject words
        self.ends: list[int] = [] if ends is None else ends

    def __repr__(self) -> str:
        return (f"SchemeHit(scheme_id={self.scheme_id!r}, unit_id={self.unit_id!r}, terms={self.terms!r}, "
                f"positions={self.positions!r}, ends={self.ends!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemeHit):
            return NotImplemented
        return (self.scheme_id, self.unit_id, self.terms, self.positions, self.ends) == \
            (other.scheme_id, other.unit_id, other.terms, other.positions, other.ends)



def _standalone(text: str, start: int, end: int) -> bool:
    # Same rule as the unit matcher: an ASCII word must not be part of a longer one.
    return not ((ascii_word_char(text[start]) and start > 0 and ascii_word_char(text[start - 1]))
                or (ascii_word_char(text[end - 1]) and end < len(text) and ascii_word_char(text[end])))


class SchemeMatcher:
    """Evaluate every unit's schemes over one text in a single automaton pass."""

    def __init__(self, schemes: Iterable[SchemeSpec]) -> None:
        self.schemes = list(schemes)
        self.units_with_schemes = {s.unit_id for s in self.schemes}
        owners: dict[str, list[tuple[int, int]]] = {}
        for si, scheme in enumerate(self.schemes):
            for gi, (_, words) in enumerate(scheme.groups):
                for w in words:
                    if w != UNIT_TOKEN:
                        owners.setdefault(w.lower(), []).append((si, gi))
            for w in scheme.exclude:
                owners.setdefault(w.lower(), []).append((si, -1))
        # Whether each word starts / ends with an ASCII letter or digit (then
        # it must stand alone, see _standalone), decided here, not per match.
        table = unique_words((w, (tuple(o), ascii_word_char(w[0]), ascii_word_char(w[-1])))
                             for w, o in owners.items())
        # The words, for a unit matcher that walks them with its own (UnitMatcher.walk's extra
        # words), and their values by index; an automaton of its own for a caller without one.
        self.words = list(table)
        self._values = list(table.values())
        self._auto: Automaton[int] | None = build_automaton((w, i) for i, w in enumerate(self.words))
        # Per scheme, whether one of its groups is the unit's names alone
        # (subject: [@unit]): then it matches only where the unit does.
        self._unit_only = [any(words and all(w == UNIT_TOKEN for w in words) for _, words in scheme.groups)
                           for scheme in self.schemes]
        # The groups that stand for the unit's own names (@unit).
        self._unit_groups = {(si, gi) for si, scheme in enumerate(self.schemes)
                             for gi, (_, words) in enumerate(scheme.groups) if UNIT_TOKEN in words}

    def may_match(self, unit_matches: Mapping[str, Match]) -> bool:
        """Whether a scheme may match a text with these alias matches (else :meth:`evaluate` finds none)."""
        return bool(self.schemes) and not self._none_can_match(unit_matches)

    def _none_can_match(self, unit_matches: Mapping[str, Match]) -> bool:
        """No scheme can match: each needs its unit's names (a group of @unit
        alone), and its unit is not in the text. The text is not walked then."""
        return _never(self._unit_only, self.schemes, unit_matches)

    def evaluate(self, text: str, sentence_starts: Sequence[int],
                 unit_matches: Mapping[str, Match], lowered: str | None = None,
                 found: list[tuple[int, int, int]] | None = None) -> list[SchemeHit]:
        """The schemes that match ``text``. ``sentence_starts`` are the sorted
        start offsets of its sentences; ``unit_matches`` the alias matches;
        ``lowered``: ``text.lower()`` when the caller has it; ``found``: the
        occurrences of :attr:`words` in it as ``(start, end, index)``, in the
        order of a walk (UnitMatcher.walk), when the caller has them."""
        if not self.schemes or self._none_can_match(unit_matches):
            return []
        if lowered is None:
            lowered = text.lower()
        if found is None:
            found = self._auto.find(lowered) if self._auto is not None else []
        # occurrences[(scheme, group)] = [(start, end, word as written)]
        occ: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
        values = self._values
        for start, end, i in found:
            owners, ascii_start, ascii_end = values[i]
            if (ascii_start or ascii_end) and not _standalone(lowered, start, end):
                continue
            for si, gi in owners:
                occ.setdefault((si, gi), []).append((start, end, text[start:end]))
        hits: list[SchemeHit] = []
        first_of: dict[str, SchemeHit] = {}  # unit id -> its first hit
        for si, scheme in enumerate(self.schemes):
            if (si, -1) in occ:
                continue  # an exclusion word: NOT
            groups = []
            for gi in range(len(scheme.groups)):
                group = list(occ.get((si, gi), ()))
                if (si, gi) in self._unit_groups and scheme.unit_id in unit_matches:
                    m = unit_matches[scheme.unit_id]
                    group += [(s, e, text[s:e]) for s, e in zip(m.positions, m.ends)]
                groups.append(group)
            if not all(groups):
                continue
            if scheme.scope == "sentence":
                narrowed = _same_sentence(groups, sentence_starts)
                if narrowed is None:
                    continue
                groups = narrowed
            hit = _hit(scheme, groups)
            first = first_of.get(scheme.unit_id)
            if first is None:
                hits.append(hit)
                first_of[scheme.unit_id] = hit
            else:  # one scheme names a unit's match (the first that matched, members.yaml order): its reasons cite one
                _merge(first, hit)
        return hits


def _merge(into: SchemeHit, other: SchemeHit) -> None:
    """A further scheme of the same unit: its words and subject positions join the first's."""
    for word in other.terms:
        if word not in into.terms:
            into.terms.append(word)
    for start, end in zip(other.positions, other.ends):
        if start not in into.positions:
            into.positions.append(start)
            into.ends.append(end)


def _never(unit_only: list[bool], schemes: list[SchemeSpec], unit_matches: Mapping[str, Match]) -> bool:
    """Whether every scheme has a group of the unit's names alone while its unit is not matched."""
    for needs_unit, scheme in zip(unit_only, schemes):  # noqa: SIM110 -- no generator per document
        if not needs_unit or scheme.unit_id in unit_matches:
            return False
    return True


def _same_sentence(groups: list[list[tuple[int, int, str]]],
                   starts: Sequence[int]) -> list[list[tuple[int, int, str]]] | None:
    """Restrict every group to the first sentence in which all groups occur."""
    def sentence_of(pos: int) -> int:
        return bisect_right(starts, pos) - 1
    per_group = [{sentence_of(s) for s, _, _ in g} for g in groups]
    common = set.intersection(*per_group)
    if not common:
        return None
    first = min(common)
    return [[o for o in g if sentence_of(o[0]) == first] for g in groups]


def _hit(scheme: SchemeSpec, groups: list[list[tuple[int, int, str]]]) -> SchemeHit:
    hit = SchemeHit(scheme.id, scheme.unit_id)
    for found in groups:
        for _, _, word in sorted(found):
            if word not in hit.terms:
                hit.terms.append(word)
    names = [name for name, _ in scheme.groups]
    subject = groups[names.index(scheme.subject_group)] if scheme.subject_group in names else \
        [o for g in groups for o in g]
    for start, end, _ in sorted(set(subject)):
        hit.positions.append(start)
        hit.ends.append(end)
    return hit
