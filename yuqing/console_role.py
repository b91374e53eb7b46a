"""Serving the console: ``serve`` for the ``console`` role, ``ConsoleServer`` for tests.

``console_backend(app)`` is the console's narrow view of the application
(``console.ports.ConsoleBackend``): the console never receives ``App``.

Both run uvicorn on the FastAPI app built by ``console.web.create_app``. The
role runs it in the calling (main) thread until the stop event is set; a
watcher thread turns the event into uvicorn's own ``should_exit`` so open
live-feed streams end (they watch ``state.stopping``) and shutdown stays
within ``timeout_graceful_shutdown``.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import datetime

import uvicorn

from alerting.rota import DutyRoster
from alerting.store import AlertStore
from console.ports import ConsoleBackend
from console.web import create_app
from contracts.messages import Document, ScoredDocument
from contracts.topics import DOCS_RAW, DOCS_SCORED, OPS_ALERTS
from pipeline.bus import GroupLag
from yuqing.bootstrap import App, CannotStart
from yuqing.health import readiness

log = logging.getLogger(__name__)


def console_backend(app: App) -> ConsoleBackend:
    def source_health() -> list[dict]:
        from crawlers.health import source_health as read
        return [h.to_dict() for h in read(app.config)]

    def on_duty(at: datetime) -> list[dict]:
        association = app.config.members.association
        roster = DutyRoster(association.duty_officers, association.duty_rota)
        return [{"name": o.name, "phone": o.phone} for o in roster.on_duty(at)]

    def route(doc: ScoredDocument) -> list[dict]:
        return [{"alert_id": r.alert.id, "decision": r.decision.value, "queued": len(r.queued)}
                for r in app.router.handle(doc)]

    def ingest(doc: Document) -> ScoredDocument:
        # Scored and given its story here (the score role's work); indexed by the index role,
        # which holds the index's one writer: the document goes to docs.scored like any other.
        from contracts.topics import DOCS_SCORED
        [scored] = app.story_store.assign_many([app.scorer.score(doc, now=app.clock.now())])
        producer = app.bus.producer()
        try:
            producer.send(DOCS_SCORED, scored.to_bytes(), key=scored.story_id)
            producer.flush(10)
        finally:
            producer.close()
        return scored

    return ConsoleBackend(config=app.config, data_dir=app.data_dir, now=app.clock.now,
                          alerts=lambda: app.alert_store, index=lambda: app.index,
                          ack_signer=lambda: app.ack_signer,
                          apply_receipt=lambda pid, ok, detail: app.notifier.apply_receipt(pid, ok, detail),
                          source_health=source_health,
                          escalation=lambda ids: escalation_state(app.alert_store, ids),
                          on_duty=on_duty, emergencies=lambda: app.emergency,
                          reviews=lambda ids: app.alert_store.reviews(ids),
                          forward=lambda alert_id, actor, via, notes, advice: app.forwarder.forward(
                              alert_id, actor=actor, via=via, notes=notes, advice=advice),
                          route=route, ingest=ingest,
                          reopen=lambda alert_id, actor, via, reason, level: app.reopener.reopen(
                              alert_id, actor=actor, via=via, reason=reason, level=level),
                          console_store=app.console_store, ready=readiness(app, "console"),
                          pipeline_lag=lambda: pipeline_lag(app))


# What each bus-fed role consumes, as its consumer group (yuqing/roles.py run_stage) and topics.
STAGES = {"score": ("scorer", (DOCS_RAW,)), "index": ("indexer", (DOCS_SCORED,)),
          "route": ("router", (DOCS_SCORED, OPS_ALERTS))}


def pipeline_lag(app: App) -> dict[str, GroupLag | None]:
    """The backlog of each of score, index and route that this deployment runs (settings.yaml ``roles``;
    a deployment that starts each role by itself runs the default list), read from outside its group."""
    roles = app.config.settings.roles
    return {role: app.bus.group_lag(group, topics) for role, (group, topics) in STAGES.items() if role in roles}


def escalation_state(store: AlertStore, alert_ids: list[str]) -> dict[str, dict]:
    """How far each alert has escalated, who the last step told, and when the next step fires
    (the pending ``escalate`` timer). The console reads this through ``ConsoleBackend.escalation``."""
    out: dict[str, dict] = {}
    for alert_id in alert_ids:
        rows = store.outbox(alert_id)
        step = max((r["step"] for r in rows), default=0)
        told = sorted({(r["who"] or r["recipient"]) for r in rows
                       if r["step"] == step and r["kind"] not in ("ops", "bulletin")})  # 事件 续报 are not escalation
        pending = [t for t in store.timers(alert_id) if t["kind"] == "escalate" and t["state"] == "pending"]
        nxt = min(pending, key=lambda t: t["due_at"]) if pending else None
        out[alert_id] = {"step": step, "told": told, "next_at": nxt["due_at"] if nxt else None,
                         "next_step": nxt["step"] if nxt else None}
    return out


def _config(web, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(web, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                          timeout_graceful_shutdown=3, proxy_headers=False)


def serve(app: App, stop: threading.Event, host: str | None = None, port: int | None = None) -> None:
    settings = app.config.settings
    host, port = host or settings.console_host, port if port is not None else settings.console_port
    _check_port(host, port)
    web = create_app(console_backend(app), schedule_reports=settings.console.reports)
    server = uvicorn.Server(_config(web, host, port))

    def watch() -> None:
        stop.wait()
        web.state.stopping.set()
        server.should_exit = True

    threading.Thread(target=watch, name="console-stop", daemon=True).start()
    log.info("console on http://%s:%d (log in at %s/login)", host, port, settings.console_base_url.rstrip("/"))
    server.run()
    stop.set()


class PortInUse(CannotStart):
    pass


def _check_port(host: str, port: int) -> None:
    """Fail with a message a newcomer can act on, before building anything."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            raise PortInUse(f"console: cannot listen on {host}:{port} ({e.strerror}); another program uses it? "
                            f"Set YUQING_CONSOLE_PORT (demo) or console_port in settings.yaml") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConsoleServer:
    """The console on a free local port in a background thread (tests, benchmarks)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, schedule_reports: bool = False) -> None:
        self.app = app
        self.web = create_app(console_backend(app), schedule_reports=schedule_reports)
        self.host, self.port = host, port or free_port()
        self.server = uvicorn.Server(_config(self.web, self.host, self.port))
        self.thread = threading.Thread(target=self.server.run, name="console-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ConsoleServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"console did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.web.state.stopping.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
