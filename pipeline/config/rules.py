"""``rules.yaml``: lexicon, thresholds, levels; alerting routes, escalation and rate limits."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from contracts.messages import Level
from pipeline.config.base import (
    AlertChannel,
    Strict,
    _duration_or_never,
    _english_phrases,
    _hhmm,
    _non_empty_terms,
    parse_duration,
)
from pipeline.config.emergency import EmergencyRules
from sentiment import clauses, frames, irony
from sentiment.gapped import GAP, gapped_heads


class LevelRoute(Strict):
    """How one level is delivered. Every field left out is inherited: a unit's
    route from the association's (rules.yaml), that one from built-in defaults."""

    channels: list[AlertChannel] | None = None
    duty: bool | None = None  # tell the duty officers at once (not only on escalation)
    digest: bool | None = None  # hold for the morning digest instead of sending now
    escalate_after: float | None = None  # unacknowledged this long → next step; "never" = 0
    repeat_every: float | None = None  # new reposts re-notify at most this often
    # auto: the unit is told at once; review: the association's duty officers are told at once and the
    # unit's messages wait in the outbox until a duty officer forwards them (复核并转发), or until
    # ``review_timeout`` has passed (then they go out by themselves, saying so).
    forward: Literal["auto", "review"] | None = None
    review_timeout: float | None = None

    _durations = field_validator("escalate_after", "repeat_every", mode="before")(
        lambda cls, v: _duration_or_never(v))
    _review_timeout = field_validator("review_timeout", mode="before")(
        lambda cls, v: None if v is None else parse_duration(v))




class SpikeRule(Strict):
    docs: int = Field(5, ge=2)  # this many new items in the story …
    within: float = 3600.0  # … within this long re-notifies (VOLUME_SPIKE)

    _within = field_validator("within", mode="before")(lambda cls, v: parse_duration(v))


def _default_fallback() -> dict[Literal["sms", "email"], list[Literal["sms", "email"]]]:
    return {"sms": ["email"], "email": ["sms"]}


def _default_routes() -> dict[Level, LevelRoute]:
    return {
        Level.red: LevelRoute(channels=["sms", "email", "robot"], escalate_after=900, repeat_every=3600,
                              forward="auto", review_timeout=900),
        Level.orange: LevelRoute(channels=["sms", "email", "robot"], escalate_after=1800, repeat_every=7200,
                                 forward="auto", review_timeout=1800),
        Level.yellow: LevelRoute(channels=["email", "robot"], escalate_after=7200, repeat_every=21600,
                                 forward="auto", review_timeout=3600),
        Level.blue: LevelRoute(channels=["email"], digest=True, escalate_after=0, repeat_every=86400,
                               forward="auto", review_timeout=3600),
    }


class IncidentRule(Strict):
    """One incident, one alert (sentiment/incidents.py): a report of another
    story joins an open alert of the same unit when, within ``window``, they
    share a risk type and at least ``min_shared`` key terms making up at least
    ``min_overlap`` of the smaller item's terms."""

    window: float = 72 * 3600.0
    min_shared: int = Field(3, ge=1)
    min_overlap: float = Field(0.3, gt=0, le=1)

    _window = field_validator("window", mode="before")(lambda cls, v: parse_duration(v))


class AlertingRules(Strict):
    """rules.yaml ``alerting:`` — the association's default routes and timings."""

    routes: dict[Level, LevelRoute] = Field(default_factory=_default_routes)
    digest_at: str = "08:30"  # local time of the morning digest
    min_renotify_gap: float = 900.0  # spread/mainstream/spike updates at most this often
    spike: SpikeRule = Field(default_factory=SpikeRule)
    incidents: IncidentRule | None = Field(default_factory=IncidentRule)  # null: stories never merge
    # Mainstream outlets: site host suffixes (people.com.cn) or source ids.
    mainstream: list[str] = Field(default_factory=list)
    sms_per_phone_per_day: int = Field(10, ge=1)
    # When a personal channel fails for good, try these for the same person.
    fallback: dict[Literal["sms", "email"], list[Literal["sms", "email"]]] = Field(
        default_factory=_default_fallback)
    max_attempts: int = Field(8, ge=1)  # transient failures retried this often, with backoff
    ack_link_ttl: float = 3 * 86400.0
    ops_channels: list[AlertChannel] = Field(default_factory=lambda: list[AlertChannel](["email", "robot"]))

    _digest = field_validator("digest_at")(lambda cls, v: _hhmm(v))
    _gaps = field_validator("min_renotify_gap", "ack_link_ttl", mode="before")(lambda cls, v: parse_duration(v))

    @field_validator("routes")
    @classmethod
    def _inherit_builtin(cls, routes: dict) -> dict:
        # Levels and fields left out keep the built-in defaults.
        base = _default_routes()
        for level, route in routes.items():
            base[level] = base[level].model_copy(update=route.model_dump(exclude_none=True))
        return base

    @field_validator("mainstream")
    @classmethod
    def _mainstream_terms(cls, v: list[str]) -> list[str]:
        return _non_empty_terms(v)


# ---------------------------------------------------------------- rules


class LevelRule(Strict):
    """The most severe level whose every minimum is met applies (sentiment/levels.py)."""

    level: Level
    min_negativity: float = Field(ge=0, le=1)
    min_relevance: float = Field(0.0, ge=0, le=1)  # how much the item is about the unit
    min_source_weight: float = Field(0.0, ge=0)  # sources.yaml weight (unknown sources: 1.0)
    min_spread: int = Field(0, ge=0)  # spread score (``spread`` below): carrier, engagement, documents, channels


class AuthorityClass(Strict):
    points: int = Field(ge=0)
    # site hosts (or parent domains), source ids, source names or authors' screen names
    match: list[str] = Field(min_length=1)

    _terms = field_validator("match")(lambda cls, v: _non_empty_terms(v))


class EngagementStep(Strict):
    min: int = Field(ge=1)  # interactions: reposts + shares + comments + replies + likes
    points: int = Field(ge=0)


class PerStep(Strict):
    points: int = Field(1, ge=0)  # per document (channel) beyond the first
    max: int = Field(2, ge=0)


class Velocity(Strict):
    docs: int = Field(ge=2)  # documents of the story within alerting.spike.within
    points: int = Field(1, ge=0)


class SpreadRules(Strict):
    """Spread score terms (sentiment/spread.py); levels may require a minimum."""

    authority: dict[Literal["regulator", "central_media", "mainstream", "big_account"], AuthorityClass] = \
        Field(default_factory=dict)
    engagement: list[EngagementStep] = Field(default_factory=list)
    documents: PerStep = Field(default_factory=lambda: PerStep(points=0, max=0))
    channels: PerStep = Field(default_factory=lambda: PerStep(points=0, max=0))
    velocity: Velocity | None = None


class OwnResponse(Strict):
    """A unit's own reply or clarification (its name, then 回应/澄清/声明… in the title) is at most ``max``."""

    words: list[str] = Field(min_length=1)
    max: Level = Level.yellow

    _terms = field_validator("words")(lambda cls, v: _non_empty_terms(v))


class EngagementBoost(Strict):
    """A negative item already spreading is raised ``levels`` levels (never
    above red): its interactions — the sum of the ``counts`` the page or API
    gave (reposts, comments, likes…; views and plays are not interactions) —
    reach ``min_engagement``. See sentiment/levels.py."""

    min_engagement: int = Field(ge=1)
    levels: int = Field(1, ge=1, le=3)
    counts: list[str] = Field(default_factory=lambda: ["reposts", "shares", "comments", "replies", "likes"],
                              min_length=1)


class RiskLevelBounds(Strict):
    """A risk type's level sensitivity beyond its weight (sentiment/levels.py)."""

    min: Level | None = None  # an alerting item of this type is at least this level
    # An item whose only risk types are capped is at most this level; "none":
    # no level at all (negative coverage in search and reports, never an alert).
    max: Level | Literal["none"] | None = None


class PlaybookEntry(Strict):
    """处置建议 for a risk type at a level (sentiment/assess.py)."""

    deadline: float = 24 * 3600.0  # respond within this long after the alert was raised
    steps: list[str] = Field(min_length=1)
    # 回应口径 draft: {unit}, {event} (unit, risk type, what happened), {site}, {date}, {risk}, {title} are filled in
    statement: str = ""

    _deadline = field_validator("deadline", mode="before")(lambda cls, v: parse_duration(v))
    _steps = field_validator("steps")(lambda cls, v: _non_empty_terms(v))


class FrameCueWords(Strict):
    """The words of a headline's frame cues (sentiment/frames.py): a resolution (妥善化解…纠纷), a
    refutation (辟谣, 不实) or a statement (情况说明) of a quoted allegation, a routine appointment (任命)."""
    resolution: list[str] = Field(default_factory=lambda: list(frames.RESOLUTION_CUES))
    refutation: list[str] = Field(default_factory=lambda: list(frames.REFUTATION_CUES))
    statement: list[str] = Field(default_factory=lambda: list(frames.STATEMENT_CUES))
    appointment: list[str] = Field(default_factory=lambda: list(frames.APPOINTMENT_CUES))
    event: list[str] = Field(default_factory=lambda: list(frames.EVENT_CUES))  # 开业, 揭牌: framed as an appointment

    _terms = field_validator("resolution", "refutation", "statement", "appointment", "event")(
        lambda cls, v: _non_empty_terms(v))

    def cues(self) -> frames.FrameCues:
        return frames.FrameCues(self.resolution, self.refutation, self.statement, self.appointment, self.event)


class ClauseCueWords(Strict):
    """Words that end a unit's clauses (sentiment/clauses.py ClauseCues): another insurer left
    unnamed (别家: its clause is not the unit's) and the verbs of switching to an insurer
    (换成了大地保险: the insurer switched to is not blamed for the one left)."""
    unnamed_org: list[str] = Field(default_factory=lambda: list(clauses.UNNAMED_ORG_WORDS))
    switch_verbs: list[str] = Field(default_factory=lambda: list(clauses.SWITCH_VERBS))

    @field_validator("unnamed_org", "switch_verbs")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        _non_empty_terms(words)
        for w in words:
            if _CLAUSE_BREAK.search(w):
                raise ValueError(f"{w!r}: a word may not hold punctuation or spaces (they end a clause)")
        return words

    def cues(self) -> clauses.ClauseCues:
        return clauses.ClauseCues(self.unnamed_org, self.switch_verbs)


_CLAUSE_BREAK = re.compile(r"[，,；;：:！!？?。\s|、]")


class SarcasmForm(Strict):
    """A form of sarcasm told without a complaint word (sentiment/irony.py): tried in a segment
    with one of ``needs``; ``pattern`` (a regular expression) is its cue, and ``then``, if given,
    must match after the cue."""
    needs: list[str] = Field(min_length=1)
    pattern: str = Field(min_length=1)
    then: str | None = None
    # the lexicon risk type of what it finds (服务纠纷: a complaint told as its cost); absent: 讽刺反语
    risk: str | None = None

    _needs = field_validator("needs")(lambda cls, v: _non_empty_terms(v))

    @field_validator("pattern", "then")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                found = re.compile(pattern)
            except re.error as e:
                raise ValueError(f"not a regular expression: {e}") from None
            if found.match(""):
                raise ValueError("matches the empty string (it would find sarcasm everywhere)")
        return pattern


def _default_sarcasm() -> dict[str, SarcasmForm]:
    return {name: SarcasmForm(needs=list(f.needs), pattern=f.pattern, then=f.then,
                              risk=f.risk if f.risk != irony.RISK else None)
            for name, f in irony.FORMS.items()}


class Rules(Strict):
    # risk type -> phrases; e.g. 理赔纠纷: [拒赔, 理赔难]
    negative_lexicon: dict[str, list[str]]
    # phrases that weaken a nearby negative phrase (辟谣, 不实…)
    negation_cues: list[str] = Field(default_factory=list)
    # Market context, not negative by itself (增持, 质押, 大盘, 板块; a share
    # sale or a fall is a lexicon risk type, 股东减持 / 市场波动, whose level
    # rule is in risk_levels) and hedges (拟, 或将, 传闻): features of the
    # fitted combination (sentiment/combine.py).
    routine_cues: list[str] = Field(default_factory=list)
    hedge_cues: list[str] = Field(default_factory=list)
    # Advice, how-to and service notices (提示, 如何, 指南, 办理流程): a feature
    # of the combination; a how-to title makes every segment of its text advice.
    advice_cues: list[str] = Field(default_factory=list)
    # What a headline frames its story as (sentiment/frames.py): these words of a
    # resolution, refutation, statement or appointment title; absent: the built-in ones.
    frame_cues: FrameCueWords = Field(default_factory=FrameCueWords)
    # What ends a unit's clauses: 别家, and the verbs of switching insurer; absent: the built-in ones.
    clause_cues: ClauseCueWords = Field(default_factory=ClauseCueWords)
    # Sarcasm told without a complaint word (sentiment/irony.py), name -> form, tried in
    # this order; absent: the built-in forms.
    sarcasm: dict[str, SarcasmForm] = Field(default_factory=_default_sarcasm)
    # Documents that are not Chinese (overseas media) are scored on English
    # phrases grouped by the same risk types: risk type -> phrases, e.g.
    # 监管处罚: [fined, penalt*] (a word ending in * matches any word it
    # begins). Absent: the built-in lists in sentiment/english_lexicon.py.
    negative_lexicon_en: dict[str, list[str]] | None = None
    negation_cues_en: list[str] | None = None  # refuted, resolved, awareness… (as negation_cues)
    negative_threshold: float = Field(0.6, ge=0, le=1)
    levels: list[LevelRule] = Field(min_length=1)
    # Weight of each lexicon risk type (default 1.0): weak signals such as
    # 投诉 count less than 拒赔 or 罚款.
    risk_weights: dict[str, float] = Field(default_factory=dict)
    risk_levels: dict[str, RiskLevelBounds] = Field(default_factory=dict)
    # Words that place a document in the association's region (吉林, 长春…):
    # a brand-only mention (中国人寿) is more relevant with one of them.
    region_words: list[str] = Field(default_factory=lambda: ["吉林"])
    min_relevance: float = Field(0.0, ge=0, le=1)  # below this, no level at all
    engagement_boost: EngagementBoost | None = None  # spreading items one level up
    spread: SpreadRules = Field(default_factory=SpreadRules)
    own_response: OwnResponse | None = None
    # risk type (or 默认) -> level (or default) -> 处置建议 (sentiment/assess.py)
    playbooks: dict[str, dict[Literal["red", "orange", "yellow", "blue", "default"], PlaybookEntry]] = \
        Field(default_factory=dict)
    # Channels whose documents alert by email; all channels by default.
    alert_channels: list[Literal["email"]] = Field(default_factory=lambda: list[Literal["email"]](["email"]))
    notify_duty_officers: bool = True  # default for routes that do not say `duty:`
    alerting: AlertingRules = Field(default_factory=AlertingRules)
    emergency: EmergencyRules = Field(default_factory=EmergencyRules)  # 应急响应 (pipeline/config/emergency.py)

    @field_validator("negative_lexicon")
    @classmethod
    def _groups_not_empty(cls, lex: dict[str, list[str]]) -> dict[str, list[str]]:
        for group, phrases in lex.items():
            if not phrases:
                raise ValueError(f"lexicon group {group!r} is empty")
            _non_empty_terms(phrases)
        # HEAD…TAIL phrases (figures between): well formed, no head that is a phrase too.
        plain = [p for phrases in lex.values() for p in phrases if GAP not in p]
        # (a|b) groups are expanded in counter cues, not here: a lexicon phrase with one would never match.
        if grouped := [p for p in plain if any(c in p for c in "()|")]:
            raise ValueError(f"{grouped[0]!r}: groups (a|b) belong to HEAD…TAIL phrases only; write each phrase out")
        gapped_heads(((p, group, 1.0) for group, phrases in lex.items() for p in phrases if GAP in p), plain)
        return lex

    @field_validator("sarcasm")
    @classmethod
    def _sarcasm_risks_known(cls, forms: dict[str, SarcasmForm], info) -> dict[str, SarcasmForm]:
        known = info.data.get("negative_lexicon") or {}
        for name, form in forms.items():
            if form.risk is not None and form.risk not in known:
                raise ValueError(f"sarcasm form {name!r}: risk {form.risk!r} is not a negative_lexicon risk type")
        return forms

    def sarcasm_forms(self) -> irony.Sarcasm:
        return irony.Sarcasm({name: irony.FormSpec(tuple(f.needs), f.pattern, f.then, f.risk or irony.RISK)
                              for name, f in self.sarcasm.items()})

    @field_validator("negative_lexicon_en")
    @classmethod
    def _english_groups_known(cls, lex: dict[str, list[str]] | None, info) -> dict[str, list[str]] | None:
        chinese = info.data.get("negative_lexicon") or {}
        for group, phrases in (lex or {}).items():
            if group not in chinese:
                raise ValueError(f"{group!r} is not a negative_lexicon group (English phrases use the same risk types)")
            if not phrases:
                raise ValueError(f"lexicon group {group!r} is empty")
            _english_phrases(phrases)
        return lex

    @field_validator("negation_cues_en")
    @classmethod
    def _english_cues(cls, cues: list[str] | None) -> list[str] | None:
        return None if cues is None else _english_phrases(cues)

    @field_validator("levels")
    @classmethod
    def _levels_sorted(cls, levels: list[LevelRule]) -> list[LevelRule]:
        return sorted(levels, key=lambda r: -r.min_negativity)

    @field_validator("risk_weights")
    @classmethod
    def _risk_weights_known(cls, weights: dict[str, float], info) -> dict[str, float]:
        lexicon = info.data.get("negative_lexicon") or {}
        for risk, weight in weights.items():
            if risk not in lexicon:
                raise ValueError(f"{risk!r} is not a negative_lexicon group")
            if weight < 0:
                raise ValueError(f"{risk!r}: weight must not be negative")
        return weights

    @field_validator("risk_levels")
    @classmethod
    def _risk_levels_known(cls, bounds: dict[str, RiskLevelBounds], info) -> dict[str, RiskLevelBounds]:
        lexicon = info.data.get("negative_lexicon") or {}
        for risk, b in bounds.items():
            if risk not in lexicon:
                raise ValueError(f"{risk!r} is not a negative_lexicon group")
            if b.min and b.max == "none":
                raise ValueError(f"{risk!r}: min {b.min.value} with max none")
            if b.min and isinstance(b.max, Level) and b.min.rank < b.max.rank:
                raise ValueError(f"{risk!r}: min {b.min.value} is more severe than max {b.max.value}")
        return bounds

    @field_validator("playbooks")
    @classmethod
    def _playbooks_known(cls, books: dict, info) -> dict:
        lexicon = info.data.get("negative_lexicon") or {}
        for risk in books:
            if risk not in lexicon and risk != "默认":
                raise ValueError(f"{risk!r} is not a negative_lexicon group (or 默认)")
        return books

    _regions = field_validator("region_words", "routine_cues", "hedge_cues", "advice_cues")(
        lambda cls, v: _non_empty_terms(v))


