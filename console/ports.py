"""What the console reads and writes: a narrow backend handed in by the composition root.

The console never sees the whole application: ``ConsoleBackend`` names the
few things it may read (configuration, the alert ledger, the index, source
health, the clock) and change (an alert's status, the audit trail, delivery
receipts). ``yuqing.console_role.console_backend`` builds it from ``App``;
tests may build one from any parts that honour the protocols below.

* The alert store is one SQLite connection that the alerting code uses from
  one thread; the console serves requests from a thread pool, so every
  alert-store call here goes through one lock (a status change's
  transaction must never interleave with another thread's statements).
* The index adapters are safe to share between threads (the SQLite one
  holds its own lock; Elasticsearch's client is thread-safe).
* Source health comes from ``backend.source_health`` (the crawlers' read
  API, ``crawlers.health.source_health``). When it is missing or fails, the console still
  lists the configured sources, marked "状态未知", instead of failing.
* The console's own database (users, sessions, handling records) is at
  ``backend.console_store``: a SQLite file (``<data_dir>/<settings.console.users_db>``
  when not given) or a PostgreSQL URL that several console processes share.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from alerting.acklinks import AckSigner, ShortLink
from console.casebook import Casebook
from console.pipeline_health import PipelineHealth
from console.reports.issues import IssueStore
from console.users import UserStore
from contracts.messages import Alert, AlertStatus, Document, ScoredDocument
from pipeline.bus import GroupLag
from pipeline.config import AppConfig
from pipeline.index import CountField, Index, SearchQuery

log = logging.getLogger(__name__)


class AlertLedger(Protocol):
    """The alert store as the console uses it (alerting.store.AlertStore honours it)."""

    def list_alerts(self, unit_id: str | None = None, limit: int = 200) -> list[Alert]: ...
    def get(self, alert_id: str) -> Alert | None: ...
    def short_link(self, code: str) -> ShortLink | None: ...
    def alert_doc_ids(self, alert_id: str) -> list[str]: ...
    def outbox(self, alert_id: str) -> Any: ...
    def audit_trail(self, alert_id: str) -> list[dict]: ...
    def change_status(self, alert_id: str, status: AlertStatus, now: datetime, *, actor: str, via: str,
                      note: str = "") -> Alert: ...
    def audit(self, db: Any, alert_id: str, unit_id: str | None, event: str, now: datetime, **detail: Any) -> None: ...
    def last_change(self) -> int: ...
    def changes_since(self, seq: int) -> tuple[int, list[str]]: ...
    def detected_at(self, alert_ids: list[str]) -> dict[str, str]: ...
    def ops_alerts(self, state: str) -> list[dict]: ...
    def overdue(self, before: datetime, reviews_before: datetime | None = None, unit: str | None = None) -> dict: ...


class EmergencyLedger(Protocol):
    """应急响应 (事件) as the console uses it (alerting.emergency.EmergencyDesk honours it). Changes raise
    KeyError for an unknown 事件 or alert and ValueError (message in Chinese) for a refused change."""

    def get(self, emergency_id: str) -> dict | None: ...
    def of_alert(self, alert_id: str) -> dict | None: ...
    def find(self, status: str | None = None, unit_id: str | None = None, limit: int = 200) -> list[dict]: ...
    def timeline(self, em: dict) -> list[dict]: ...
    def bulletins(self, em: dict) -> list[dict]: ...
    def open(self, alert_id: str, *, actor: str, via: str, reason: str = "") -> dict: ...
    def tick(self, emergency_id: str, item_id: str, done: bool, *, actor: str, via: str) -> dict: ...
    def note(self, emergency_id: str, text: str, *, actor: str, via: str) -> dict: ...
    def person(self, emergency_id: str, *, name: str, role: str = "", phone: str = "", email: str = "",
               remove: bool = False, actor: str, via: str) -> dict: ...
    def bulletin_now(self, emergency_id: str, *, actor: str, via: str) -> dict: ...
    def close(self, emergency_id: str, *, actor: str, via: str, summary: str = "", lessons: str = "") -> dict: ...


@dataclass
class ConsoleBackend:
    """Everything the console may use; each part is built lazily by its provider."""

    config: AppConfig
    data_dir: Path
    now: Callable[[], datetime]
    alerts: Callable[[], AlertLedger]
    index: Callable[[], Index]
    ack_signer: Callable[[], AckSigner]
    apply_receipt: Callable[[str, bool, str], int]
    source_health: Callable[[], list[dict]]
    # Escalation of alerts: {alert id: {"step": reached step (0 first contacts, 1 backup, 2 duty officers),
    # "told": [who got the last step], "next_at": iso time of the next step or None, "next_step": int|None}}.
    escalation: Callable[[list[str]], dict[str, dict]] = field(default=lambda ids: {})
    # The association's duty officers on duty at a time (the rota): [{"name", "phone"}].
    on_duty: Callable[[datetime], list[dict]] = field(default=lambda at: [])
    # 应急响应 (事件): opened from an alert, checklist, 续报, 复盘 (None: not available here).
    emergencies: Callable[[], EmergencyLedger] | None = None
    # forward: review (alerting/forwarding.py): {alert id: review} for the alerts held for or forwarded after
    # review ({"state": pending|forwarded|dismissed|resolved, "due_at", "forwarded_at", "forwarded_by", "via",
    # "notes", "advice", "acked_*", "handling_*"}), and the duty officer's 复核并转发 (alert id, actor, via, notes, advice) → {"forwarded": bool,
    # "review": …}; raises LookupError for an alert that is not held for review.
    reviews: Callable[[list[str]], dict[str, dict]] = field(default=lambda ids: {})
    forward: Callable[[str, str, str, str, str], dict] | None = None
    # 人工预警: route a scored document exactly as the route role would (its unit_levels say for whom);
    # returns [{"alert_id", "decision", "queued"}]. None: this console cannot raise alerts.
    route: Callable[[ScoredDocument], list[dict]] | None = None
    # 人工预警 on a 误报: reopen the dismissed alert (alert id, actor, via, reason, level) and notify it as a
    # hand-raised alert → {"decision": NOT_DISMISSED | REOPENED | REOPENED_FOR_REVIEW, "queued": [ids]}.
    reopen: Callable[[str, str, str, str, str], dict] | None = None
    # A pasted article not collected yet: scored and given its story as the score role would, and published
    # on docs.scored (the index role indexes it; the route role finds it already routed).
    ingest: Callable[[Document], ScoredDocument] | None = None
    # Users, sessions, casebook: a SQLite path or a postgresql:// URL (yuqing.bootstrap.console_store_location);
    # None: <data_dir>/<settings.console.users_db>.
    console_store: str | Path | None = None
    # The readiness check (yuqing/health.py): what this console cannot reach now; [] when ready.
    ready: Callable[[], list[str]] = field(default=lambda: [])
    # The pipeline's backlogs (console/pipeline_health.py): role (score, index, route) → what its consumer group
    # has not consumed (pipeline.bus.GroupLag; None where the bus cannot tell), for the roles this deployment runs.
    pipeline_lag: Callable[[], dict[str, GroupLag | None]] = field(default=lambda: {})


class Ports:
    def __init__(self, backend: ConsoleBackend) -> None:
        self.backend = backend
        self.config = backend.config
        self.settings = backend.config.settings
        self.console = backend.config.settings.console
        self.data_dir = backend.data_dir
        self.tz = ZoneInfo(self.settings.timezone)
        self._alerts = threading.RLock()
        self.units = {u.id: u for u in backend.config.members.units}
        self.unit_names = {u.id: u.name for u in backend.config.members.units}
        self.unit_short = {u.id: u.short for u in backend.config.members.units}
        self.source_names = {s.id: s.name for s in backend.config.sources}
        members = backend.config.members
        # Who may acknowledge through the association's duty group card: the duty officers.
        self.duty_groups = {r.recipient for r in members.robots if r.id in members.association.robots}
        self.duty_officers = list(members.association.duty_officers)

    def now(self) -> datetime:
        return self.backend.now()

    @property
    def ack_signer(self) -> AckSigner:
        return self.backend.ack_signer()

    @cached_property
    def db_path(self) -> str | Path:
        return self.backend.console_store or self.data_dir / self.console.users_db

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.db_path)

    @cached_property
    def casebook(self) -> Casebook:
        return Casebook(self.db_path)

    @cached_property
    def issues(self) -> IssueStore:
        """期号 of reports and 事件 documents (console.reports.issues), beside the users and casebook."""
        return IssueStore(self.db_path)

    def close(self) -> None:
        for name in ("users", "casebook", "issues"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                part.close()

    # ------------------------------------------------------------ alert store (one lock)

    def list_alerts(self, unit_id: str | None = None, limit: int = 200) -> list[Alert]:
        with self._alerts:
            return self.backend.alerts().list_alerts(unit_id=unit_id, limit=limit)

    def get_alert(self, alert_id: str) -> Alert | None:
        with self._alerts:
            return self.backend.alerts().get(alert_id)

    def short_link(self, code: str) -> ShortLink | None:
        """What an SMS's ``/a/<code>`` stands for (``alerting.store_links``)."""
        with self._alerts:
            return self.backend.alerts().short_link(code)

    def alert_doc_ids(self, alert_id: str) -> list[str]:
        with self._alerts:
            return self.backend.alerts().alert_doc_ids(alert_id)

    def outbox(self, alert_id: str) -> list[dict]:
        with self._alerts:
            return [dict(r) for r in self.backend.alerts().outbox(alert_id)]

    def audit_trail(self, alert_id: str) -> list[dict]:
        with self._alerts:
            return self.backend.alerts().audit_trail(alert_id)

    def change_status(self, alert_id: str, status: AlertStatus, *, actor: str, via: str, note: str = "") -> Alert:
        with self._alerts:
            return self.backend.alerts().change_status(alert_id, status, self.now(), actor=actor, via=via, note=note)

    def apply_receipt(self, provider_id: str, delivered: bool, detail: str) -> int:
        """A provider's delivery receipt (回执) → the notification's state; how many matched."""
        with self._alerts:
            return self.backend.apply_receipt(provider_id, delivered, detail)

    def audit(self, alert_id: str, unit_id: str | None, event: str, **detail) -> None:
        """Record a console action in the alert's audit trail (and so in the live feed)."""
        with self._alerts:
            self.backend.alerts().audit(None, alert_id, unit_id, event, self.now(), **detail)

    def last_change(self) -> int:
        with self._alerts:
            return self.backend.alerts().last_change()

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._alerts:
            return self.backend.alerts().changes_since(seq)

    def detected_at(self, alert_ids: list[str]) -> dict[str, str]:
        with self._alerts:
            return self.backend.alerts().detected_at(alert_ids)

    def escalation(self, alert_ids: list[str]) -> dict[str, dict]:
        with self._alerts:
            try:
                return self.backend.escalation(alert_ids)
            except Exception:  # the feed still works without the escalation badges
                log.exception("could not read escalation state")
                return {}

    def reviews(self, alert_ids: list[str]) -> dict[str, dict]:
        with self._alerts:
            try:
                return self.backend.reviews(alert_ids)
            except Exception:  # the feed still works without the 待复核 badges
                log.exception("could not read reviews")
                return {}

    def forward(self, alert_id: str, actor: str, via: str, notes: str, advice: str) -> dict:
        if self.backend.forward is None:
            raise LookupError(alert_id)
        with self._alerts:
            return self.backend.forward(alert_id, actor, via, notes, advice)

    def on_duty(self) -> list[dict]:
        try:
            return self.backend.on_duty(self.now())
        except Exception:
            log.exception("could not compute who is on duty")
            return []

    def ops_alerts(self) -> list[dict]:
        with self._alerts:
            try:
                return self.backend.alerts().ops_alerts("open")
            except Exception:  # an older store without the table: nothing to show, not an error page
                log.exception("could not read ops alerts")
                return []

    @cached_property
    def health(self) -> PipelineHealth:
        """The pipeline-health banner's readings (console/pipeline_health.py), shared by every request."""
        def overdue(before: datetime, reviews_before: datetime, unit: str | None = None) -> dict:
            with self._alerts:
                return self.backend.alerts().overdue(before, reviews_before, unit)
        return PipelineHealth(self.console.health, self.tz, self.now, overdue, self.backend.pipeline_lag)

    def pipeline_health(self, unit: str | None = None) -> dict:
        """The banner's reading; ``unit``: as that unit's lead sees it (PipelineHealth.read)."""
        return self.health.read(unit)

    def emergency(self, method: str, *args, **kwargs):
        """Call the 事件 ledger (``EmergencyLedger``) under the alert-store lock."""
        if self.backend.emergencies is None:
            raise LookupError("应急响应不可用")
        with self._alerts:
            return getattr(self.backend.emergencies(), method)(*args, **kwargs)

    def emergencies_of(self, alert_ids: list[str]) -> dict[str, dict]:
        """Alert id → the 应急事件 it was raised to, for these alerts (the feed's and the wall's 事件 badge)."""
        wanted = set(alert_ids)
        if not wanted or self.backend.emergencies is None:
            return {}
        return {em["alert_id"]: em for em in self.emergency("find", None, None, 5000) if em["alert_id"] in wanted}

    def route(self, doc: ScoredDocument) -> list[dict]:
        """Route a document as the route role would (人工预警), under the alert store's lock."""
        if self.backend.route is None:
            raise RuntimeError("this console has no alert router")
        with self._alerts:
            return self.backend.route(doc)

    def reopen(self, alert_id: str, *, actor: str, via: str, reason: str, level: str) -> dict:
        """Reopen a dismissed alert raised again by hand (人工预警) at ``level`` at least, under the alert
        store's lock."""
        if self.backend.reopen is None:
            raise RuntimeError("this console cannot reopen alerts")
        with self._alerts:
            return self.backend.reopen(alert_id, actor, via, reason, level)

    def ingest(self, doc: Document) -> ScoredDocument:
        if self.backend.ingest is None:
            raise RuntimeError("this console cannot score documents")
        return self.backend.ingest(doc)

    # ------------------------------------------------------------ index

    def search(self, query: SearchQuery):
        return self.backend.index().search(query)

    def counts(self, query: SearchQuery, by: CountField) -> dict[str, int]:
        return self.backend.index().counts(query, by)

    def get_doc(self, doc_id: str) -> ScoredDocument | None:
        return self.backend.index().get(doc_id)

    # ------------------------------------------------------------ crawler health

    def source_health(self) -> tuple[list[dict], str | None]:
        """(one dict per configured source, a note when health could not be read)."""
        try:
            return self.backend.source_health(), None
        except Exception as e:  # missing module, older schema: degrade to what config says
            log.warning("source health unavailable: %s", e)
            rows = [{"source_id": s.id, "name": s.name, "channel": s.channel.value, "spider": s.spider,
                     "enabled": s.enabled, "interval_s": s.interval, "state": "unknown"} for s in self.config.sources]
            return rows, f"无法读取采集状态（{type(e).__name__}），仅显示配置中的信息源"
