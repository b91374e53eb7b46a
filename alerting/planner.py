"""Planner: turns (alert, steps, round, why) into rendered outbox rows.

Shared by the router (first and re-notifications), the escalator (steps and
repeats), the notifier (fallbacks, failure notices) and the ops router.

Ids follow DESIGN.md: notification id = hash(alert, recipient address,
channel, escalation step) + round, so a replay queues nothing new and a
re-notification (a new round) is a new message. Each row carries its own
fallback rendered in advance (the notifier has no document at hand when a
delivery fails), a one-line summary for bundles, and the recipient's own
signed ack link.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from alerting import templates as t
from alerting.acklinks import ShortLink
from alerting.routing import Route, Routing, Target
from alerting.store import AlertStore, Notification
from alerting.templates_bundle import failure_notice, ops_message
from contracts.language import has_han
from contracts.messages import Alert, OpsAlert, notification_id, stable_id
from pipeline.config.members import MemberUnit
from pipeline.config.sms import PARAM_MAX, SmsForm, default_templates

AckUrl = Callable[[str, str], str]  # (alert id, recipient label) -> URL
ShortLinks = Callable[[str, str], ShortLink]  # (alert id, recipient label) -> the SMS's short id


def mask(address: str) -> str:
    """13900000021 → 139****0021; long addresses keep their ends (for notices and logs)."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    return address[:3] + "****" + address[-4:] if len(address) >= 8 else address


def sms_names(unit: MemberUnit) -> list[str]:
    """The names of a unit an SMS may drop from the front of a title it quotes (the SMS names the unit first):
    its legal and short names, its aliases naming a company (中国人寿吉林省分公司), and each Chinese brand among its
    aliases with the unit's own branch (太平洋保险 + 吉林分公司, the place read off its legal name …公司吉林省分公司) —
    never a brand alone (中国人寿却以…) nor another province's branch."""
    companies = [a for a in unit.aliases if a.endswith("公司")]
    brands = [a for a in unit.aliases if has_han(a) and a not in companies]
    place = re.search(r"公司(\w{2,4}?)分公司$", unit.name)
    places = {place[1], place[1].removesuffix("省")} if place else set()
    return list(dict.fromkeys([unit.name, unit.short, *companies,
                               *(f"{b}{p}分公司" for b in brands for p in sorted(places))]))


class Planner:
    def __init__(self, routing: Routing, store: AlertStore, ack_url: AckUrl, console_url: str,
                 short_links: ShortLinks, sms_form: SmsForm | None = None) -> None:
        self.routing = routing
        self.store = store
        self.ack_url = ack_url
        self.short_links = short_links  # an SMS carries only the short id: the address is in the approved text
        self.console_url = console_url.rstrip("/")
        self.sms_form = sms_form or SmsForm(default_templates(self.console_url), PARAM_MAX["aliyun"])

    def sms_link(self, alert_id: str, who: str) -> tuple[str, dict]:
        """(the SMS's short ack id, what the outbox row keeps as ``sms.short`` so that ``AlertStore.enqueue``
        stores it with the row)."""
        link = self.short_links(alert_id, who)
        return link.code, {"code": link.code, "who": who, "expires": link.expires.isoformat()}

    # ------------------------------------------------------------ alerts

    def for_alert(self, alert: Alert, brief: dict, steps: Iterable[int], round_: int, kind: str, reason: str,
                  now: datetime, route: Route | None = None) -> list[Notification]:
        """Rendered rows for every target of ``steps`` (``route``: the alert's, if the caller has it)."""
        route = route or self.routing.route(alert.unit_id, alert.level)
        seen, notes = set(), []
        for step in steps:
            for target in self.routing.targets(alert.unit_id, alert.level, step, now):
                if (target.channel, target.address) in seen:
                    continue
                seen.add((target.channel, target.address))
                notes.append(self._note(alert, brief, target, round_, kind, reason, now,
                                        digest=route.digest and kind != "escalation"))
        return notes

    def for_review(self, alert: Alert, brief: dict, reason: str, now: datetime, route: Route,
                   round_: int = 0) -> list[Notification]:
        """``forward: review``: the duty officers on duty (and their group robot) are told at once that the
        alert waits for their review, on the route's channels, whether or not the route has ``duty``
        (``round_``: a later review of the same alert — raised to a reviewed level, reopened — is a new message)."""
        return [self._note(alert, brief, target, round_, "review", reason, now, digest=False)
                for target in self.routing.duty_targets(now, list(route.channels))]

    def _note(self, alert: Alert, brief: dict, target: Target, round_: int, kind: str, reason: str,
              now: datetime, digest: bool) -> Notification:
        payload = self._payload(alert, brief, target, kind, reason)
        if target.fallback:
            fb_channel, fb_address = target.fallback
            fb = Target(fb_channel, fb_address, target.who, target.role, target.step, target.contact)
            payload["fallback"] = {"channel": fb_channel, "recipient": fb_address,
                                   "payload": self._payload(alert, brief, fb, kind, reason)}
        not_before, held = self.routing.not_before(target, alert.level, now, digest)
        if held:
            payload["held"] = held
        nid = notification_id(alert.id, target.address, target.channel, target.step) + f"-r{round_}"
        return Notification(id=nid, alert_id=alert.id, channel=target.channel, recipient=target.address,
                            step=target.step, payload=payload, who=target.who, round=round_, kind=kind,
                            not_before=not_before)

    def _payload(self, alert: Alert, brief: dict, target: Target, kind: str, reason: str) -> dict:
        ack = self.ack_url(alert.id, target.who)
        tkind = "alert" if kind in ("alert", "fallback") else kind
        payload: dict[str, object] = {"kind": kind, "level": alert.level.value, "unit_id": alert.unit_id, "unit_name": alert.unit_name,
                   "who": target.who, "role": target.role, "ack_url": ack, "reason": reason,
                   "summary": t.summary_line(alert, reason)}
        if target.channel == "email":
            name = target.contact.name if target.contact else target.who
            payload["recipient_name"] = name
            payload["email"] = {"subject": t.email_subject(alert, tkind, reason),
                                "body": t.email_body(alert, brief, name, ack, tkind, reason, target.role)}
        elif target.channel == "sms":
            unit = self.routing.units.get(alert.unit_id)
            code, short = self.sms_link(alert.id, target.who)
            params = t.sms_params(alert, code, tkind, self.sms_form, unit=unit.short if unit else None,
                                  risk=t.sms_risk(brief), names=sms_names(unit) if unit else ())
            payload["sms"] = {**t.sms_message(params, self.sms_form), "short": short}  # enqueue keeps the id
        else:
            payload["robot"] = t.robot_message(alert, brief, ack, tkind, reason, list(target.mentions))
        return payload

    def queue(self, db, notes: list[Notification], now: datetime) -> list[str]:
        """Enqueue in the caller's transaction (held rows are audited by the store)."""
        return self.store.enqueue(db, notes, now)

    # ------------------------------------------------------------ delivery problems

    def fallback_for(self, note: Notification) -> Notification | None:
        fb = note.payload.get("fallback")
        if not fb:
            return None
        return Notification(id=f"{note.id}-fb", alert_id=note.alert_id, channel=fb["channel"],
                            recipient=fb["recipient"], step=note.step, payload=fb["payload"], who=note.who,
                            round=note.round, kind="fallback" if note.kind != "escalation" else "escalation")

    def failure_notices(self, note: Notification, error: str, unit_name: str, now: datetime) -> list[Notification]:
        """An email to each duty officer on duty: someone could not be reached."""
        row = {"who": note.who, "channel": note.channel, "recipient_masked": mask(note.recipient),
               "level": note.payload.get("level"), "summary": note.payload.get("summary", "")}
        out = []
        for target in self.routing.duty_targets(now, ["email"]):
            ack = self.ack_url(note.alert_id, target.who)
            payload = failure_notice(row, error, unit_name, ack, target.contact.name if target.contact else "")
            out.append(Notification(id=f"{note.id}-notice-{stable_id(target.address, length=8)}",
                                    alert_id=note.alert_id, channel="email", recipient=target.address, step=2,
                                    payload=payload, who=target.who, round=note.round, kind="notice"))
        return out

    # ------------------------------------------------------------ ops alerts

    def for_ops(self, ops: OpsAlert, opened: int, channels: list[str], now: datetime) -> list[Notification]:
        phase = "resolved" if ops.resolved else "open"
        out = []
        for target in self.routing.duty_targets(now, channels):
            rendered = ops_message(ops, f"{self.console_url}/ops", target.contact.name if target.contact else "",
                                   self.sms_form)
            payload = {"kind": "ops", "who": target.who, **{k: v for k, v in rendered.items()
                                                              if k in ("summary", "ack_url", "level")}}
            key = {"email": "email", "sms": "sms"}.get(target.channel, "robot")
            payload[key] = rendered[key]
            nid = stable_id("ops", ops.id, target.address, target.channel, phase, str(opened))
            out.append(Notification(id=nid, alert_id=f"ops:{ops.id}", channel=target.channel,
                                    recipient=target.address, step=0, payload=payload, who=target.who,
                                    round=opened, kind="ops"))
        return out
