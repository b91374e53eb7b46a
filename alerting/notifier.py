"""Notifier: drains the outbox through the channel clients.

Contract: a notification is marked ``accepted`` only after its provider
accepted it. Transient errors are retried with exponential backoff up to
``max_attempts``; permanent errors and exhausted retries end ``failed`` and
are audited for the duty officer. After a crash, rows left ``sending`` are
retried, so at most the one in flight at the crash can be sent twice.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Protocol

from alerting.channels import PermanentError, TransientError
from alerting.store import AlertStore, Notification, backoff
from pipeline.clock import Clock

log = logging.getLogger(__name__)


class ChannelClient(Protocol):
    name: str

    def send(self, note_id: str, recipient: str, payload: dict) -> str: ...


class Notifier:
    def __init__(self, store: AlertStore, clients: Mapping[str, ChannelClient], clock: Clock,
                 max_attempts: int = 8) -> None:
        self.store = store
        self.clients = dict(clients)
        self.clock = clock
        self.max_attempts = max_attempts

    def recover(self) -> int:
        n = self.store.recover_in_flight(self.clock.now())
        if n:
            log.warning("re-queued %d notification(s) that were in flight when the notifier stopped", n)
        return n

    def run_once(self, limit: int = 20) -> int:
        """Send what is due; returns how many notifications were attempted."""
        notes = self.store.claim_due(self.clock.now(), limit)
        for note in notes:
            self._deliver(note)
        return len(notes)

    def run(self, stop: threading.Event, idle: float = 0.5) -> None:
        self.recover()
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle)

    def _deliver(self, note: Notification) -> None:
        client = self.clients.get(note.channel)
        now = self.clock.now
        if client is None:
            self.store.settle(note, "failed", now(), error=f"channel {note.channel!r} is not configured")
            return
        try:
            provider_id = client.send(note.id, note.recipient, note.payload)
        except PermanentError as e:
            log.error("notification %s to %s via %s failed: %s", note.id, note.recipient, note.channel, e)
            self.store.settle(note, "failed", now(), error=str(e))
        except TransientError as e:
            if note.attempts >= self.max_attempts:
                self.store.settle(note, "failed", now(), error=f"gave up after {note.attempts} attempts: {e}")
            else:
                retry_at = now() + backoff(note.attempts)
                log.warning("notification %s: %s; retry at %s", note.id, e, retry_at.isoformat())
                self.store.settle(note, "pending", now(), error=str(e), retry_at=retry_at)
        else:
            log.info("notification %s accepted by %s for %s (%s)", note.id, note.channel, note.recipient, provider_id)
            self.store.settle(note, "accepted", now(), provider_id=provider_id)
