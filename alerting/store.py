"""Alert store: alerts, their documents, the notification outbox, the audit trail
(and, in ``alerting.store_state``, router state, durable timers, the send log
for rate limits and operational alerts).

Contract:
* The router writes the alert, the document's membership in it, the
  notifications it decides to send (the outbox), its timers and the audit
  entries in ONE transaction. A crash before commit means the scored document
  is replayed from the bus and recorded again; after commit, the notifier
  will deliver and the escalator will fire the timers.
* Everything is keyed by derived ids (alert id, notification id, timer id),
  so recording the same document twice changes nothing and queues nothing.
* Outbox rows move pending → sending → accepted → delivered, or → failed
  (or → cancelled: an escalation step made moot by an acknowledgement).
  A unit's message under ``forward: review`` starts ``held`` (never claimed)
  and becomes pending when forwarded (``alerting.reviews``, ``alerting.forwarding``).
* Exactly one sender per row: a notifier claims rows under a lease (its owner
  id and an expiry, renewed while it works through them). A row in
  ``sending`` is retaken only once its lease has expired (its notifier died
  or hung), never because another notifier started; an outcome is recorded
  only by the lease's holder. So at most a message in flight when its
  notifier died is sent again, and it goes out under the same notification id
  (SMTP Message-ID, SMS OutId/SessionContext) so it can be recognised.
* All times are stored as UTC ISO-8601 text, so they compare as strings.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from alerting.lifecycle import TRANSITIONS, UNACKNOWLEDGED
from alerting.reviews import CLOSED_UNTOLD, ReviewMixin
from alerting.store_batch import BatchMixin
from alerting.store_emergency import EmergencyMixin
from alerting.store_links import ShortLinkMixin, links_in, relink
from alerting.store_state import AlertState, StateMixin, TimerChange
from contracts.messages import Alert, AlertStatus, NotificationRecord
from pipeline import metrics
from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn, Row, connect, dialect, is_postgres, lock_key, migrate

log = logging.getLogger(__name__)
# Versioned SQL per engine (pipeline.statedb.migrate): migrations/sqlite/NNN_*.sql, migrations/postgresql/NNN_*.sql.
MIGRATIONS = Path(__file__).parent / "migrations"
FINAL_STATES = ("accepted", "delivered", "failed", "cancelled")


@dataclass(frozen=True)
class Notification:
    """One message to one recipient on one channel (an outbox row)."""

    id: str
    alert_id: str
    channel: str
    recipient: str
    step: int
    payload: dict
    state: str = "pending"  # or "held": waits for a duty officer's review (forward: review)
    attempts: int = 0
    who: str = ""
    round: int = 0
    kind: str = "alert"  # alert | update | escalation | fallback | notice | ops | bulletin (事件 续报)
    not_before: datetime | None = None  # quiet hours, digest
    lease_owner: str | None = None  # the notifier holding this row while it is ``sending``


class AlertStore(BatchMixin, StateMixin, EmergencyMixin, ReviewMixin, ShortLinkMixin):
    """On SQLite (a path, or ``sqlite:///…``) every transaction is ``BEGIN IMMEDIATE``: writers take
    turns. On PostgreSQL (``postgresql://…``) transactions run side by side, so: reading an alert
    inside a transaction (``get(…, db)``) first takes the alert's lock (an advisory lock on its
    id, held to commit — it works before the row exists, so two routers never both open one
    (story, unit) alert); claims skip rows another notifier has locked (``FOR UPDATE SKIP
    LOCKED``); a timer is read ``FOR UPDATE`` under its alert's lock, so it fires once."""

    def __init__(self, path: str | Path) -> None:
        self.path: str | Path = str(path) if is_postgres(path) else Path(path)
        self._db = connect(self.path, synchronous="FULL")
        self.pg = dialect(self._db) == "postgresql"
        migrate(self._db, "alerts", MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def _for_update(self, skip_locked: bool = False) -> str:
        if not self.pg:
            return ""
        return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

    # ----------------------------------------------------------- alerts

    def get(self, alert_id: str, db: Conn | None = None) -> Alert | None:
        """The alert; inside a transaction (``db``) also its lock until commit."""
        if db is not None:
            lock_key(db, "alert:" + alert_id)
        row = (db or self._db).execute("SELECT body FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return Alert.model_validate_json(row["body"]) if row else None

    def has_doc(self, db: Conn, alert_id: str, doc_id: str) -> bool:
        return db.execute("SELECT 1 FROM alert_docs WHERE alert_id = ? AND doc_id = ?",
                          (alert_id, doc_id)).fetchone() is not None

    def save(self, db: Conn, alert: Alert, doc_id: str | None, now: datetime) -> None:
        db.execute(
            "INSERT INTO alerts (id, story_id, unit_id, level, status, first_seen, last_seen, doc_count, body)"
            " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET level=excluded.level,"
            " status=excluded.status, last_seen=excluded.last_seen, doc_count=excluded.doc_count, body=excluded.body",
            (alert.id, alert.story_id, alert.unit_id, alert.level.value, alert.status.value,
             _ts(alert.first_seen), _ts(alert.last_seen), alert.doc_count, alert.model_dump_json()),
        )
        if doc_id:
            db.execute("INSERT INTO alert_docs (alert_id, doc_id, added_at) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                       (alert.id, doc_id, _ts(now)))

    def docs_since(self, db: Conn, alert_id: str, since: datetime) -> int:
        return db.execute("SELECT COUNT(*) FROM alert_docs WHERE alert_id=? AND added_at>=?",
                          (alert_id, _ts(since))).fetchone()[0]

    def list_alerts(self, unit_id: str | None = None, limit: int = 100) -> list[Alert]:
        sql, args = "SELECT body FROM alerts", []
        if unit_id:
            sql, args = sql + " WHERE unit_id = ?", [unit_id]
        rows = self._db.execute(sql + " ORDER BY last_seen DESC LIMIT ?", (*args, limit)).fetchall()
        return [Alert.model_validate_json(r["body"]) for r in rows]

    TRANSITIONS = TRANSITIONS
    UNACKNOWLEDGED = UNACKNOWLEDGED

    def change_status(self, alert_id: str, status: AlertStatus, now: datetime, *, actor: str,
                      via: str, note: str = "") -> Alert:
        """Move an alert to ``status`` and audit who did it and how
        (via: "ack-link", "console", "api", "sms-reply"…).

        Idempotent: asking for the status the alert already has changes
        nothing and is audited as a repeat (a double ack is harmless).
        Taking an alert on (acknowledged, handling, resolved, dismissed)
        cancels its pending escalation in the same transaction.

        While the alert awaits review (待复核, ``alerting.reviews``) acting
        on it is the duty officers' act: 确认收到 and 开始处置 are recorded
        on the review (the status does not change: the unit is told and
        chased when the review forwards); 处置完毕 resolves the alert and
        closes the review (never forwarded); 误报 closes it too. Reopening
        an alert whose review was closed so puts it back to review: the
        alert is new again (the unit still not told) and the reopener is
        recorded as handling it on the review.
        Raises KeyError for an unknown alert, ValueError for a refused change.
        """
        status = AlertStatus(status)
        with self.transaction() as db:
            alert = self.get(alert_id, db)
            if alert is None:
                raise KeyError(alert_id)
            if status in (AlertStatus.acknowledged, AlertStatus.handling) and alert.status in self.UNACKNOWLEDGED \
                    and self.act_on_review(db, alert_id, alert.unit_id, now, act=status.value, actor=actor, via=via,
                                           note=note):
                return alert  # the duty officers' act while awaiting review, not the unit's (alerting.reviews)
            if alert.status is status:
                self.audit(db, alert_id, alert.unit_id, f"status.{status.value}.repeat", now,
                           actor=actor, via=via, note=note)
                return alert
            if status not in self.TRANSITIONS[alert.status]:
                raise ValueError(f"alert {alert_id}: cannot go from {alert.status.value} to {status.value}")
            review = self.review(alert_id, db)
            back_to_review = alert.status in (AlertStatus.dismissed, AlertStatus.resolved) and \
                review is not None and review["state"] in CLOSED_UNTOLD
            target = AlertStatus.new if back_to_review else status  # reopened, the unit never told
            alert = alert.model_copy(update={"status": target})
            db.execute("UPDATE alerts SET status=?, body=? WHERE id=?",
                       (target.value, alert.model_dump_json(), alert_id))
            self.audit(db, alert_id, alert.unit_id, f"status.{target.value}", now, actor=actor, via=via, note=note)
            if status is AlertStatus.dismissed:  # a false alarm held for review never reaches the unit
                held = self.cancel_held(db, alert_id, now, f"dismissed by {actor}")
                if self.cancel_timers(db, alert_id, "review", now) or held:
                    self.close_review(db, alert_id, "dismissed", now, by=actor, via=via)
                    self.audit(db, alert_id, alert.unit_id, "review.dismissed", now, actor=actor,
                               queued_messages=held)
            elif status is AlertStatus.resolved:  # handled by the association while held: never forwarded
                self.resolve_review(db, alert_id, alert.unit_id, now, actor=actor, via=via, note=note)
            elif back_to_review:  # a review the 误报 or 处置完毕 ended is pending again, the reopener handling it
                self.requeue_review(db, alert_id, alert.unit_id, now, actor=actor, via=via, why="REOPENED")
                self.act_on_review(db, alert_id, alert.unit_id, now, act="handling", actor=actor, via=via)
            if target not in self.UNACKNOWLEDGED:
                timers = self.cancel_timers(db, alert_id, "escalate", now)
                rows = db.execute("UPDATE outbox SET state='cancelled', updated_at=?, last_error=? WHERE alert_id=?"
                                  " AND kind='escalation' AND state='pending'",
                                  (_ts(now), f"{status.value} by {actor}", alert_id)).rowcount
                if timers or rows:
                    self.audit(db, alert_id, alert.unit_id, "escalation.cancelled", now, reason=status.value,
                               actor=actor, timers=timers, queued_messages=rows)
        return alert

    def alert_doc_ids(self, alert_id: str) -> list[str]:
        rows = self._db.execute("SELECT doc_id FROM alert_docs WHERE alert_id = ? ORDER BY added_at",
                                (alert_id,)).fetchall()
        return [r["doc_id"] for r in rows]

    # ----------------------------------------------------------- outbox

    def apply(self, db: Conn, now: datetime, *, alert: Alert, doc_id: str | None, state: AlertState,
              notes: Sequence[Notification] = (), cancel: Sequence[str] = (), timers: Sequence[TimerChange] = (),
              audit_first: Sequence[tuple[str, dict]] = (), audit_last: Sequence[tuple[str, dict]] = ()) -> list[str]:
        """Write what the router decided, in the caller's transaction, in this order: the alert (and the
        document it gained), ``audit_first``, the notifications (new ids only), cancelled timer kinds,
        new timers, the alert's state, ``audit_last``. Returns the notification ids actually queued."""
        self.save(db, alert, doc_id, now)
        for event, detail in audit_first:
            self.audit(db, alert.id, alert.unit_id, event, now, **detail)
        queued = self.enqueue(db, notes, now)
        for kind in cancel:
            self.cancel_timers(db, alert.id, kind, now)
        for t in timers:
            self.schedule(db, alert.id, t.kind, t.due, now, step=t.step, reason=t.reason, earliest=t.earliest)
        self.put_state(db, alert.id, state)
        for event, detail in audit_last:
            self.audit(db, alert.id, alert.unit_id, event, now, **detail)
        return queued

    def enqueue(self, db: Conn, notes: Sequence[Notification], now: datetime) -> list[str]:
        """Queue notifications; returns ids that were new (known ids are kept as they are).
        A new row held back (quiet hours, digest) is audited with why and until when; the short ack
        links a new row carries (its SMS, its fallback's) are kept for the console's ``/a/`` page."""
        added = []
        for n in notes:
            # The short ids first: one that stands for another link is replaced in the row's payload.
            n = replace(n, payload=relink(n.payload, self.add_short_links(db, links_in(n.alert_id, n.payload), now)))
            cur = db.execute(
                "INSERT INTO outbox (id, alert_id, channel, recipient, step, state, attempts,"
                " next_attempt_at, payload, created_at, updated_at, who, round, kind)"
                " VALUES (?,?,?,?,?,?, 0, ?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (n.id, n.alert_id, n.channel, n.recipient, n.step, "held" if n.state == "held" else "pending",
                 _ts(n.not_before or now),
                 json.dumps(n.payload, ensure_ascii=False), _ts(now), _ts(now), n.who, n.round, n.kind),
            )
            if cur.rowcount:
                added.append(n.id)
                if n.state == "held":
                    self.audit(db, n.alert_id, None, "notification.held", now, notification_id=n.id, who=n.who,
                               channel=n.channel, reason="REVIEW")
                elif n.payload.get("held"):
                    self.audit(db, n.alert_id, None, "notification.held", now, notification_id=n.id, who=n.who,
                               channel=n.channel, reason=n.payload["held"],
                               until=n.not_before.isoformat() if n.not_before else None)
        return added

    def claim_due(self, now: datetime, limit: int = 50, *, owner: str = "",
                  lease: timedelta = timedelta(seconds=60)) -> list[Notification]:
        """Claim what is due for ``owner`` until ``now + lease``, plus everything
        else due for the same (channel, recipient), so a burst to one phone or
        robot can go as one bundle. Due means pending and past its time, or
        ``sending`` under a lease that has expired (its holder died): such a
        row is retaken, never one another notifier still holds."""
        owner = owner or "anonymous"
        due = ("((state='pending' AND next_attempt_at <= ?)"
               " OR (state='sending' AND (lease_until IS NULL OR lease_until <= ?)))")
        with self.transaction() as db:
            lock = self._for_update(skip_locked=True)  # two notifiers never claim one row
            rows = db.execute(f"SELECT * FROM outbox WHERE {due} ORDER BY next_attempt_at LIMIT ?{lock}",
                              (_ts(now), _ts(now), limit)).fetchall()
            keys = {(r["channel"], r["recipient"]) for r in rows if r["channel"] != "email"}
            ids = {r["id"] for r in rows}
            for ch, rcpt in keys:
                rows += [r for r in db.execute(f"SELECT * FROM outbox WHERE {due} AND channel=? AND recipient=?{lock}",
                                               (_ts(now), _ts(now), ch, rcpt)).fetchall() if r["id"] not in ids]
            for r in rows:
                if r["state"] == "sending":
                    self.audit(db, r["alert_id"], None, "notification.retaken", now, notification_id=r["id"],
                               previous_owner=r["lease_owner"], lease_until=r["lease_until"], owner=owner)
                db.execute("UPDATE outbox SET state='sending', attempts=attempts+1, lease_owner=?, lease_until=?,"
                           " updated_at=? WHERE id=?", (owner, _ts(now + lease), _ts(now), r["id"]))
        return [self._note(r, state="sending", attempts=r["attempts"] + 1, lease_owner=owner) for r in rows]

    def renew(self, notes: Sequence[Notification], now: datetime, lease: timedelta) -> list[Notification]:
        """Extend the leases of claimed rows; returns those still held (a row
        whose lease lapsed and was retaken by another notifier is not)."""
        held = []
        with self.transaction() as db:
            for n in notes:
                if db.execute("UPDATE outbox SET lease_until=? WHERE id=? AND state='sending' AND lease_owner=?",
                              (_ts(now + lease), n.id, n.lease_owner)).rowcount:
                    held.append(n)
        return held

    def release(self, owner: str, now: datetime) -> int:
        """A notifier stopping cleanly hands back what it claimed but did not send."""
        with self.transaction() as db:
            return db.execute("UPDATE outbox SET state='pending', attempts=attempts-1, lease_owner=NULL,"
                              " lease_until=NULL, updated_at=? WHERE state='sending' AND lease_owner=?",
                              (_ts(now), owner)).rowcount

    @staticmethod
    def _note(r: Row, **override) -> Notification:
        fields = dict(id=r["id"], alert_id=r["alert_id"], channel=r["channel"], recipient=r["recipient"],
                      step=r["step"], payload=json.loads(r["payload"]), state=r["state"], attempts=r["attempts"],
                      who=r["who"], round=r["round"], kind=r["kind"], lease_owner=r["lease_owner"])
        fields.update(override)
        return Notification(**fields)

    def settle(self, note: Notification, state: str, now: datetime, *, provider_id: str | None = None,
               error: str | None = None, retry_at: datetime | None = None, db: Conn | None = None,
               **detail) -> bool:
        """Record a delivery outcome: the outbox row, the alert's notification
        log and status, and the audit trail, in one transaction (``db`` to
        join a caller's transaction). False (nothing recorded) when the claim's
        lease was lost: another notifier holds the row now."""
        if db is None:
            with self.transaction() as db:
                return self.settle(note, state, now, provider_id=provider_id, error=error, retry_at=retry_at,
                                   db=db, **detail)
        if not self._holds(db, note):
            log.warning("notification %s: lease lost to another notifier; its outcome %s is not recorded",
                        note.id, state)
            return False
        db.execute(
            "UPDATE outbox SET state=?, provider_id=COALESCE(?, provider_id), last_error=?,"
            " next_attempt_at=COALESCE(?, next_attempt_at), lease_owner=NULL, lease_until=NULL, updated_at=?"
            " WHERE id=?",
            (state, provider_id, error, _ts(retry_at) if retry_at else None, _ts(now), note.id))
        alert = self.get(note.alert_id, db)
        if alert is not None and state in FINAL_STATES:
            record = NotificationRecord(id=note.id, channel=note.channel, recipient=note.recipient,
                                        step=note.step, state=state, at=now, detail=provider_id or error or "")
            update: dict[str, object] = {"notifications": [*alert.notifications, record]}
            # "notified" means the unit was told: a duty officer's 待复核 message is not that.
            if state in ("accepted", "delivered") and alert.status is AlertStatus.new and note.kind != "review":
                update["status"] = AlertStatus.notified
            alert = alert.model_copy(update=update)
            db.execute("UPDATE alerts SET status=?, body=? WHERE id=?",
                       (alert.status.value, alert.model_dump_json(), alert.id))
        self.audit(db, note.alert_id, alert.unit_id if alert else None, f"notification.{state}", now,
                   notification_id=note.id, channel=note.channel, recipient=note.recipient, who=note.who,
                   step=note.step, kind=note.kind, attempt=note.attempts, provider_id=provider_id, error=error,
                   retry_at=retry_at.isoformat() if retry_at else None, **detail)
        metrics.NOTIFICATIONS.labels(note.channel, state).inc()
        return True

    def defer(self, notes: Sequence[Notification], until: datetime, now: datetime, reason: str) -> None:
        """Put claimed rows back for later without spending an attempt (rate limits)."""
        with self.transaction() as db:
            for n in notes:
                if not self._holds(db, n):
                    continue
                db.execute("UPDATE outbox SET state='pending', attempts=attempts-1, next_attempt_at=?,"
                           " lease_owner=NULL, lease_until=NULL, updated_at=?, last_error=? WHERE id=?",
                           (_ts(until), _ts(now), reason, n.id))
                self.audit(db, n.alert_id, None, "notification.deferred", now, notification_id=n.id,
                           channel=n.channel, recipient=n.recipient, reason=reason, until=until.isoformat())

    def _holds(self, db: Conn, note: Notification) -> bool:
        """May this claim still record an outcome? (Rows not claimed — receipts — always may.)"""
        lock_key(db, "alert:" + note.alert_id)  # the alert's lock first, as every writer takes them
        if not note.lease_owner:
            return True
        row = db.execute(f"SELECT state, lease_owner FROM outbox WHERE id=?{self._for_update()}",
                         (note.id,)).fetchone()
        return row is not None and row["state"] == "sending" and row["lease_owner"] == note.lease_owner

    def reached_otherwise(self, db: Conn, note: Notification) -> bool:
        """Is this person reached about this alert (same round) by another message that did not fail?"""
        return db.execute("SELECT 1 FROM outbox WHERE alert_id=? AND who=? AND round=? AND id<>? AND"
                          " state NOT IN ('failed','cancelled') LIMIT 1",
                          (note.alert_id, note.who, note.round, note.id)).fetchone() is not None

    def rows_by_provider_id(self, provider_id: str) -> list[Notification]:
        rows = self._db.execute("SELECT * FROM outbox WHERE provider_id=?", (provider_id,)).fetchall()
        return [self._note(r) for r in rows]

    def outbox(self, alert_id: str | None = None) -> list[Row]:
        if alert_id:
            return self._db.execute("SELECT * FROM outbox WHERE alert_id=? ORDER BY created_at, id",
                                    (alert_id,)).fetchall()
        return self._db.execute("SELECT * FROM outbox ORDER BY created_at, id").fetchall()

    # ----------------------------------------------------------- audit

    def audit(self, db: Conn | None, alert_id: str | None, unit_id: str | None,
              event: str, now: datetime, **detail) -> None:
        conn = db or self._db
        if unit_id is None and alert_id:
            row = conn.execute("SELECT unit_id FROM alerts WHERE id=?", (alert_id,)).fetchone()
            unit_id = row["unit_id"] if row else None
        conn.execute("INSERT INTO audit (alert_id, unit_id, at, event, detail) VALUES (?,?,?,?,?)",
                     (alert_id, unit_id, _ts(now), event,
                      json.dumps({k: v for k, v in detail.items() if v is not None}, ensure_ascii=False,
                                 default=str)))

    def audit_trail(self, alert_id: str) -> list[dict]:
        rows = self._db.execute("SELECT * FROM audit WHERE alert_id=? ORDER BY seq", (alert_id,)).fetchall()
        return [{"at": r["at"], "event": r["event"], **json.loads(r["detail"])} for r in rows]

    # ----------------------------------------------------------- console reads (issue 5; read only)
    # The audit table is append-only with a monotonic ``seq`` and every change
    # to an alert (detected, routed, notification outcome, status change,
    # console action) writes a row in the same transaction as the change:
    # so "audit rows after seq N" is a complete, cheap change feed.

    def last_change(self) -> int:
        """The newest audit sequence number (0 when empty): the live feed's starting cursor."""
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0]

    def changes_since(self, seq: int, limit: int = 1000) -> tuple[int, list[str]]:
        """(new cursor, ids of alerts with audit events after ``seq``, oldest change first).
        Ops alerts appear with their ``ops:`` ids."""
        rows = self._db.execute("SELECT seq, alert_id FROM audit WHERE seq>? ORDER BY seq LIMIT ?",
                                (seq, limit)).fetchall()
        ids: dict[str, None] = {}
        for r in rows:
            if r["alert_id"]:
                ids.pop(r["alert_id"], None)
                ids[r["alert_id"]] = None
        return (rows[-1]["seq"] if rows else seq), list(ids)

    def detected_at(self, alert_ids: Sequence[str]) -> dict[str, str]:
        """alert id → time of its first audit event (when the router first saw it), UTC ISO text."""
        if not alert_ids:
            return {}
        marks = ",".join("?" * len(alert_ids))
        rows = self._db.execute(f"SELECT alert_id, MIN(at) AS at FROM audit WHERE alert_id IN ({marks})"
                                " GROUP BY alert_id", list(alert_ids)).fetchall()
        return {r["alert_id"]: r["at"] for r in rows}

    def overdue(self, before: datetime, reviews_before: datetime | None = None, unit: str | None = None) -> dict:
        """Read-only, for the console's pipeline health (console/pipeline_health.py): what should have
        happened before ``before`` (the caller's now minus its grace) and has not.
        ``outbox``: {channel: {"count", "oldest"}} over rows due by then and not sent — pending and
        due, or claimed (``sending``) under a lease that ran out by then (its notifier died); held,
        deferred and finished rows are not due. ``failing``: the same over rows not due yet because a
        failed attempt backed them off, queued before the cut (oldest: when queued). ``reviews``: {"count", "oldest"} over reviews still
        pending whose forward time (``due_at``) passed by ``reviews_before`` (default ``before``).
        Oldest: UTC ISO text, None when none. ``unit``: only what is about that unit's alerts that the unit
        was told of (a unit's lead's banner): not those under a review that did not forward them (held,
        or closed first: console.alert_service.visible), nor messages about no alert (duty, ops notices)."""
        cut = _ts(before)
        mine, mine_args = ("", ()) if unit is None else (
            " AND alert_id IN (SELECT id FROM alerts WHERE unit_id = ?"
            " AND id NOT IN (SELECT alert_id FROM reviews WHERE state <> 'forwarded'))", (unit,))
        rows = self._db.execute(
            "SELECT channel, COUNT(*) AS n, MIN(next_attempt_at) AS oldest FROM outbox"
            " WHERE ((state='pending' AND next_attempt_at < ?)"
            f" OR (state='sending' AND COALESCE(lease_until, next_attempt_at) < ?)){mine} GROUP BY channel",
            (cut, cut, *mine_args)).fetchall()
        # Tried, failed and waiting for a retry (a provider down): not late by its due time, which backs off.
        failing = self._db.execute(
            "SELECT channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"
            " WHERE state='pending' AND attempts > 0 AND next_attempt_at >= ? AND created_at < ?"
            f"{mine} GROUP BY channel", (cut, cut, *mine_args)).fetchall()
        review = self._db.execute("SELECT COUNT(*) AS n, MIN(due_at) AS oldest FROM reviews"
                                  " WHERE state='pending' AND due_at < ?" + ("" if unit is None else " AND unit_id = ?"),
                                  (_ts(reviews_before or before), *mine_args)).fetchone()
        return {"outbox": {r["channel"]: {"count": r["n"], "oldest": r["oldest"]} for r in rows},
                "failing": {r["channel"]: {"count": r["n"], "oldest": r["oldest"]} for r in failing},
                "reviews": {"count": review["n"], "oldest": review["oldest"]}}

    def ops_alerts(self, state: str | None = "open") -> list[dict]:
        """Operational alerts (blind sources…) with their state, newest first."""
        sql, args = "SELECT * FROM ops_alerts", []
        if state:
            sql, args = sql + " WHERE state=?", [state]
        rows = self._db.execute(sql + " ORDER BY last_seen DESC", args).fetchall()
        return [{"id": r["id"], "state": r["state"], "first_seen": r["first_seen"], "last_seen": r["last_seen"],
                 **json.loads(r["body"])} for r in rows]


def backoff(attempts: int, base: float = 30.0, cap: float = 1800.0) -> timedelta:
    """Exponential backoff for transient delivery errors: 30 s, 60 s, 2 min … 30 min."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
