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
* An alias that starts with a line of business (人寿吉林分公司: 中国人寿's branch
  with the brand 中国 stripped, as people say it) names the unit only where no
  other name ends right before it: 富德生命人寿吉林分公司, 长生人寿吉林分公司 are
  other life insurers' branches (the character before is one that can end a
  name, clauses.may_end_a_name); 中国人寿吉林分公司 is the longer alias anyway.
* Case-insensitive; offsets refer to the text as given.
* English names work the same way (China Life, Ping An, PICC; words apart
  by spaces): a brand followed by a region and "branch" (China Life's Jilin
  branch) or after "<region> branch of" names the branch, like 吉林分公司.

* A provincial association's member unit is the province's branch: a brand
  alias followed by another province's name and 分公司 (中国人寿广东省分公司,
  人保财险江苏分公司) is another branch, and names no unit; followed by one of
  the region words and 分公司 it names the member as surely as a branch alias.
* A group alias (members.yaml ``group_aliases``: 中国平安 names the whole
  group) counts for its unit only when the text names no other unit of the
  same ``group``: 中国平安发布年报，平安人寿新业务价值回升 is about 平安人寿.

Names and aliases come from members.yaml; an empty alias is rejected there,
never treated as match-all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sentiment.aliases import GENERIC
from sentiment.automaton import Automaton, SharedWalk, any_in, build_automaton, unique_words
from sentiment.clauses import may_end_a_name

CONTEXT_WINDOW = 12
# The lines of business an alias may start with when a brand was stripped from it (人寿吉林分公司).
_LINE_WORDS = tuple(sorted(GENERIC, key=len, reverse=True))
DEFAULT_CONTEXT_WORDS = ("保险", "人寿", "寿险", "产险", "财险", "车险", "险企", "保单", "保费", "理赔", "投保", "退保",
                         "承保", "赔付", "insurance", "insurer", "policy", "claim")
# Provinces and the cities with their own insurers' branches (计划单列市): a brand followed by one of
# these, not a region word, and 分公司 is another province's branch (the region words are removed from it).
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
             "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
             "青海", "宁夏", "新疆", "深圳", "大连", "青岛", "宁波", "厦门")


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    aliases: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    needs_context: tuple[str, ...] = ()  # aliases counted only with a context word nearby
    context_words: tuple[str, ...] = DEFAULT_CONTEXT_WORDS
    group: str = ""  # the insurance group (平安) the unit belongs to, if it shares one with other units
    group_aliases: tuple[str, ...] = ()  # aliases naming the whole group (中国平安): see the module's docstring


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


def han_only(word: str) -> bool:
    """Whether every character of ``word`` is a CJK unified ideograph: such a
    word occurs in a text exactly where it occurs in the lower-cased text
    (lower-casing keeps an ideograph and makes none from another character)."""
    return bool(word) and all("\u4e00" <= ch <= "\u9fff" for ch in word)


class Walked:
    """What one walk over a document found (:meth:`UnitMatcher.walk`)."""

    def __init__(self, matches: list[Match], extra: list[tuple[int, int, int]], region: bool) -> None:
        self.matches = matches  # the units mentioned, in order of first mention
        self.extra = extra  # the extra words' occurrences (start, end, index into extra_words), in walk order
        self.region = region  # a region word occurs in the text


class UnitMatcher:
    """Find member units in text. Built once per process from the specs.

    One walk over the lower-cased text (automaton.SharedWalk) finds the aliases,
    the exclusion phrases, the region words written in ideographs and
    ``extra_words`` (lower-cased, unique: the scheme words) together."""

    def __init__(self, units: Iterable[UnitSpec], region_words: Iterable[str] = ("吉林",),
                 extra_words: Sequence[str] = (), other_regions: Iterable[str] = PROVINCES) -> None:
        self.units = {u.id: u for u in units}
        regions = [r for r in region_words if r]
        self._regions = tuple(r.lower() for r in regions)
        self._elsewhere = tuple(r.lower() for r in other_regions if r and r.lower() not in self._regions)
        # Per unit, its group (units of one group tell each other's group aliases apart).
        self._group = {u.id: u.group for u in self.units.values() if u.group}
        group_aliases = {(u.id, a.lower()) for u in self.units.values() for a in u.group_aliases}
        entries: list[tuple[str, tuple[str, bool, bool, bool, bool]]] = []
        guarded_by: dict[tuple[str, str], Automaton[str] | None] = {}
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
                # An alias starting with a line of business (人寿吉林分公司) may be the tail of another insurer's name.
                line_first = i > 0 and key.startswith(_LINE_WORDS)
                entries.append((alias, (unit.id, specific, ascii_word_char(key[0]), ascii_word_char(key[-1]), line_first)))
                if alias.lower() in guarded:
                    guarded_by[(unit.id, alias.lower())] = context
        aliases = unique_words(entries)
        # Per alias word: its unit, whether specific, its ASCII ends, whether it
        # needs a context word (needs_context) with the unit's context automaton,
        # whether it names the unit's whole group (group_aliases), and whether it starts with a line of business.
        self._alias_values: list[tuple[str, bool, bool, bool, bool, Automaton[str] | None, bool, bool]] = [
            (uid, specific, a_start, a_end, (uid, word) in guarded_by, guarded_by.get((uid, word)),
             (uid, word) in group_aliases, line_first)
            for word, (uid, specific, a_start, a_end, line_first) in aliases.items()]
        owners: dict[str, set[str]] = {}
        for uid, u in self.units.items():
            for phrase in u.exclusions:
                owners.setdefault(phrase.lower(), set()).add(uid)
        exclusions = unique_words((phrase, frozenset(ids)) for phrase, ids in owners.items())
        self._exclusion_values = list(exclusions.values())
        self._excluding = frozenset(uid for ids in owners.values() for uid in ids)
        # Region words in ideographs are found by the walk; any other (Jilin) by ``in`` on the text as given.
        han = unique_words((r, r) for r in regions if han_only(r))
        self._other_regions = tuple(r for r in regions if not han_only(r))
        self._walk = SharedWalk([list(aliases), list(exclusions), list(han), list(extra_words)])
        self._n_aliases, self._n_exclusions, self._n_regions = self._walk.bounds[:3]

    def find(self, text: str, lowered: str | None = None) -> list[Match]:
        """Units mentioned in ``text``, in order of first mention (``lowered``:
        ``text.lower()`` when the caller has it)."""
        return self.walk(text, lowered).matches

    def walk(self, text: str, lowered: str | None = None) -> Walked:
        """The units mentioned in ``text`` (as :meth:`find`), the occurrences of the
        extra words and whether a region word occurs, from one walk."""
        if not text:
            return Walked([], [], False)
        if lowered is None:
            lowered = text.lower()
        n_aliases, n_exclusions, n_regions = self._n_aliases, self._n_exclusions, self._n_regions
        values = self._alias_values
        # All occurrences first, then leftmost-longest among the valid ones:
        # an excluded occurrence must not hide an overlapping valid one
        # (中国太平洋保险: 中国太平 is excluded for 太平人寿, 太平洋保险 remains).
        candidates: list[tuple[int, int, str, bool, bool, bool]] = []
        excluded: dict[str, list[tuple[int, int]]] = {}
        extra: list[tuple[int, int, int]] = []
        region = False
        length = len(lowered)
        for i, start, end in self._walk.find(lowered):
            if i >= n_aliases:
                if i < n_exclusions:
                    for unit_id in self._exclusion_values[i - n_aliases]:
                        excluded.setdefault(unit_id, []).append((start, end))
                elif i < n_regions:
                    region = True
                else:
                    extra.append((start, end, i - n_regions))
                continue
            unit_id, specific, ascii_start, ascii_end, guarded, context, group, line_first = values[i]
            if ascii_start and start > 0 and ascii_word_char(lowered[start - 1]):
                continue
            if line_first and start > 0 and may_end_a_name(lowered[start - 1]):
                continue  # 富德生命人寿吉林分公司: another insurer's name ends with the alias
            if ascii_end and end < length and ascii_word_char(lowered[end]):
                continue
            if guarded and not _has_context(context, lowered, start, end):
                continue
            candidates.append((start, -end, unit_id, specific, ascii_end, group))
        if excluded:
            candidates = [c for c in candidates if not _excluded(excluded, c[2], c[0], -c[1])]
        if not region and self._other_regions:
            region = any_in(self._other_regions, text)
        return Walked(self._units_of(candidates, text, lowered), extra, region)

    def _units_of(self, candidates: list[tuple[int, int, str, bool, bool, bool]], text: str,
                  lowered: str) -> list[Match]:
        """The matches of the valid occurrences, leftmost-longest; without another
        province's branches, and without group aliases where another unit of the group is named."""
        candidates.sort()
        kept: list[tuple[int, int, str, bool, bool]] = []
        taken = 0
        regions, elsewhere = self._regions, self._elsewhere
        grouped = False
        for start, neg_end, unit_id, specific, ascii_end, group in candidates:
            end = -neg_end
            if start < taken:
                continue  # overlaps a longer or earlier match
            taken = end
            # 太平洋保险吉林分公司: a brand alias followed by the region and 分公司
            # names the branch as surely as a branch alias would (within the 8
            # characters after it, tested without cutting them out); followed by
            # another province and 分公司 (中国人寿广东省分公司), another branch.
            branch = False
            tail = lowered.find("分公司", end, end + 8)
            if tail >= 0:
                branch = _starts_any(lowered, regions, end, tail)
                if not branch and not specific and _starts_any(lowered, elsewhere, end, tail):
                    continue
            if not branch and ascii_end:
                branch = _english_branch(lowered, start, end, regions)
            grouped = grouped or group
            kept.append((start, end, unit_id, specific or branch, group))
        if grouped:
            kept = self._without_group_aliases(kept)
        found: dict[str, Match] = {}
        for start, end, unit_id, specific, _ in kept:
            match = found.get(unit_id)
            if match is None:
                match = found[unit_id] = Match(unit_id, self.units[unit_id].name)
            alias = text[start:end]
            if alias not in match.aliases:
                match.aliases.append(alias)
            match.positions.append(start)
            match.ends.append(end)
            match.specific = match.specific or specific
        return list(found.values())

    def _without_group_aliases(self, kept: list[tuple[int, int, str, bool, bool]]) -> list[tuple[int, int, str, bool, bool]]:
        """The occurrences but a group alias's where the text names another unit of its group by its own names."""
        out: list[tuple[int, int, str, bool, bool]] = []
        for occurrence in kept:
            unit_id, group = occurrence[2], occurrence[4]
            if group and _other_of_group(kept, unit_id, self._group):
                continue
            out.append(occurrence)
        return out


def _other_of_group(kept: list[tuple[int, int, str, bool, bool]], unit_id: str, groups: dict[str, str]) -> bool:
    """Whether ``kept`` has an occurrence of another unit of ``unit_id``'s group by that unit's own names."""
    mine = groups.get(unit_id, "")
    for _, _, other, _, group in kept:  # noqa: SIM110 -- no generator (mypyc)
        if other != unit_id and not group and groups.get(other, "") == mine:
            return True
    return False


def _excluded(excluded: dict[str, list[tuple[int, int]]], unit_id: str, start: int, end: int) -> bool:
    """Whether [start, end) lies within one of the unit's exclusion phrases."""
    for s, e in excluded.get(unit_id, ()):  # noqa: SIM110 -- no generator (mypyc)
        if s <= start and end <= e:
            return True
    return False


def _starts_any(text: str, words: tuple[str, ...], start: int, end: int) -> bool:
    """Whether ``text[start:end]`` starts with one of ``words``."""
    for w in words:  # noqa: SIM110 -- no generator (mypyc)
        if text.startswith(w, start, end):
            return True
    return False
