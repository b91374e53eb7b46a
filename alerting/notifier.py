"""Notifier: drains the outbox through the channel clients.

Contract:
* A notification is ``accepted`` only after its provider accepted it, judged
  from the response body (``delivered`` when the answer already means it
  arrived — a group robot — or when a delivery receipt says so).
* Several messages due for one phone or robot go as ONE bundle (each row is
  settled with the bundle's provider id): that is how provider rate limits
  (per robot per minute, per phone per day) are respected without dropping
  anything. Our own send log is checked first; a robot over its limit waits
  for the window to free, a phone over its daily limit fails over.
* Transient errors are retried with exponential backoff up to
  ``max_attempts``; a rate-limited robot is retried after the provider's
  pause without spending an attempt.
* A notification that fails for good (permanent error, retries exhausted,
  SMS limit, failed receipt) falls back to the person's next channel; if the
  person is then reached by nothing, the duty officers get a notice. All of
  it is audited (``alerting.audit`` lists delivery failures for the console).
* Exactly one sender per row, however many notifiers run: rows are claimed
  under a lease (this notifier's owner id, expiry ``lease`` ahead) renewed
  before each send; another notifier retakes a row only after its lease
  expired (the holder died or hung), so at most the messages in flight at a
  crash (one wave: ``workers`` sends, at most one of them an SMS) are sent twice — with the same
  notification id in their Message-ID / OutId, so they can be recognised.
  Half of ``lease`` must exceed the slowest send (the channel timeouts, 10 s by
  default). A clean stop hands unsent claims back.
* Throughput: the claimed groups go out in waves of ``workers`` sends side by
  side (threads: the provider calls only, no store access); the wave's
  outcomes are recorded in one commit (``AlertStore.batch``), in claim order.
  Before a wave, the poll's remaining claims are renewed (one commit) once
  half the lease has passed since the claim or the last renewal: until then
  every row's lease outlasts the wave by half a lease, so nobody can have
  retaken one (a stalled process finds the time gone and renews, dropping
  what it lost); in a burst a poll's waves renew nothing.
* A row that cannot be rendered or sent for a reason that is not transient
  (an exception the channel did not classify: a poison message) fails alone
  with ``UNSENDABLE: …`` and falls back like any failure; a bundle holding it
  is sent again one by one, in waves of their own after the wave's commit
  (never while a transaction is open: on SQLite that would hold the write
  lock through network sends). One row never stops the notifier.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerting.channels import PermanentError, RateLimited, Sent, TransientError
from alerting.planner import Planner
from alerting.store import AlertStore, Notification, backoff
from alerting.templates_bundle import bundle
from contracts.clock import Clock
from contracts.messages import stable_id
from pipeline.statedb import unavailable_errors

log = logging.getLogger(__name__)
ROBOTS = ("dingtalk", "wecom")
SEND_WORKERS = 8  # sends at once by default (settings.yaml alert_store.options.send_workers)
STORE_ALARM_AFTER = 5  # consecutive store failures before the log line becomes an ERROR


STORE_ERRORS = unavailable_errors()


def waves(groups: list[list[Notification]], workers: int) -> list[list[list[Notification]]]:
    """The groups in claim order, cut into waves of at most ``workers`` groups with at most one
    SMS among them: a crash re-sends at most one SMS (billed, and read on a phone), however
    many e-mails and robot messages went out beside it."""
    out: list[list[list[Notification]]] = []
    current: list[list[Notification]] = []
    for g in groups:
        sms = g[0].channel == "sms"
        if current and (len(current) >= workers or (sms and any(c[0].channel == "sms" for c in current))):
            out.append(current)
            current = []
        current.append(g)
    if current:
        out.append(current)
    return out


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


class ChannelClient(Protocol):
    name: str

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent | str: ...


@dataclass(frozen=True)
class _Send:
    group: list[Notification]
    client: ChannelClient
    send_id: str
    now: datetime


class Notifier:
    def __init__(self, store: AlertStore, clients: Mapping[str, ChannelClient], clock: Clock,
                 planner: Planner | None = None, *, max_attempts: int = 8, sms_per_phone_per_day: int = 10,
                 robot_per_minute: Mapping[str, int] | None = None, escalator=None,
                 lease: timedelta = timedelta(seconds=60), owner: str | None = None, alarm=None,
                 workers: int = 1) -> None:
        self.store = store
        self.alarm = alarm  # pipeline.opsalarm.StoreAlarm: an ops alert after repeated store failures
        self.clients = dict(clients)
        self.clock = clock
        self.planner = planner
        self.max_attempts = max_attempts
        self.sms_per_day = sms_per_phone_per_day
        self.robot_per_minute = dict(robot_per_minute or {})
        self.escalator = escalator
        self.lease = lease
        self.workers = max(1, workers)  # sends at once (threads); each wave's outcomes are one commit
        self._executor: ThreadPoolExecutor | None = None
        # Unique per process and start: a restarted notifier does not inherit
        # its predecessor's leases (they may still be in use by a hung process).
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_once(self, limit: int = 50) -> int:
        """Fire due timers, then send what is due; returns how many notifications were attempted."""
        if self.escalator is not None:
            self.escalator.run_once()
        claimed_at = self.clock.now()
        notes = self.store.claim_due(claimed_at, limit, owner=self.owner, lease=self.lease)
        todo = deque(waves(self._groups(notes), self.workers))
        renew_by = claimed_at + self.lease / 2
        while todo:
            # A wave (at most ``workers`` sends at once) lasts one channel timeout at most, less than half a
            # lease: the claims are renewed once half the lease has passed, all of the poll's at once; a row
            # whose lease lapsed (this process stalled) and was retaken is not sent.
            now = self.clock.now()
            if now >= renew_by:
                held = {n.id for n in self.store.renew([n for w in todo for g in w for n in g], now, self.lease)}
                renew_by = now + self.lease / 2
                todo = deque(kept for w in todo if (kept := [kg for g in w if (kg := [n for n in g if n.id in held])]))
                if not todo:
                    break
            # A poison bundle's messages go again one by one, as waves of their own, next.
            todo.extendleft(reversed(waves([[n] for n in self._deliver_wave(todo.popleft())], self.workers)))
        return len(notes)

    def run(self, stop: threading.Event, idle: float = 0.05, max_backoff: float = 30.0) -> None:
        log.info("notifier %s: outbox leases of %ds", self.owner, self.lease.total_seconds())
        failures = 0
        try:
            while not stop.is_set():
                try:
                    if not self.run_once():
                        stop.wait(idle)
                    failures = 0
                    if self.alarm is not None:
                        self.alarm.succeeded()
                except STORE_ERRORS as e:
                    # The store is locked by another process, read-only or gone, or its database server
                    # restarts (the connection is made anew on the next try): wait and try again (claimed
                    # rows keep their lease until it expires), never exit over it.
                    failures += 1
                    if self.alarm is not None:
                        self.alarm.failed(e)
                    delay = min(max_backoff, 0.5 * 2 ** failures)
                    log.log(logging.ERROR if failures >= STORE_ALARM_AFTER else logging.WARNING,
                            "告警存储不可用，连续第%d次，%.1f秒后重试 / alert store unavailable (%s), %d time(s) in a "
                            "row; retrying in %.1fs%s", failures, delay, _first_line(e), failures, delay,
                            "; check the data folder or the database server" if failures >= STORE_ALARM_AFTER
                            else "")
                    stop.wait(delay)
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
            self.close_sessions()
            try:
                released = self.store.release(self.owner, self.clock.now())
            except STORE_ERRORS as e:  # the leases expire by themselves: another notifier retakes the rows
                log.warning("could not hand back claimed notifications (%s); they are retaken when their"
                            " leases expire", _first_line(e))
                released = 0
            if released:
                log.info("handed back %d claimed notification(s) not yet sent", released)

    def close_sessions(self) -> None:
        """End the channel clients' open sessions (SMTP), if they keep any."""
        for client in self.clients.values():
            close = getattr(client, "close", None)
            if close is not None:
                close()

    # ------------------------------------------------------------ sending

    @staticmethod
    def _groups(notes: list[Notification]) -> list[list[Notification]]:
        groups: dict[tuple, list[Notification]] = {}
        for n in notes:
            bundled = n.channel != "email" or n.payload.get("held") == "DIGEST"
            key = (n.channel, n.recipient, n.payload.get("held") == "DIGEST") if bundled else (n.id,)
            groups.setdefault(key, []).append(n)
        return list(groups.values())

    def _limit(self, channel: str, recipient: str) -> tuple[int, timedelta] | None:
        if channel == "sms":
            return self.sms_per_day, timedelta(days=1)
        if channel in ROBOTS:
            return self.robot_per_minute.get(recipient, 20), timedelta(minutes=1)
        return None

    def _deliver_wave(self, groups: list[list[Notification]]) -> list[Notification]:
        """Send the groups side by side (``workers`` threads), then record every outcome in one commit;
        returns the messages of bundles that could not be sent as one (to send one by one afterwards:
        nothing is sent while the commit's transaction is open)."""
        ready = [p for p in (self._prepare(g) for g in groups) if p is not None]
        if self.workers > 1 and len(ready) > 1:
            outcomes = list(self._pool().map(self._send, ready))
        else:
            outcomes = [self._send(p) for p in ready]
        split: list[Notification] = []
        with self.store.batch():
            for p, outcome in zip(ready, outcomes):
                split += self._record(p, outcome)
        return split

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="notify-send")
        return self._executor

    def _prepare(self, group: list[Notification]) -> _Send | None:
        """What to send for a group, or None when it is settled without sending (no channel, a limit)."""
        first, now = group[0], self.clock.now()
        channel, recipient = first.channel, first.recipient
        client = self.clients.get(channel)
        if client is None:
            self._failed(group, f"channel {channel!r} is not configured here")
            return None
        limit = self._limit(channel, recipient)
        if limit:
            used, oldest = self.store.sends_since(channel, recipient, now - limit[1])
            if used >= limit[0]:
                reason = f"RATE_LIMITED: {used} sends to this {'phone' if channel == 'sms' else 'robot'} " \
                         f"in the last {limit[1]}"
                if channel == "sms":  # a day is too long to wait: the person is told another way
                    self._failed(group, reason)
                else:
                    self.store.defer(group, (oldest or now) + limit[1], now, reason)
                return None
        send_id = first.id if len(group) == 1 else "bundle-" + stable_id(*sorted(n.id for n in group))
        return _Send(group, client, send_id, now)

    @staticmethod
    def _send(p: _Send) -> Sent | str | Exception:
        """The provider call alone (no store access: it runs on a sender thread)."""
        try:
            first = p.group[0]
            payload = first.payload if len(p.group) == 1 else bundle(first.channel, [n.payload for n in p.group],
                                                                     p.now)
            return p.client.send(p.send_id, first.recipient, payload)
        except Exception as e:  # classified by _record
            return e

    def _record(self, p: _Send, result: Sent | str | Exception) -> list[Notification]:
        """Record one send's outcome (it runs inside the wave's transaction: nothing is sent here); returns
        a bundle's messages when the bundle could not be sent as one (a poison row in it), else []."""
        group, send_id, now = p.group, p.send_id, p.now
        channel, recipient = group[0].channel, group[0].recipient
        if isinstance(result, RateLimited):
            log.warning("%s to %s rate-limited by the provider: %s", channel, recipient, result)
            if channel == "sms":
                self._failed(group, f"RATE_LIMITED: {result}")
            else:
                self.store.defer(group, now + timedelta(seconds=result.retry_after), now, f"RATE_LIMITED: {result}")
        elif isinstance(result, PermanentError):
            log.error("notification %s to %s via %s failed: %s", send_id, recipient, channel, result)
            self._failed(group, str(result))
        elif isinstance(result, TransientError):
            self._retry(group, str(result))
        elif isinstance(result, Exception):  # a poison row (it cannot be rendered or sent): never stop the notifier
            if len(group) > 1:
                log.warning("bundle %s cannot be sent (%s: %s); sending its %d messages one by one", send_id,
                            type(result).__name__, result, len(group))
                return list(group)
            log.error("notification %s to %s via %s cannot be sent: %s: %s", send_id, recipient, channel,
                      type(result).__name__, result, exc_info=log.isEnabledFor(logging.DEBUG))
            self._failed(group, f"UNSENDABLE: {type(result).__name__}: {result}")
        else:
            self._settle_sent(p, result if isinstance(result, Sent) else Sent(str(result)))
        return []

    def _settle_sent(self, p: _Send, sent: Sent) -> None:
        group, send_id, now = p.group, p.send_id, p.now
        channel, recipient = group[0].channel, group[0].recipient
        state = "delivered" if sent.delivered else "accepted"
        log.info("%s %s by %s for %s (%s, %d message(s))", send_id, state, channel, recipient, sent.provider_id,
                 len(group))
        with self.store.transaction() as db:
            for n in group:
                self.store.settle(n, state, now, provider_id=sent.provider_id, db=db,
                                  bundle=send_id if len(group) > 1 else None,
                                  bundled=len(group) if len(group) > 1 else None)
            self.store.record_send(db, channel, recipient, now, sent.provider_id, len(group))

    def _retry(self, group: list[Notification], error: str) -> None:
        now = self.clock.now()
        for n in group:
            if n.attempts >= self.max_attempts:
                self._failed([n], f"gave up after {n.attempts} attempts: {error}")
            else:
                retry_at = now + backoff(n.attempts)
                log.warning("notification %s: %s; retry at %s", n.id, error, retry_at.isoformat())
                self.store.settle(n, "pending", now, error=error, retry_at=retry_at)

    # ------------------------------------------------------------ failures

    def _failed(self, notes: list[Notification], error: str) -> None:
        now = self.clock.now()
        with self.store.transaction() as db:
            for n in notes:
                if self.store.settle(n, "failed", now, error=error, db=db):
                    self._after_failure(db, n, error, now)

    def _after_failure(self, db, n: Notification, error: str, now) -> None:
        if self.planner is None or n.kind in ("notice", "ops"):
            return  # notices and ops messages are audited, never chased (no loops)
        fb = self.planner.fallback_for(n)
        review = self.store.review(n.alert_id, db) if n.payload.get("kind") == "review" else None
        if review is not None and (review["acked_by"] or review["handling_by"] or review["state"] != "pending"):
            # the duty officers received it (确认收到, 开始处置), or the review is over: no one to chase
            self.store.audit(db, n.alert_id, None, "fallback.skipped", now, notification_id=n.id, who=n.who,
                             reason="review acknowledged" if review["acked_by"] or review["handling_by"]
                             else f"review {review['state']}")
            return
        if self.store.reached_otherwise(db, n):
            self.store.audit(db, n.alert_id, None, "fallback.skipped", now, notification_id=n.id, who=n.who,
                             reason="reached by another message about this alert")
            return
        if fb is not None:
            if self.planner.queue(db, [fb], now):  # already queued: a replay of this failure
                self.store.audit(db, n.alert_id, None, "fallback", now, notification_id=n.id, who=n.who,
                                 from_channel=n.channel, to_channel=fb.channel, fallback_id=fb.id)
            return
        alert = self.store.get(n.alert_id, db)
        notices = self.planner.failure_notices(n, error, alert.unit_name if alert else "", now)
        queued = self.planner.queue(db, notices, now)
        self.store.audit(db, n.alert_id, None, "delivery.unreached", now, notification_id=n.id, who=n.who,
                         channel=n.channel, error=error, duty_notices=queued)

    def apply_receipt(self, provider_id: str, delivered: bool, detail: str = "") -> int:
        """A provider's delivery receipt (``alerting.receipts``): accepted rows
        with this provider id become delivered, or failed (and fall back)."""
        now = self.clock.now()
        rows = [n for n in self.store.rows_by_provider_id(provider_id) if n.state == "accepted"]
        if delivered:
            with self.store.transaction() as db:
                for n in rows:
                    self.store.settle(n, "delivered", now, provider_id=provider_id, db=db, receipt=detail)
        elif rows:
            self._failed(rows, f"delivery receipt: {detail}")
        return len(rows)
