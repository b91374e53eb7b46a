"""``members.yaml``: member units, aliases, schemes, contacts, robots, duty officers and the rota."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from contracts.messages import Level
from pipeline.config.base import (
    _ID,
    Strict,
    _hhmm,
    _no_duplicates,
    _non_empty_terms,
    hhmm_minutes,
)
from pipeline.config.rules import LevelRoute


class QuietHours(Strict):
    """Hold messages to this contact between ``start`` and ``end`` (local
    time, may wrap midnight) unless the level is ``bypass`` or more severe;
    held messages go out when quiet hours end."""

    start: str
    end: str
    bypass: Level = Level.red
    channels: list[Literal["sms", "email"]] = Field(default_factory=lambda: list[Literal["sms", "email"]](["sms", "email"]))

    _times = field_validator("start", "end")(lambda cls, v: _hhmm(v))


GROUP_SUFFIX = "（群机器人）"  # a group robot recipient's name ends with it


class RobotConfig(Strict):
    """A WeCom or DingTalk group robot. The webhook credential (DingTalk
    access_token, WeCom key) and DingTalk's signing secret are read from the
    environment variables named here, never from YAML."""

    id: str = Field(pattern=_ID)
    kind: Literal["dingtalk", "wecom"]
    name: str = ""
    token_env: str
    secret_env: str | None = None  # DingTalk 加签 secret (SEC…)
    per_minute: int = Field(20, ge=1)  # both providers allow 20 messages a minute per robot

    @property
    def recipient(self) -> str:
        """How alerts name this group as a recipient (outbox, audit, the ack link's claim)."""
        return f"{self.name or self.id}{GROUP_SUFFIX}"

    @model_validator(mode="after")
    def _wecom_has_no_secret(self) -> RobotConfig:
        if self.kind == "wecom" and self.secret_env:
            raise ValueError("secret_env is for DingTalk robots; a WeCom robot has only its key (token_env)")
        return self


class Shift(Strict):
    """A daily shift; ``rotation`` lists who is on duty, one entry per turn,
    taking turns every ``every_days`` days from the rota's anchor date."""

    name: str
    start: str
    end: str  # equal to start: a 24-hour shift; earlier: wraps midnight
    rotation: list[list[str]] = Field(min_length=1)
    every_days: int = Field(1, ge=1)

    _times = field_validator("start", "end")(lambda cls, v: _hhmm(v))


class RotaOverride(Strict):
    """Who is on duty instead, from ``start`` to ``end`` (local time): holidays, swaps."""

    start: datetime
    end: datetime
    officers: list[str] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> RotaOverride:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DutyRota(Strict):
    timezone: str = "Asia/Shanghai"
    anchor: date  # turn 0 of every shift's rotation starts on this day
    shifts: list[Shift] = Field(min_length=1)
    overrides: list[RotaOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _whole_day_covered(self) -> DutyRota:
        covered = [False] * 1440
        for s in self.shifts:
            a, b = hhmm_minutes(s.start), hhmm_minutes(s.end)
            span = (b - a) % 1440 or 1440
            for i in range(span):
                covered[(a + i) % 1440] = True
        if not all(covered):
            # Name the gap from where it starts (the minute after a covered one).
            gap = next((i for i in range(1440) if not covered[i] and covered[i - 1]), 0)
            raise ValueError(f"shifts leave {gap // 60:02d}:{gap % 60:02d} uncovered: nobody would be on duty")
        return self


# ---------------------------------------------------------------- members

_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Contact(Strict):
    name: str
    role: Literal["primary", "backup"] = "primary"
    phone: str | None = None
    email: str | None = None
    # Group robots are declared once under `robots:` and referenced by units.
    quiet_hours: QuietHours | None = None

    @field_validator("phone")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        if v is not None and not _MOBILE.match(v.replace(" ", "").replace("-", "")):
            raise ValueError("not a mobile number")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.match(v):
            raise ValueError("not an email address")
        return v

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.phone or self.email):
            raise ValueError("a contact needs a phone or an email")
        return self

    @property
    def label(self) -> str:
        """Who this is, as audited (the ack link's actor): name and address."""
        return f"{self.name} <{self.phone or self.email}>"


class MonitoringScheme(Strict):
    """A monitoring scheme (监测方案): every group must match (AND), any word
    of a group matches it (OR), no ``exclude`` word may occur (NOT). ``@unit``
    in a group stands for the unit's names and aliases. See sentiment/schemes.py."""

    id: str = Field(pattern=_ID)
    name: str = ""
    groups: dict[str, list[str]] = Field(min_length=1)  # e.g. subject / region / event
    exclude: list[str] = Field(default_factory=list)
    scope: Literal["document", "sentence"] = "document"
    subject_group: str = "subject"  # its words count as mentions of the unit

    @field_validator("groups")
    @classmethod
    def _groups_not_empty(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in groups.items():
            if not words:
                raise ValueError(f"group {name!r} is empty (an empty group would match everything)")
            _non_empty_terms(words)
        return groups

    _exclude = field_validator("exclude")(lambda cls, v: _non_empty_terms(v))


class MemberUnit(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=2)
    # What people say and what fits a phone screen and one SMS (人保财险); the legal name shows on hover.
    short_name: str | None = Field(None, min_length=2, max_length=8)
    aliases: list[str] = Field(default_factory=list)
    # Phrases containing an alias that do NOT refer to the unit (平安夜, 平安回家…).
    exclusions: list[str] = Field(default_factory=list)
    # Aliases (listed in `aliases`) that are everyday words or other
    # organisations' names (平安, 阳光, 大地): they count only with a context
    # word (members.yaml `alias_context_words`) nearby (sentiment/matching.py).
    needs_context: list[str] = Field(default_factory=list)
    # The member's insurance group (平安): units of one group are told apart by
    # `group_aliases`, the aliases naming the whole group (中国平安, listed in
    # `aliases`): an occurrence of one counts for this unit only when the text
    # names no other unit of the group (中国平安发布年报，平安人寿… is 平安人寿's).
    group: str | None = Field(None, min_length=1)
    group_aliases: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(min_length=1)
    robots: list[str] = Field(default_factory=list)  # ids from `robots:`: the unit's group robots
    routes: dict[Level, LevelRoute] = Field(default_factory=dict)  # overrides of the association's
    # Monitoring schemes; when present they, not the bare aliases, decide
    # which documents are about the unit (sentiment/schemes.py).
    schemes: list[MonitoringScheme] = Field(default_factory=list)

    _terms = field_validator("aliases", "exclusions")(lambda cls, v: _non_empty_terms(v))

    @property
    def short(self) -> str:
        """The short name, else the legal name."""
        return self.short_name or self.name

    @model_validator(mode="after")
    def _guarded_aliases_listed(self) -> MemberUnit:
        if self.short_name is not None and (not self.short_name.strip() or len(self.short_name) >= len(self.name)):
            raise ValueError(f"short_name: {self.short_name!r} must be shorter than the name {self.name!r}")
        for alias in self.needs_context:
            if alias not in self.aliases:
                raise ValueError(f"needs_context: {alias!r} is not one of the unit's aliases")
        for alias in self.group_aliases:
            if alias not in self.aliases:
                raise ValueError(f"group_aliases: {alias!r} is not one of the unit's aliases")
        if self.group_aliases and self.group is None:
            raise ValueError("group_aliases: the unit has no group (set `group`, e.g. group: 平安)")
        return self

    @field_validator("schemes")
    @classmethod
    def _unique_schemes(cls, schemes: list[MonitoringScheme]) -> list[MonitoringScheme]:
        _no_duplicates([s.id for s in schemes], "schemes", "id")
        return schemes

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class DutyOfficer(Contact):
    id: str | None = Field(None, pattern=_ID)  # how the rota names this officer (default: name)

    @property
    def key(self) -> str:
        return self.id or self.name


class Association(Strict):
    name: str
    duty_officers: list[DutyOfficer] = Field(default_factory=list)
    duty_rota: DutyRota | None = None  # none: every duty officer, all the time
    robots: list[str] = Field(default_factory=list)  # the duty group's robots
    # The association's leaders (协会领导): they receive the 续报 of every open 事件 (rules.yaml emergency).
    leaders: list[Contact] = Field(default_factory=list)


class MembersFile(Strict):
    association: Association
    units: list[MemberUnit] = Field(min_length=1)
    robots: list[RobotConfig] = Field(default_factory=list)
    # Words that make an alias marked needs_context count (保险, 理赔…);
    # absent: sentiment/matching.py DEFAULT_CONTEXT_WORDS.
    alias_context_words: list[str] | None = None

    _context_words = field_validator("alias_context_words")(
        lambda cls, v: v if v is None else _non_empty_terms(v))

    @model_validator(mode="after")
    def _unique(self) -> MembersFile:
        _no_duplicates([u.id for u in self.units], "units", "id")
        _no_duplicates([r.id for r in self.robots], "robots", "id")
        _no_duplicates([o.key for o in self.association.duty_officers], "association.duty_officers", "id")
        return self

    @model_validator(mode="after")
    def _references(self) -> MembersFile:
        robots = {r.id for r in self.robots}
        for where, ids in [("association.robots", self.association.robots),
                           *((f"units[{i}].robots", u.robots) for i, u in enumerate(self.units))]:
            for rid in ids:
                if rid not in robots:
                    raise ValueError(f"{where}: unknown robot {rid!r} (declare it under robots:)")
        rota = self.association.duty_rota
        if rota:
            officers = {o.key for o in self.association.duty_officers}
            names = [(f"association.duty_rota.shifts[{i}].rotation", n) for i, s in enumerate(rota.shifts)
                     for turn in s.rotation for n in turn]
            names += [(f"association.duty_rota.overrides[{i}].officers", n)
                      for i, o in enumerate(rota.overrides) for n in o.officers]
            for where, name in names:
                if name not in officers:
                    raise ValueError(f"{where}: {name!r} is not one of association.duty_officers")
        return self


