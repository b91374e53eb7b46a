"""Levels 红/橙/黄/蓝 from negativity, unit relevance and source weight.

rules.yaml lists the levels, most severe first; each has minimums:

    levels:
      - {level: red,    min_negativity: 0.9, min_relevance: 0.7, min_source_weight: 1.0}
      - {level: orange, min_negativity: 0.8, min_relevance: 0.5}
      - {level: yellow, min_negativity: 0.7}
      - {level: blue,   min_negativity: 0.6}

A (document, unit) pair gets the most severe level whose every minimum it
meets, or none below ``negative_threshold`` / ``min_relevance``. So a red
needs a clearly negative item, clearly about the unit, from a source that
matters; the same item from a minor forum is at most orange, and a passing
mention in a list of twenty insurers at most what the relevance allows.

An item already spreading is raised (``engagement_boost``): when its
interactions (reposts + comments + likes…, as crawled) reach
``min_engagement``, the level found above goes up ``levels`` steps, never
above red. Engagement never makes an item negative by itself.

Each risk type can bound the level (``risk_levels`` in rules.yaml, its level
sensitivity beside its weight): ``max`` caps the level when every risk type
found is capped (an executive leaving, 高管变动, is at most blue), ``min``
raises an alerting item to at least that level (偿付能力不足 is never blue).
``max: none`` gives no level at all: a holder's share sale (股东减持) is
negative for the company and counted as negative coverage, but the
association does not alert on it unless another risk type is found too
(违规减持 is also 监管处罚).

Spread and authority (sentiment/spread.py): a level may require a spread
score (``min_spread``): who carries the item (regulator, central media,
mainstream outlets, big accounts), its engagement and, for a story, its
documents, channels and velocity. So one forum post, however angry, is not
red until a mainstream outlet picks it up or it spreads. An insurer's own
reply or clarification is at most ``own_response.max`` (never red).

``assess`` returns the level with its explanation: the terms and values
that decided it, and what the next more severe level lacked
("为何橙色而非红色").
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from contracts.messages import Level
from sentiment.spread import Spread, SpreadRules, SpreadScore
from sentiment.spread import score as spread_score

_LEVELS: Final = tuple(Level)  # most severe first: by rank
_UNBOUNDED: Final = (-1, -1)  # a risk type without bounds: no floor, no cap
NO_LEVEL: Final = "none"  # a risk type's cap (RiskLevels.max): no level at all


@dataclass(frozen=True)
class EngagementBoost:
    min_engagement: int
    levels: int = 1
    counts: tuple[str, ...] = ("reposts", "shares", "comments", "replies", "likes")

    def interactions(self, engagement: dict[str, int] | None) -> int:
        if not engagement:  # most documents: nothing crawled
            return 0
        return sum(int(engagement.get(k) or 0) for k in self.counts)


@dataclass(frozen=True)
class LevelRule:
    level: Level
    min_negativity: float
    min_relevance: float = 0.0
    min_source_weight: float = 0.0
    min_spread: int = 0

    def meets(self, negativity: float, relevance: float, source_weight: float, spread: int) -> bool:
        """Whether the item meets every minimum: :meth:`misses` would be empty
        (the same comparisons, negated, so a NaN compares as it does there)."""
        return not (negativity < self.min_negativity or relevance < self.min_relevance
                    or source_weight < self.min_source_weight or spread < self.min_spread)

    def misses(self, negativity: float, relevance: float, source_weight: float, spread: int) -> list[str]:
        """What this level requires that the item lacks (Chinese)."""
        out = []  # %-formatting: the same text as f"{x:.2f}", at a third of its cost
        if negativity < self.min_negativity:
            out.append("负面指数 %.2f < %.2f" % (negativity, self.min_negativity))  # noqa: UP031
        if relevance < self.min_relevance:
            out.append("相关度 %.2f < %.2f" % (relevance, self.min_relevance))  # noqa: UP031
        if source_weight < self.min_source_weight:
            out.append("来源权重 %.2f < %.2f" % (source_weight, self.min_source_weight))  # noqa: UP031
        if spread < self.min_spread:
            out.append(f"传播分 {spread} < {self.min_spread}")
        return out


class Assessment:
    """A level and why (frozen by convention: a plain class, so that mypyc
    compiles its construction; a dataclass's generated ``__init__`` runs as
    Python code)."""

    def __init__(self, level: Level | None, reason: str, spread: SpreadScore) -> None:
        self.level = level
        self.reason = reason
        self.spread = spread

    def __repr__(self) -> str:
        return f"Assessment(level={self.level!r}, reason={self.reason!r}, spread={self.spread!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Assessment):
            return NotImplemented
        return (self.level, self.reason, self.spread) == (other.level, other.reason, other.spread)

    def __hash__(self) -> int:  # frozen, as the dataclass was
        return hash((self.level, self.reason, self.spread))


@dataclass(frozen=True)
class RiskLevels:
    min: Level | None = None
    max: Level | str | None = None  # a Level or NO_LEVEL


class LevelPolicy:
    def __init__(self, thresholds: Iterable[LevelRule | tuple], alert_threshold: float,
                 min_relevance: float = 0.0, boost: EngagementBoost | None = None,
                 risk_levels: Mapping[str, RiskLevels] | None = None, *,
                 spread: SpreadRules | None = None, own_response_max: Level | None = None) -> None:
        rules = [t if isinstance(t, LevelRule) else LevelRule(*t) for t in thresholds]
        # Most severe level first: the first rule met wins.
        self._rules = sorted(rules, key=lambda r: r.level.rank)
        # Per rule, the texts that do not depend on the item (Level's label
        # and rank are Python properties over an enum-keyed dict: looked up
        # here, once): what reaching its level says (the first rule of that
        # level), and the next more severe level's rule with its label.
        self._reached: list[str] = []
        self._next: list[LevelRule | None] = []
        self._next_label: list[str] = []
        for rule in self._rules:
            first = next(r for r in self._rules if r.level is rule.level)
            self._reached.append(
                f"：达到{rule.level.label}（负面≥{first.min_negativity:.2f}，相关度≥{first.min_relevance:.2f}，"
                f"来源权重≥{first.min_source_weight:.2f}" + (f"，传播分≥{first.min_spread}" if first.min_spread else "")
                + "）")
            higher = [r for r in self._rules if r.level.rank < rule.level.rank]
            self._next.append(higher[-1] if higher else None)
            self._next_label.append(f"；未到{higher[-1].level.label}：" if higher else "")
        self.alert_threshold = alert_threshold
        self.min_relevance = min_relevance
        self.boost = boost
        self.risk_levels = dict(risk_levels or {})
        self.spread = spread or SpreadRules()
        self.own_response_max = own_response_max
        # The last spread scored and whether the rules are the defaults, kept
        # by identity: the units of one document share one Spread, and the
        # rules change only when someone assigns new ones.
        self._last_spread: tuple[Spread, SpreadRules, SpreadScore] | None = None
        self._defaults: tuple[SpreadRules, bool] | None = None
        self._described: tuple[SpreadScore, str] | None = None
        self._bounds: tuple[Mapping[str, RiskLevels], dict[str, tuple[int, int]]] | None = None

    def _bounded(self, level: Level | None, risks: Collection[str]) -> Level | None:
        """The level within the bounds of the risk types found."""
        if level is None or not risks or not self.risk_levels:
            return level
        bounds = self._risk_ranks()
        rank = level.rank
        capped, loosest, floor = True, len(_LEVELS), len(_LEVELS)
        for r in risks:
            low, high = bounds.get(r, _UNBOUNDED)
            if high < 0:
                capped = False
            else:
                loosest = min(loosest, high)  # the most severe cap allowed
            if low >= 0:
                floor = min(floor, low)
        if capped and rank < loosest:
            if loosest == len(_LEVELS):  # every type found is capped at NO_LEVEL
                return None
            level, rank = _LEVELS[loosest], loosest
        if floor < len(_LEVELS) and rank > floor:
            level = _LEVELS[floor]
        return level

    def _risk_ranks(self) -> dict[str, tuple[int, int]]:
        """Per risk type, the ranks of its floor and cap (-1: none), kept while
        ``risk_levels`` is the same dict (Level's rank is a Python property)."""
        known = self._bounds
        if known is None or known[0] is not self.risk_levels:
            ranks = {r: (b.min.rank if b.min is not None else -1, _cap_rank(b.max)) for r, b in self.risk_levels.items()}
            known = self._bounds = (self.risk_levels, ranks)
        return known[1]

    def _base(self, negativity: float, relevance: float, source_weight: float, spread: int = 0) -> Level | None:
        i = self._base_rule(negativity, relevance, source_weight, spread)
        return self._rules[i].level if i >= 0 else None

    def _base_rule(self, negativity: float, relevance: float, source_weight: float, spread: int) -> int:
        """The index of the first rule met, -1 for none."""
        if negativity < self.alert_threshold or relevance < self.min_relevance:
            return -1
        for i, rule in enumerate(self._rules):
            if rule.meets(negativity, relevance, source_weight, spread):
                return i
        return -1

    def _spread_score(self, spread: Spread) -> SpreadScore:
        last = self._last_spread
        if last is not None and last[0] is spread and last[1] is self.spread:
            return last[2]
        sp = spread_score(spread, self.spread)
        self._last_spread = (spread, self.spread, sp)
        return sp

    def _spread_facts(self, sp: SpreadScore) -> str:
        """The spread score as the facts give it ("" under the default rules), described once per score."""
        if self._default_spread_rules():
            return ""
        last = self._described
        if last is None or last[0] is not sp:
            last = self._described = (sp, f"，{sp.describe()}")
        return last[1]

    def _default_spread_rules(self) -> bool:
        known = self._defaults
        if known is None or known[0] is not self.spread:
            known = self._defaults = (self.spread, self.spread == SpreadRules())
        return known[1]

    def _boosted(self, level: Level | None, engagement: dict[str, int] | None) -> Level | None:
        if level is None or self.boost is None or self.boost.interactions(engagement) < self.boost.min_engagement:
            return level
        return _LEVELS[max(0, level.rank - self.boost.levels)]  # Level lists the most severe first

    def level_for(self, negativity: float, relevance: float = 1.0, source_weight: float = 1.0,
                  engagement: dict[str, int] | None = None, risks: Collection[str] = (), *,
                  spread: Spread | None = None, own_response: bool = False) -> Level | None:
        """``risks``: the risk types of the lexicon phrases behind the score."""
        return self.assess(negativity, relevance, source_weight, engagement, risks, spread=spread,
                           own_response=own_response).level

    def explain(self, negativity: float, relevance: float, source_weight: float,
                engagement: dict[str, int] | None = None, risks: Collection[str] = (), *,
                spread: Spread | None = None, own_response: bool = False) -> str:
        """Why this level (or none), for the dry run, the console and the e-mail."""
        return self.assess(negativity, relevance, source_weight, engagement, risks, spread=spread,
                           own_response=own_response).reason

    def assess(self, negativity: float, relevance: float = 1.0, source_weight: float = 1.0,
               engagement: dict[str, int] | None = None, risks: Collection[str] = (), *,
               spread: Spread | None = None, own_response: bool = False) -> Assessment:
        """The level and why: the values that decided it and what the next more severe level lacked."""
        if spread is None:
            spread = Spread(engagement=Spread.interactions(engagement))
        sp = self._spread_score(spread)
        # Each value as f"{x:.2f}", formatted once per value (_two_places).
        facts = ("负面指数 " + _two_places(negativity) + "，相关度 " + _two_places(relevance) + "，来源权重 "
                 + _two_places(source_weight) + self._spread_facts(sp))
        index = self._base_rule(negativity, relevance, source_weight, sp.points)
        unbounded = self._rules[index].level if index >= 0 else None
        base = self._bounded(unbounded, risks)
        if base is None:
            if negativity < self.alert_threshold:
                return Assessment(None, facts + "：低于预警阈值 " + _two_places(self.alert_threshold), sp)
            if unbounded is not None:
                kinds = "、".join(sorted(r for r in risks if r in self.risk_levels))
                return Assessment(None, f"{facts}：负面，但风险类型（{kinds}）不预警（计入负面报道）", sp)
            return Assessment(None, f"{facts}：未达任何等级的要求", sp)
        assert unbounded is not None
        text = facts + self._reached[index]
        nxt = self._next[index]
        if nxt is not None:
            text += self._next_label[index] + "，".join(nxt.misses(negativity, relevance, source_weight, sp.points))
        if base is not unbounded:
            kinds = "、".join(sorted(r for r in risks if r in self.risk_levels))
            text += f"；风险类型（{kinds}）的等级{'上限' if base.rank > unbounded.rank else '下限'}：{base.label}"
        level = self._boosted(base, engagement)
        if level is not base and self.boost is not None and level is not None:
            text += (f"；互动量 {self.boost.interactions(engagement)} ≥ {self.boost.min_engagement}，"
                     f"上调为{level.label}")
        cap = self.own_response_max
        if own_response and cap is not None and level is not None and level.rank < cap.rank:
            level = cap
            text += f"；为该单位自身的回应/澄清，最高{cap.label}"
        return Assessment(level, text, sp)


_TWO_PLACES: Final[dict[float, str]] = {}


def _two_places(x: float) -> str:
    """``f"{x:.2f}"``, kept per value: relevance, source weight and threshold take a few
    values, and a negativity score often recurs (a bounded dict, as DocumentScorer._spread)."""
    known = _TWO_PLACES.get(x)
    if known is None:
        known = f"{x:.2f}"
        # -0.0 and 0.0 are one key but print apart; a NaN is no key (it equals nothing).
        if x != 0.0 and x == x:
            if len(_TWO_PLACES) >= 4_096:
                _TWO_PLACES.clear()
            _TWO_PLACES[x] = known
    return known


def _cap_rank(cap: Level | str | None) -> int:
    """A cap's rank: -1 for none, len(Level) for NO_LEVEL (below every level)."""
    if cap is None:
        return -1
    if isinstance(cap, Level):
        return cap.rank
    if cap == NO_LEVEL:
        return len(_LEVELS)
    raise ValueError(f"risk level cap {cap!r}: a level or {NO_LEVEL!r}")
