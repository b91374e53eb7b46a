"""What ``bench_e2e.py`` runs the pipeline on, and how it watches alerts and sends.

* ``Backend``: ``embedded`` (SQLite bus, stores and tantivy in one data dir)
  or ``kafka`` (a Tansu broker started per run, a throw-away PostgreSQL
  server for the alert and story stores: tests/kit). With ``replicas`` 2 on
  Kafka each replica is a "machine" with its own data dir; the one indexer
  and its tantivy index live on the first (Elasticsearch does not run here).
* ``AlertReader``: when each document's alert was created — the router's
  ``alert_docs.added_at`` (same machine, same clock) — through
  ``pipeline.statedb``, so one query on both engines.
* ``SendRecorder``: an SMTP server stamping each message's arrival with its
  notification id (``X-Yuqing-Notification``): the first send of an alert.
"""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from aiosmtpd.controller import Controller

from pipeline.statedb import connect
from tests.kit import copy_config, free_port

if TYPE_CHECKING:
    from tests.kit.tansu import TansuBroker

NOTIFICATION_HEADER = re.compile(rb"^X-Yuqing-Notification: *(\S+)", re.MULTILINE | re.IGNORECASE)


class SendRecorder:
    """SMTP on a free port; ``sent``: notification id → arrival (epoch seconds)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sent: dict[str, float] = {}
        self.lock = threading.Lock()
        recorder = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                # The header alone, not a parse of the whole message: this server shares the bench
                # process (and its CPU) with the publisher and the readers.
                raw = envelope.original_content or envelope.content
                found = NOTIFICATION_HEADER.search(raw.split(b"\r\n\r\n", 1)[0])
                with recorder.lock:
                    recorder.sent.setdefault(found.group(1).decode() if found else "", time.time())
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SendRecorder:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class Backend:
    """Where a run's bus and state stores live; ``settings()`` gives each replica's overrides."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._pg = None
        self._broker: TansuBroker | None = None
        if kind == "kafka":
            from tests.kit.postgres import PostgresServer
            self._pg = PostgresServer().start()
            if not self._pg.url:
                raise SystemExit(f"kafka backend: {self._pg.unavailable}")

    def begin(self) -> None:
        """A fresh broker (the pipeline's topic and group names are fixed) and database per run."""
        self.end()
        self.db_url = ""
        if self.kind == "kafka":
            from tests.kit.tansu import TansuBroker
            self._broker = TansuBroker().start()
            assert self._pg is not None  # started with the stack for kind "kafka"
            self.db_url = self._pg.new_database()

    def configs(self, tmp: Path, replicas: int, smtp_port: int) -> list[Path]:
        """One config folder per machine (embedded: one machine, whatever the replicas)."""
        base = {"sms": {"provider": None}, "smtp": {"host": "127.0.0.1", "port": smtp_port},
                "demo": {"site_port": None, "mailsink_port": None, "gateways": False, "users": False}}
        red_at_once = {"alerting": {"routes": {"red": {"forward": "auto"}}}}  # the demo holds red for review
        if self.kind == "embedded":
            return [copy_config(tmp / "config", settings={**base, "data_dir": str(tmp / "data")}, rules=red_at_once)]
        assert self._broker is not None
        extra = {"bus": {"url": self._broker.url, "options": {"partitions": 4}},
                 "alert_store": {"url": self.db_url}}
        return [copy_config(tmp / f"m{i}" / "config", settings={**base, **extra, "data_dir": str(tmp / f"m{i}" / "data")},
                            rules=red_at_once) for i in range(replicas)]

    def alert_store(self, data_dir: Path) -> str | Path:
        return self.db_url or data_dir / "alerts.db"

    def end(self) -> None:
        if self._broker is not None:
            self._broker.stop()
            self._broker = None

    def close(self) -> None:
        self.end()
        if self._pg is not None:
            self._pg.stop()


class AlertReader(threading.Thread):
    """Polls ``alert_docs``: ``seen`` doc id → when its alert was created (epoch seconds), ``alert_of``
    doc id → alert id. Rows committed late by another router may carry an earlier ``added_at``:
    each poll looks back ``LOOKBACK``."""

    LOOKBACK = timedelta(seconds=10)

    def __init__(self, where: str | Path) -> None:
        super().__init__(daemon=True)
        self.where = where
        self.seen: dict[str, float] = {}
        self.alert_of: dict[str, str] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                db = connect(self.where)
                break
            except Exception:  # the file or database is not there yet
                time.sleep(0.05)
        else:
            return
        since = "0"
        try:
            while not self.stop.wait(0.02):
                try:
                    rows = db.execute("SELECT alert_id, doc_id, added_at FROM alert_docs WHERE added_at > ?",
                                      (since,)).fetchall()
                except Exception:  # the router has not created its tables yet
                    continue
                latest = since
                for alert_id, doc_id, added_at in rows:
                    if doc_id not in self.seen:
                        self.seen[doc_id] = datetime.fromisoformat(added_at).timestamp()
                        self.alert_of[doc_id] = alert_id
                    latest = max(latest, added_at)
                if latest != since:
                    since = (datetime.fromisoformat(latest) - self.LOOKBACK).astimezone(timezone.utc).isoformat()
        finally:
            db.close()


def first_sends(where: str | Path, recorder: SendRecorder) -> dict[str, float]:
    """alert id → when its first message reached the SMTP server."""
    db = connect(where)
    try:
        rows = db.execute("SELECT id, alert_id FROM outbox WHERE channel = 'email'").fetchall()
    finally:
        db.close()
    with recorder.lock:
        sent = dict(recorder.sent)
    out: dict[str, float] = {}
    for note_id, alert_id in rows:
        if note_id in sent:
            out[alert_id] = min(out.get(alert_id, sent[note_id]), sent[note_id])
    return out
