"""应急响应: an alert raised to an 事件 (issue 14 item 5).

* open — a duty officer raises an alert (``open``), or a rules.yaml
  ``emergency.auto`` rule does as the router records a document
  (``auto_raise``, in the router's transaction). One 事件 per alert: opening
  it again returns the one there is. It gets responsible people (the unit's
  contacts, the officer who opened it), a checklist from the playbook for its
  risk type × level (sentiment/emergency.py) and a durable ``bulletin`` timer;
* while open — checklist ticks (who, when), notes, people added or removed,
  each audited on the alert (``emergency.*``): the alert's audit trail is the
  事件 timeline (documents joining, notifications, acks, ticks, notes, 续报);
* 续报 — when the ``bulletin`` timer is due the escalator calls ``bulletin``
  in its transaction (the timer is read under the alert's lock and fires
  once): one message per recipient and channel (the unit's contacts, the
  association's leaders, responsible people) into the durable outbox, on the
  channels and under the quiet hours of the alert's level, SMS rate-limited,
  none to the unit while the alert waits for review (``alerting.bulletins``),
  with the spread figures, what is new since the previous 续报 and the
  checklist progress; then the next timer ``emergency.bulletin_every`` later;
* close — the timer is cancelled (no 续报 after closing), the 复盘 notes
  (summary, lessons) are kept for the report the console writes.

Every change runs in one transaction under the alert's lock, so two consoles
(or a console and the escalator) never lose each other's ticks.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerting.assessment import playbooks_of
from alerting.bulletins import Recipient, Send
from alerting.bulletins import plan as plan_bulletins
from alerting.planner import Planner
from alerting.store import AlertStore, Notification
from alerting.store_state import AlertState, Timer
from alerting.templates import sms_message, sms_params
from contracts.clock import Clock
from contracts.messages import CHANNEL_LABELS, Alert, stable_id
from pipeline.config import MembersFile, Rules
from pipeline.sqlite import ts as _ts
from sentiment import emergency as em_text
from sentiment.assess import main_risk, playbook_for

log = logging.getLogger(__name__)
TIMER = "bulletin"
STRONG = ("mainstream", "central_media", "regulator")  # carriers that count as mainstream pickup


class EmergencyError(ValueError):
    """A change the 事件's state refuses (closed, unknown item…); the message is for the user (Chinese)."""


def emergency_id(alert_id: str) -> str:
    return "E" + stable_id("emergency", alert_id, length=15)


class EmergencyDesk:
    def __init__(self, store: AlertStore, members: MembersFile, rules: Rules, clock: Clock, console_url: str,
                 timezone: str = "Asia/Shanghai", planner: Planner | None = None) -> None:
        self.store = store
        self.planner = planner  # the levels' channel plans and quiet hours, SMS links (None: e-mail only)
        self.units = {u.id: u for u in members.units}
        self.leaders = list(members.association.leaders)
        self.rules = rules
        self.conf = rules.emergency
        self.clock = clock
        self.console_url = console_url.rstrip("/")
        self.tz = ZoneInfo(timezone)

    # ------------------------------------------------------------ reads

    def get(self, emergency_id_: str) -> dict | None:
        return self.store.get_emergency(emergency_id_)

    def of_alert(self, alert_id: str) -> dict | None:
        return self.store.emergency_of(alert_id)

    def find(self, status: str | None = None, unit_id: str | None = None, limit: int = 200) -> list[dict]:
        return self.store.list_emergencies(status, unit_id, limit)

    def timeline(self, em: dict) -> list[dict]:
        """Everything that happened to the 事件's alert, oldest first: {at, event, text, doc_id?}."""
        out = []
        for row in self.store.audit_after(None, em["alert_id"], 0):
            text = em_text.timeline_line(row["event"], row)
            if text:
                out.append({"at": row["at"], "event": row["event"], "text": text, "doc_id": row.get("doc_id"),
                            "actor": row.get("actor")})
        return out

    def bulletins(self, em: dict) -> list[dict]:
        """The 续报 sent, with each message's delivery state (outbox rows of kind ``bulletin``)."""
        rows = [r for r in self.store.outbox(em["alert_id"]) if r["kind"] == "bulletin"]
        out = []
        for b in em.get("bulletins", []):
            mine = [r for r in rows if r["round"] == b["number"]]
            out.append({**b, "messages": [{"who": r["who"], "channel": r["channel"], "state": r["state"]}
                                          for r in mine]})
        return out

    # ------------------------------------------------------------ open

    def open(self, alert_id: str, *, actor: str, via: str, reason: str = "") -> dict:
        """Raise the alert to an 事件 (idempotent). KeyError: no such alert."""
        now = self.clock.now()
        with self.store.transaction() as db:
            alert = self.store.get(alert_id, db)
            if alert is None:
                raise KeyError(alert_id)
            existing = self.store.emergency_of(alert_id, db)
            if existing is not None:
                return existing
            state = self.store.get_state(db, alert_id)
            return self._open(db, alert, state, now, actor=actor, via=via, trigger="人工启动", reason=reason)

    def auto_raise(self, db, alert: Alert, state: AlertState, now: datetime, *, mainstream: bool = False) -> dict | None:
        """In the router's transaction: open the 事件 when an ``emergency.auto`` rule holds
        (``mainstream``: the document just routed comes from a rules.yaml ``alerting.mainstream`` outlet)."""
        if not self.conf.auto or self.store.emergency_of(alert.id, db) is not None:
            return None
        for rule in self.conf.auto:
            if alert.level.rank > rule.min_level.rank or alert.doc_count < rule.min_documents:
                continue
            if rule.mainstream and not (mainstream or state.mainstream or state.authority in STRONG):
                continue
            if rule.authority and state.authority not in rule.authority:
                continue
            return self._open(db, alert, state, now, actor="system", via="rule", trigger=rule.name,
                              reason=rule.name)
        return None

    def _open(self, db, alert: Alert, state: AlertState, now: datetime, *, actor: str, via: str, trigger: str,
              reason: str) -> dict:
        risk = main_risk(state.risks)
        book = playbook_for(playbooks_of(self.rules), risk, alert.level.value)
        unit = self.units.get(alert.unit_id)
        people = [{"name": c.name, "role": "单位联系人" if c.role == "primary" else "单位备用联系人",
                   "phone": c.phone or "", "email": c.email or ""} for c in (unit.contacts if unit else [])]
        if actor != "system":
            people.append({"name": em_text.person_name(actor), "role": "值班员（启动人）", "phone": "", "email": ""})
        em: dict = {"id": emergency_id(alert.id), "alert_id": alert.id, "unit_id": alert.unit_id,
              "unit_name": alert.unit_name, "unit_short": unit.short if unit else alert.unit_name,
              "title": alert.representative.title, "level": alert.level.value, "risk_type": risk,
              "status": "open", "opened_at": _ts(now), "opened_by": actor, "trigger": trigger, "reason": reason,
              "people": people, "checklist": em_text.checklist(book.steps if book else (), self.conf.closing_steps),
              "deadline_hours": book.deadline_hours if book else None, "bulletins": [],
              "opened": self._mark(db, alert), "last": self._mark(db, alert),
              "closed_at": None, "closed_by": None, "summary": "", "lessons": ""}
        self.store.put_emergency(db, em, now)
        self.store.audit(db, alert.id, alert.unit_id, "emergency.opened", now, emergency_id=em["id"], actor=actor,
                         via=via, trigger=trigger, reason=reason or None, risk_type=risk,
                         checklist=len(em["checklist"]))
        due = now + timedelta(seconds=self.conf.bulletin_every)
        self.store.schedule(db, alert.id, TIMER, due, now, reason="emergency")
        log.info("alert %s raised to 事件 %s by %s (%s)", alert.id, em["id"], actor, trigger)
        return em

    def _mark(self, db, alert: Alert) -> dict:
        """Where the 事件 stands now, to tell later what is new: documents, sites, channels, last audit row."""
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit WHERE alert_id=?", (alert.id,)).fetchone()[0]
        return {"doc_count": alert.doc_count, "sites": list(alert.sites),
                "channels": [c.value for c in alert.channels], "seq": seq}

    # ------------------------------------------------------------ changes while open

    def _change(self, emergency_id_: str, change: Callable[[dict, Alert, datetime, object], None]) -> dict:
        now = self.clock.now()
        with self.store.transaction() as db:
            em = self.store.get_emergency(emergency_id_, db)
            if em is None:
                raise KeyError(emergency_id_)
            alert = self.store.get(em["alert_id"], db)  # the alert's lock, then a fresh read
            em = self.store.get_emergency(emergency_id_, db) or em
            if alert is None:
                raise KeyError(em["alert_id"])
            if em["status"] != "open":
                raise EmergencyError("事件已关闭，不能再修改")
            change(em, alert, now, db)
            self.store.put_emergency(db, em, now)
        return em

    def tick(self, emergency_id_: str, item_id: str, done: bool, *, actor: str, via: str) -> dict:
        def change(em: dict, alert: Alert, now: datetime, db) -> None:
            item = next((i for i in em["checklist"] if i["id"] == item_id), None)
            if item is None:
                raise EmergencyError(f"没有这一项：{item_id}")
            if bool(item["done"]) == done:
                return  # a double click changes nothing
            item.update(done=done, by=em_text.person_name(actor) if done else None, at=_ts(now) if done else None)
            self.store.audit(db, alert.id, alert.unit_id, "emergency.checklist", now, emergency_id=em["id"],
                             actor=actor, via=via, item_id=item_id, item=item["text"], done=done)
        return self._change(emergency_id_, change)

    def note(self, emergency_id_: str, text: str, *, actor: str, via: str) -> dict:
        text = text.strip()[:2000]
        if not text:
            raise EmergencyError("记录内容不能为空")

        def change(em: dict, alert: Alert, now: datetime, db) -> None:
            self.store.audit(db, alert.id, alert.unit_id, "emergency.note", now, emergency_id=em["id"], actor=actor,
                             via=via, note=text)
        return self._change(emergency_id_, change)

    def person(self, emergency_id_: str, *, name: str, role: str = "", phone: str = "", email: str = "",
               remove: bool = False, actor: str, via: str) -> dict:
        name = name.strip()[:50]
        if not name:
            raise EmergencyError("请填写责任人姓名")

        def change(em: dict, alert: Alert, now: datetime, db) -> None:
            before = len(em["people"])
            em["people"] = [p for p in em["people"] if p["name"] != name]
            if remove and len(em["people"]) == before:
                raise EmergencyError(f"责任人中没有{name}")
            if not remove:
                em["people"].append({"name": name, "role": role.strip()[:30] or "责任人", "phone": phone.strip()[:20],
                                     "email": email.strip()[:100]})
            self.store.audit(db, alert.id, alert.unit_id, "emergency.people", now, emergency_id=em["id"],
                             actor=actor, via=via, person=name, role=role or None, removed=remove or None)
        return self._change(emergency_id_, change)

    def bulletin_now(self, emergency_id_: str, *, actor: str, via: str) -> dict:
        """Bring the next 续报 forward to now (the escalator sends it on its next pass; the schedule
        then runs from it)."""
        def change(em: dict, alert: Alert, now: datetime, db) -> None:
            self.store.schedule(db, alert.id, TIMER, now, now, reason="emergency")
            self.store.audit(db, alert.id, alert.unit_id, "emergency.bulletin_requested", now, emergency_id=em["id"],
                             actor=actor, via=via)
        return self._change(emergency_id_, change)

    def close(self, emergency_id_: str, *, actor: str, via: str, summary: str = "", lessons: str = "") -> dict:
        def change(em: dict, alert: Alert, now: datetime, db) -> None:
            em.update(status="closed", closed_at=_ts(now), closed_by=actor, summary=summary.strip()[:4000],
                      lessons=lessons.strip()[:4000], closed=self._mark(db, alert))
            cancelled = self.store.cancel_timers(db, alert.id, TIMER, now)
            self.store.audit(db, alert.id, alert.unit_id, "emergency.closed", now, emergency_id=em["id"],
                             actor=actor, via=via, bulletins=len(em["bulletins"]), timers=cancelled)
        return self._change(emergency_id_, change)

    # ------------------------------------------------------------ 续报 (the escalator calls this)

    def bulletin(self, db, alert: Alert, state: AlertState, timer: Timer, now: datetime) -> list[str]:
        """Send the next 续报 of the alert's open 事件; returns the notification ids queued."""
        em = self.store.emergency_of(alert.id, db)
        if em is None or em["status"] != "open":
            self.store.finish_timer(db, timer, "cancelled", now)
            return []
        number = len(em["bulletins"]) + 1
        last = em["last"]
        news = [line for row in self.store.audit_after(db, alert.id, last["seq"])
                if not row["event"].startswith(("notification.", "routed", "detected", "emergency.bulletin"))
                and (line := em_text.timeline_line(row["event"], row))]
        since = em_text.Since(documents=max(0, alert.doc_count - last["doc_count"]),
                              sites=[s for s in alert.sites if s not in last["sites"]],
                              channels=[CHANNEL_LABELS.get(c, c.value) for c in alert.channels
                                        if c.value not in last["channels"]], events=news)
        spread = em_text.Spread(alert.level.label, alert.doc_count,
                                [CHANNEL_LABELS.get(c, c.value) for c in alert.channels], list(alert.sites),
                                state.engagement, state.authority, state.mainstream)
        people = [f"{p['name']}（{p['role']}）" for p in em["people"]]
        sends, skipped = self._plan(db, em, alert, now)
        notes, recipients = [], []
        for send in sends:
            r = send.recipient
            text = em_text.bulletin(number=number, unit=alert.unit_name, unit_short=em["unit_short"],
                                    title=em["title"], opened_at=datetime.fromisoformat(em["opened_at"]), now=now,
                                    spread=spread, since=since, items=em["checklist"], people=people,
                                    link=f"{self.console_url}/emergencies/{em['id']}", tz=self.tz, greeting=r.name)
            # One name per person whatever the channel (as alerting.bulletins names them): the notifier's
            # "reached another way" check (AlertStore.reached_otherwise) matches a failed SMS with the e-mail.
            who = f"{r.name} <{r.email or r.phone}>"
            if who not in recipients:
                recipients.append(who)
            payload = {"kind": "bulletin", "level": alert.level.value, "unit_id": alert.unit_id,
                       "unit_name": alert.unit_name, "who": who, "role": r.role, "emergency_id": em["id"],
                       "summary": text.summary}
            if send.channel == "sms":
                assert self.planner is not None
                code, short = self.planner.sms_link(alert.id, who)
                form = self.planner.sms_form
                params = sms_params(alert, code, "update", form, unit=em["unit_short"], risk=f"突发事件第{number}期")
                payload["sms"] = {**sms_message(params, form), "short": short}
            else:
                payload["email"] = {"subject": text.subject, "body": text.body}
            if send.held:
                payload["held"] = send.held
            notes.append(Notification(
                id=stable_id("bulletin", alert.id, send.address, str(number)), alert_id=alert.id,
                channel=send.channel, recipient=send.address, step=0, who=who, round=number, kind="bulletin",
                payload=payload, not_before=send.not_before))
        queued = self.store.enqueue(db, notes, now)
        if skipped:
            self.store.audit(db, alert.id, alert.unit_id, "emergency.bulletin.skipped", now, emergency_id=em["id"],
                             number=number, skipped=[f"{who}：{why}" for who, why in skipped],
                             reason=sorted({why for _, why in skipped}))
        summary = notes[0].payload["summary"] if notes else f"续报第{number}期：无收件人"
        em["bulletins"].append({"number": number, "at": _ts(now), "recipients": recipients, "summary": summary})
        em["last"] = self._mark(db, alert)
        self.store.put_emergency(db, em, now)
        self.store.finish_timer(db, timer, "done", now)
        self.store.audit(db, alert.id, alert.unit_id, "emergency.bulletin", now, emergency_id=em["id"],
                         number=number, recipients=recipients, queued=queued, summary=summary)
        self.store.schedule(db, alert.id, TIMER, now + timedelta(seconds=self.conf.bulletin_every), now,
                            reason="emergency")
        log.info("事件 %s: 续报 %d to %d recipient(s)", em["id"], number, len(notes))
        return queued

    def _plan(self, db, em: dict, alert: Alert, now: datetime) -> tuple[list[Send], list[tuple[str, str]]]:
        """Who gets this 续报 on which channel and when (alerting/bulletins.py), and who not and why."""
        recipients = self._recipients(em, alert)
        if self.planner is None:  # no routing here: e-mail, at once, as before
            return [Send(r, "email", r.email, None, "") for r in recipients if r.email], []
        route = self.planner.routing.route(alert.unit_id, alert.level)
        review = self.store.review(alert.id, db)
        sms_sent: dict[str, datetime] = {}
        for row in self.store.outbox(alert.id):
            if row["kind"] == "bulletin" and row["channel"] == "sms":
                at = datetime.fromisoformat(row["created_at"])
                sms_sent[row["recipient"]] = max(at, sms_sent.get(row["recipient"], at))
        return plan_bulletins(recipients, route, self.planner.routing, alert.level, now,
                              only=self.conf.bulletin_channels, in_review=bool(review and review["state"] != "forwarded"),
                              sms_sent=sms_sent, sms_gap=self.conf.bulletin_sms_gap)


    def _recipients(self, em: dict, alert: Alert) -> list[Recipient]:
        """The unit's primary contacts, the association's leaders, responsible people (one per person)."""
        unit = self.units.get(alert.unit_id)
        contacts = list(unit.contacts if unit else [])
        out: dict[str, Recipient] = {}
        for c in contacts:
            if c.role == "primary" and (c.email or c.phone):
                out.setdefault(c.email or c.phone or "", Recipient(
                    c.name, "unit-contact", c.email or "", c.phone or "", c, unit=True))
        for c in self.leaders:
            if c.email or c.phone:
                out.setdefault(c.email or c.phone or "", Recipient(c.name, "leader", c.email or "",
                                                                             c.phone or "", c))
        for p in em["people"]:
            key = p.get("email") or p.get("phone")
            if key and key not in out:
                known = next((c for c in contacts if (c.email and c.email == p.get("email"))
                              or (c.phone and c.phone == p.get("phone"))), None)
                out[key] = Recipient(p["name"], "responsible", p.get("email") or "", p.get("phone") or "",
                                               known, unit=known is not None or str(p.get("role", "")).startswith("单位"))
        return list(out.values())
