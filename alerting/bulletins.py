"""Who gets an 事件's 续报 on which channel, and when (``EmergencyDesk.bulletin`` renders and queues).

The 续报 follows the channel plan and quiet hours of the alert's first messages at its level:

* channels — the person channels (``sms``, ``email``) of the level's route (``alerting.routes``,
  a unit's ``routes`` override) that are enabled here, narrowed by rules.yaml
  ``emergency.bulletin_channels`` when given; a person without an address for any of them gets
  e-mail if they have one;
* quiet hours — a unit contact's (or leader's) ``quiet_hours`` hold the message until they end,
  exactly as ``Routing.not_before`` holds a first alert below the bypass level;
* SMS rate — at most one SMS 续报 per contact per alert within ``emergency.bulletin_sms_gap``
  (default 1h): a 续报 asked for again soon after (立即发送续报) goes by e-mail only;
* review — while the alert waits for a duty officer's review (``forward: review``, not yet
  forwarded) the unit's people get no 续报: the unit is told of the alert by the forwarding; nor
  when the review ended without forwarding (误报, or 处置完毕 by the association).

``plan`` is a pure function of the recipients, the route, the review state and the SMS 续报
already queued: it returns the sends and the skipped ones with a named reason (audited).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.routing import PERSONAL, Route, Routing, Target
from contracts.messages import Level
from pipeline.config import Contact


@dataclass(frozen=True)
class Recipient:
    name: str
    role: str  # unit-contact | leader | responsible
    email: str = ""
    phone: str = ""
    contact: Contact | None = None  # quiet hours, when the person is a configured contact
    unit: bool = False  # one of the unit's people (held back while the alert waits for review)


@dataclass(frozen=True)
class Send:
    recipient: Recipient
    channel: str  # sms | email
    address: str
    not_before: datetime | None
    held: str  # why held ("QUIET_HOURS") or ""


def channels_for(route: Route, only: Sequence[str] | None) -> list[str]:
    wanted = [c for c in route.channels if c in PERSONAL] or ["email"]
    return [c for c in wanted if only is None or c in only] or ["email"]


def plan(recipients: list[Recipient], route: Route, routing: Routing, level: Level, now: datetime, *,
         only: Sequence[str] | None, in_review: bool, sms_sent: dict[str, datetime], sms_gap: float
         ) -> tuple[list[Send], list[tuple[str, str]]]:
    """(the sends, [(who, reason)] not sent). ``sms_sent``: phone → when the last SMS 续报 of this alert
    was queued for it."""
    sends: list[Send] = []
    skipped: list[tuple[str, str]] = []
    channels = [c for c in channels_for(route, only) if c in routing.enabled] or ["email"]
    for r in recipients:
        who = f"{r.name} <{r.email or r.phone}>"
        if in_review and r.unit:
            skipped.append((who, "REVIEW"))
            continue
        mine = [(c, r.phone if c == "sms" else r.email) for c in channels if (r.phone if c == "sms" else r.email)]
        if not mine and r.email:
            mine = [("email", r.email)]
        for channel, address in mine:
            last = sms_sent.get(address) if channel == "sms" else None
            if last is not None and now - last < timedelta(seconds=sms_gap):
                skipped.append((who, "SMS_RATE"))
                continue
            target = Target(channel, address, who, r.role, 0, r.contact)
            not_before, held = routing.not_before(target, level, now, digest=False)
            sends.append(Send(r, channel, address, not_before, held))
        if not mine:
            skipped.append((who, "NO_ADDRESS"))
    return sends, skipped
