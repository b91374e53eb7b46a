"""Routing: for a unit, a level and an escalation step, who is told on which
channel — resolved from members.yaml and rules.yaml.

* Route per level: the unit's ``routes`` override field by field the
  association's (rules.yaml ``alerting.routes``), which override built-in
  defaults (``pipeline.config``); ``duty`` defaults to ``notify_duty_officers``.
* Steps: 0 = the unit's primary contacts (+ the unit's group robots when the
  route has ``robot``, + the duty officers on duty and their group robot when
  the route has ``duty``); 1 = the unit's backup contacts; 2 = the duty
  officers on duty (``alerting.rota``). Escalation walks the steps.
* Channels: ``sms``/``email`` go to people, ``robot`` to group robots. A
  channel that is switched off here, or an address the contact lacks, is
  replaced by the contact's fallback (e.g. sms → email), so nobody silently
  drops out. Each target also carries its fallback for delivery failures.
* Holding: quiet hours (per contact, below the bypass level) and the
  morning digest (routes with ``digest``) give a not-before time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerting.reviews import UNIT_ROLES  # noqa: F401 (re-exported: the router, escalator and reopener use it)
from alerting.rota import DutyRoster
from contracts.messages import Level
from pipeline.config import Contact, LevelRoute, MembersFile, Rules, hhmm_minutes

PERSONAL = ("sms", "email")


@dataclass(frozen=True)
class Route:
    level: Level
    channels: tuple[str, ...]
    duty: bool
    digest: bool
    escalate_after: float  # seconds; 0 = never
    repeat_every: float
    forward: str = "auto"  # auto | review: the unit's messages wait for a duty officer (alerting.forwarding)
    review_timeout: float = 900.0  # seconds a review may take before the messages go out by themselves


@dataclass(frozen=True)
class Target:
    """One recipient on one concrete outbox channel (sms, email, dingtalk, wecom)."""

    channel: str
    address: str  # phone, email address or robot id
    who: str  # as audited and as the ack link's actor
    role: str  # unit-primary | unit-backup | duty-officer | unit-robot | duty-robot
    step: int
    contact: Contact | None = None
    mentions: tuple[tuple[str, str], ...] = ()  # (name, mobile) for robots
    fallback: tuple[str, str] | None = None  # (channel, address) if this one fails for good


class Routing:
    def __init__(self, members: MembersFile, rules: Rules, enabled: set[str], timezone: str = "Asia/Shanghai"):
        self.units = {u.id: u for u in members.units}
        self.robots = {r.id: r for r in members.robots}
        self.association = members.association
        self.roster = DutyRoster(members.association.duty_officers, members.association.duty_rota)
        self.rules = rules
        self.conf = rules.alerting
        self.enabled = set(enabled)
        self.tz = ZoneInfo(timezone)

    # ------------------------------------------------------------ routes

    def route(self, unit_id: str | None, level: Level) -> Route:
        base: LevelRoute = self.conf.routes[level]
        unit = self.units.get(unit_id) if unit_id else None
        if unit and level in unit.routes:
            base = base.model_copy(update=unit.routes[level].model_dump(exclude_none=True))
        return Route(level, tuple(base.channels or ("email",)),
                     self.rules.notify_duty_officers if base.duty is None else base.duty,
                     bool(base.digest), base.escalate_after or 0.0, base.repeat_every or 0.0,
                     base.forward or "auto", base.review_timeout or 900.0)

    # ------------------------------------------------------------ targets

    def targets(self, unit_id: str, level: Level, step: int, at: datetime) -> list[Target]:
        route, unit = self.route(unit_id, level), self.units[unit_id]
        wanted = [c for c in route.channels if c in PERSONAL] or (list(PERSONAL) if step else [])
        out: list[Target] = []
        if step == 0:
            primaries = [c for c in unit.contacts if c.role == "primary"]
            out += self._people(primaries, "unit-primary", wanted, 0)
            if "robot" in route.channels:
                out += self._robots(unit.robots, "unit-robot", primaries, 0)
            if route.duty:
                officers = self.roster.on_duty(at)
                out += self._people(officers, "duty-officer", wanted, 0)
                if "robot" in route.channels:
                    out += self._robots(self.association.robots, "duty-robot", officers, 0)
        elif step == 1:
            out += self._people([c for c in unit.contacts if c.role == "backup"], "unit-backup", wanted, 1)
        elif step == 2:
            officers = self.roster.on_duty(at)
            out += self._people(officers, "duty-officer", wanted, 2)
            out += self._robots(self.association.robots, "duty-robot", officers, 2)
        return _unique(out)

    def duty_targets(self, at: datetime, channels: list[str], step: int = 0) -> list[Target]:
        """The duty officers on duty (and their group robot) — for ops alerts and notices."""
        officers = self.roster.on_duty(at)
        out = self._people(officers, "duty-officer", [c for c in channels if c in PERSONAL], step)
        if "robot" in channels:
            out += self._robots(self.association.robots, "duty-robot", officers, step)
        return _unique(out)

    def _fallbacks(self, channel: str) -> list[str]:
        """Channels to try for a person when ``channel`` cannot reach them (rules.yaml fallback)."""
        return [str(f) for ch, fs in self.conf.fallback.items() if ch == channel for f in fs]

    def _people(self, contacts, role: str, channels: list[str], step: int) -> list[Target]:
        out = []
        for c in contacts:
            chosen: list[str] = []
            for ch in channels:
                usable = ch if self._reachable(c, ch) else next(
                    (f for f in self._fallbacks(ch) if self._reachable(c, f)), None)
                if usable and usable not in chosen:
                    chosen.append(usable)
            for ch in chosen:
                fb = next((f for f in self._fallbacks(ch) if f not in chosen and self._reachable(c, f)), None)
                fb_address = _address(c, fb) if fb else None
                out.append(Target(ch, _address(c, ch) or "", c.label, role, step, c,
                                  fallback=(fb, fb_address) if fb and fb_address else None))
        return out

    def _robots(self, robot_ids, role: str, people, step: int) -> list[Target]:
        mentions = tuple((p.name, p.phone) for p in people if p.phone)
        return [Target(self.robots[r].kind, r, self.robots[r].recipient, role, step,
                       mentions=mentions)
                for r in robot_ids if self.robots[r].kind in self.enabled]

    def _reachable(self, contact: Contact, channel: str) -> bool:
        return channel in self.enabled and bool(_address(contact, channel))

    # ------------------------------------------------------------ holding

    def not_before(self, target: Target, level: Level, at: datetime, digest: bool) -> tuple[datetime | None, str]:
        """(when this may be sent, why held) — (None, "") to send now."""
        if digest:
            return self._next_local(at, self.conf.digest_at), "DIGEST"
        qh = target.contact.quiet_hours if target.contact else None
        if qh and target.channel in qh.channels and level.rank > qh.bypass.rank:
            start, end = hhmm_minutes(qh.start), hhmm_minutes(qh.end)
            loc = at.astimezone(self.tz)
            minute = loc.hour * 60 + loc.minute
            inside = start <= minute < end if start < end else (minute >= start or minute < end)
            if inside:
                return self._next_local(at, qh.end), "QUIET_HOURS"
        return None, ""

    def _next_local(self, at: datetime, hhmm: str) -> datetime:
        m = hhmm_minutes(hhmm)
        loc = at.astimezone(self.tz)
        candidate = loc.replace(hour=m // 60, minute=m % 60, second=0, microsecond=0)
        if candidate <= loc:
            candidate = (loc + timedelta(days=1)).replace(hour=m // 60, minute=m % 60, second=0, microsecond=0)
        return candidate.astimezone(at.tzinfo)


def _address(contact: Contact, channel: str | None) -> str | None:
    return {"sms": contact.phone, "email": contact.email}.get(channel or "")


def _unique(targets: list[Target]) -> list[Target]:
    seen, out = set(), []
    for t in targets:
        if (t.channel, t.address) not in seen:
            seen.add((t.channel, t.address))
            out.append(t)
    return out
