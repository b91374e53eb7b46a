"""Member-unit matching: which units a text is about, by which aliases, where.

Longest alias wins at each position (中国平安人寿 beats 中国平安), and an
occurrence inside an exclusion phrase does not count. Names and aliases come
from members.yaml; an empty alias is rejected there, never treated as match-all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    aliases: tuple[str, ...]
    exclusions: tuple[str, ...] = ()


@dataclass
class Match:
    unit_id: str
    unit_name: str
    aliases: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)


class UnitMatcher:
    def __init__(self, units: Iterable[UnitSpec]) -> None:
        self._owner: dict[str, UnitSpec] = {}
        self._exclusions: dict[str, list[str]] = {}
        for unit in units:
            for alias in (unit.name, *unit.aliases):
                self._owner.setdefault(alias.lower(), unit)
            self._exclusions[unit.id] = [e.lower() for e in unit.exclusions]
        terms = sorted(self._owner, key=len, reverse=True)
        # A literal alternation, longest first, gives leftmost-longest matches.
        self._pattern = re.compile("|".join(map(re.escape, terms))) if terms else None

    def find(self, text: str) -> list[Match]:
        if self._pattern is None:
            return []
        lowered = text.lower()
        found: dict[str, Match] = {}
        for m in self._pattern.finditer(lowered):
            unit = self._owner[m.group(0)]
            if self._excluded(lowered, m.start(), m.end(), self._exclusions[unit.id]):
                continue
            match = found.setdefault(unit.id, Match(unit.id, unit.name))
            alias = text[m.start():m.end()]
            if alias not in match.aliases:
                match.aliases.append(alias)
            match.positions.append(m.start())
        return list(found.values())

    @staticmethod
    def _excluded(text: str, start: int, end: int, exclusions: list[str]) -> bool:
        for phrase in exclusions:
            # Look for the exclusion phrase in a window covering the match.
            lo = max(0, start - len(phrase))
            idx = text.find(phrase, lo, end + len(phrase))
            while idx != -1 and idx <= start:
                if idx + len(phrase) >= end:
                    return True
                idx = text.find(phrase, idx + 1, end + len(phrase))
        return False
