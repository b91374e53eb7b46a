"""What the console reads and writes, all through the composition root (``App``).

* The alert store is one SQLite connection that the alerting code uses from
  one thread; the console serves requests from a thread pool, so every
  alert-store call here goes through one lock (a status change's
  transaction must never interleave with another thread's statements).
* The index adapters are safe to share between threads (the SQLite one
  holds its own lock; Elasticsearch's client is thread-safe).
* Source health comes from ``crawlers.health.source_health`` (the crawler
  engineer's read API). When it is missing or fails, the console still
  lists the configured sources, marked "状态未知", instead of failing.
* The console's own database (users, handling records) lives in
  ``<data_dir>/<settings.console.users_db>``.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from console.casebook import Casebook
from console.users import UserStore
from pipeline.bootstrap import App
from pipeline.index import SearchQuery
from pipeline.messages import Alert, AlertStatus, ScoredDocument

log = logging.getLogger(__name__)


class Ports:
    def __init__(self, app: App) -> None:
        self.app = app
        self.config = app.config
        self.settings = app.config.settings
        self.console = app.config.settings.console
        self.tz = ZoneInfo(self.settings.timezone)
        self._alerts = threading.RLock()
        self.units = {u.id: u for u in app.config.members.units}
        self.unit_names = {u.id: u.name for u in app.config.members.units}
        self.source_names = {s.id: s.name for s in app.config.sources}

    def now(self) -> datetime:
        return self.app.clock.now()

    @cached_property
    def db_path(self):
        return self.app.data_dir / self.console.users_db

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.db_path)

    @cached_property
    def casebook(self) -> Casebook:
        return Casebook(self.db_path)

    def close(self) -> None:
        for name in ("users", "casebook"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                part.close()

    # ------------------------------------------------------------ alert store (one lock)

    def list_alerts(self, unit_id: str | None = None, limit: int = 200) -> list[Alert]:
        with self._alerts:
            return self.app.alert_store.list_alerts(unit_id=unit_id, limit=limit)

    def get_alert(self, alert_id: str) -> Alert | None:
        with self._alerts:
            return self.app.alert_store.get(alert_id)

    def alert_doc_ids(self, alert_id: str) -> list[str]:
        with self._alerts:
            return self.app.alert_store.alert_doc_ids(alert_id)

    def outbox(self, alert_id: str) -> list[dict]:
        with self._alerts:
            return [dict(r) for r in self.app.alert_store.outbox(alert_id)]

    def audit_trail(self, alert_id: str) -> list[dict]:
        with self._alerts:
            return self.app.alert_store.audit_trail(alert_id)

    def change_status(self, alert_id: str, status: AlertStatus, *, actor: str, via: str, note: str = "") -> Alert:
        with self._alerts:
            return self.app.alert_store.change_status(alert_id, status, self.now(), actor=actor, via=via, note=note)

    def apply_receipt(self, provider_id: str, delivered: bool, detail: str) -> int:
        """A provider's delivery receipt (回执) → the notification's state; how many matched."""
        with self._alerts:
            return self.app.notifier.apply_receipt(provider_id, delivered, detail)

    def audit(self, alert_id: str, unit_id: str | None, event: str, **detail) -> None:
        """Record a console action in the alert's audit trail (and so in the live feed)."""
        with self._alerts:
            self.app.alert_store.audit(None, alert_id, unit_id, event, self.now(), **detail)

    def last_change(self) -> int:
        with self._alerts:
            return self.app.alert_store.last_change()

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._alerts:
            return self.app.alert_store.changes_since(seq)

    def detected_at(self, alert_ids: list[str]) -> dict[str, str]:
        with self._alerts:
            return self.app.alert_store.detected_at(alert_ids)

    def ops_alerts(self) -> list[dict]:
        with self._alerts:
            try:
                return self.app.alert_store.ops_alerts("open")
            except Exception:  # an older store without the table: nothing to show, not an error page
                log.exception("could not read ops alerts")
                return []

    # ------------------------------------------------------------ index

    def search(self, query: SearchQuery):
        return self.app.index.search(query)

    def counts(self, query: SearchQuery, by: str) -> dict[str, int]:
        return self.app.index.counts(query, by)

    def get_doc(self, doc_id: str) -> ScoredDocument | None:
        return self.app.index.get(doc_id)

    # ------------------------------------------------------------ crawler health

    def source_health(self) -> tuple[list[dict], str | None]:
        """(one dict per configured source, a note when health could not be read)."""
        try:
            from crawlers.health import source_health
            rows = [h.to_dict() for h in source_health(self.config)]
            return rows, None
        except Exception as e:  # missing module, older schema: degrade to what config says
            log.warning("source health unavailable: %s", e)
            rows = [{"source_id": s.id, "name": s.name, "channel": s.channel.value, "spider": s.spider,
                     "enabled": s.enabled, "interval_s": s.interval, "state": "unknown"} for s in self.config.sources]
            return rows, f"无法读取采集状态（{type(e).__name__}），仅显示配置中的信息源"
