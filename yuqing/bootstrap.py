"""The composition root: the one place that turns configuration into parts.

Everything is built lazily (nothing connects at import or construction
time), so a role builds only what it uses: the scorer never opens the
index, the indexer never loads the alert store.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

from contracts.clock import Clock
from pipeline.config import AppConfig, load_config

log = logging.getLogger(__name__)


class CannotStart(RuntimeError):
    """A role cannot start for a reason the operator must fix (a port in use…):
    logged as one line, without a traceback; the process exits with code 3."""


class App:
    def __init__(self, config: AppConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ ports

    @cached_property
    def bus(self):
        from contracts import topics
        from pipeline.bus import open_bus
        cfg = self.config.settings.bus
        bus = open_bus(cfg.url, self.data_dir, **cfg.options)
        # Kafka: create topics with the configured partitions/replication
        # before anyone produces (auto-created topics would get broker defaults).
        bus.ensure_topics([topics.DOCS_RAW, topics.DOCS_SCORED, topics.OPS_ALERTS,
                           topics.DEAD_LETTER])
        return bus

    @cached_property
    def index(self):
        from pipeline.index import open_index
        cfg = self.config.settings.index
        return open_index(cfg.url, self.data_dir, tokenizer=self.tokenizer.search_tokens, **cfg.options)

    # ------------------------------------------------------------ scoring

    @cached_property
    def unit_specs(self):
        from sentiment.matching import DEFAULT_CONTEXT_WORDS, UnitSpec
        members = self.config.members
        context = tuple(members.alias_context_words or DEFAULT_CONTEXT_WORDS)
        return [UnitSpec(u.id, u.name, tuple(u.aliases), tuple(u.exclusions), tuple(u.needs_context), context,
                         group=u.group or "", group_aliases=tuple(u.group_aliases))
                for u in members.units]

    @cached_property
    def scheme_specs(self):
        from sentiment.schemes import SchemeSpec
        return [SchemeSpec(s.id, u.id, tuple((g, tuple(words)) for g, words in s.groups.items()), tuple(s.exclude),
                           s.scope, s.name, s.subject_group)
                for u in self.config.members.units for s in u.schemes]

    @cached_property
    def tokenizer(self):
        from sentiment.tokenize import Tokenizer
        return Tokenizer(extra_words=[a for u in self.unit_specs for a in (u.name, *u.aliases)])

    @cached_property
    def level_policy(self):
        from sentiment.levels import EngagementBoost, LevelPolicy, LevelRule, RiskLevels
        from sentiment.spread import AuthorityClass, SpreadRules
        rules = self.config.rules
        eb = rules.engagement_boost
        boost = EngagementBoost(eb.min_engagement, eb.levels, tuple(eb.counts)) if eb else None
        sp = rules.spread
        spread = SpreadRules(
            authority=tuple(AuthorityClass(name, c.points, tuple(c.match)) for name, c in sp.authority.items()),
            engagement=tuple((e.min, e.points) for e in sp.engagement),
            per_document=sp.documents.points, max_documents=sp.documents.max,
            per_channel=sp.channels.points, max_channels=sp.channels.max,
            velocity_docs=sp.velocity.docs if sp.velocity else 0,
            velocity_points=sp.velocity.points if sp.velocity else 0)
        return LevelPolicy([LevelRule(r.level, r.min_negativity, r.min_relevance, r.min_source_weight, r.min_spread)
                            for r in rules.levels], rules.negative_threshold, rules.min_relevance, boost,
                           {k: RiskLevels(b.min, b.max) for k, b in rules.risk_levels.items()},
                           spread=spread, own_response_max=rules.own_response.max if rules.own_response else None)

    @cached_property
    def scorer(self):
        from sentiment.scorer import DocumentScorer
        rules = self.config.rules
        return DocumentScorer(self.unit_specs, rules.negative_lexicon, rules.negation_cues, self.level_policy,
                              tokenizer=self.tokenizer, schemes=self.scheme_specs, risk_weights=rules.risk_weights,
                              source_weights={s.id: s.weight for s in self.config.sources},
                              region_words=rules.region_words, english_lexicon=rules.negative_lexicon_en,
                              english_cues=rules.negation_cues_en,
                              routine_cues=rules.routine_cues, hedge_cues=rules.hedge_cues,
                              advice_cues=rules.advice_cues, frame_cues=rules.frame_cues.cues(),
                              clause_cues=rules.clause_cues.cues(), sarcasm=rules.sarcasm_forms(),
                              own_response_words=rules.own_response.words if rules.own_response else ())

    @cached_property
    def story_store(self):
        """Story grouping shared by every scorer process (pipeline/stories.py)."""
        from pipeline.stories import StoryStore
        return StoryStore(self.state_url(*self.story_store_url))

    @property
    def story_store_url(self) -> tuple[str, str]:
        """settings.yaml story_store.url, else beside the alert store: the same PostgreSQL database, or
        stories.db in the data directory."""
        from pipeline.statedb import is_postgres
        settings = self.config.settings
        if settings.story_store is not None:
            return settings.story_store.url, "story_store.url"
        if is_postgres(settings.alert_store.url):
            return settings.alert_store.url, "alert_store.url"
        return "sqlite:///stories.db", "story_store.url"

    @property
    def console_store(self) -> str | Path:
        """Where the console's users, sessions and handling records live (console_store_location)."""
        return console_store_location(self.config)

    # ------------------------------------------------------------ alerting

    @cached_property
    def alert_store(self):
        from alerting.store import AlertStore
        return AlertStore(self.state_url(self.config.settings.alert_store.url, "alert_store.url"))

    def state_url(self, url: str, field: str) -> str | Path:
        """A state store's place: ``sqlite:///name.db`` (a file in the data dir, or an absolute path)
        or ``postgresql://user@host:port/db`` (shared by every machine; see config/README.md)."""
        return state_location(url, field, self.data_dir)

    def alert_url(self, alert_id: str) -> str:
        return f"{self.config.settings.console_base_url.rstrip('/')}/alerts/{alert_id}"

    @cached_property
    def ack_signer(self):
        """Signs and verifies one-click ack links (the console verifies ``GET /ack/{token}``)."""
        from datetime import timedelta

        from alerting.acklinks import AckSigner, load_secret
        ttl = timedelta(seconds=self.config.rules.alerting.ack_link_ttl)
        return AckSigner(load_secret(self.data_dir), ttl=ttl)

    def ack_url(self, alert_id: str, recipient: str) -> str:
        token = self.ack_signer.token(alert_id, recipient, self.clock.now())
        return f"{self.config.settings.console_base_url.rstrip('/')}/ack/{token}"

    def short_link(self, alert_id: str, recipient: str):
        """The SMS's short id (``alerting.acklinks.ShortLink``); the planner puts it in the outbox row and
        the store keeps it when the row is queued."""
        return self.ack_signer.short_link(alert_id, recipient, self.clock.now())

    def short_ack_url(self, alert_id: str, recipient: str) -> str:
        """An SMS ack link made outside the planner (``/a/<8 characters>``), stored at once in its own
        transaction (never call it inside one: the planner's rows carry theirs into ``enqueue``)."""
        link = self.short_link(alert_id, recipient)
        with self.alert_store.transaction() as db:
            code = self.alert_store.add_short_links(db, [link], self.clock.now()).get(link.code, link.code)
        return f"{self.config.settings.console_base_url.rstrip('/')}/a/{code}"

    @cached_property
    def routing(self):
        from alerting.routing import Routing
        return Routing(self.config.members, self.config.rules, set(self.channel_clients),
                       self.config.settings.timezone)

    @cached_property
    def planner(self):
        from alerting.planner import Planner
        settings = self.config.settings
        return Planner(self.routing, self.alert_store, self.ack_url, settings.console_base_url,
                       short_links=self.short_link, sms_form=settings.sms.form(settings.console_base_url))

    @cached_property
    def router(self):
        from alerting.router import AlertRouter
        return AlertRouter(self.alert_store, self.config.members, self.config.rules, self.clock, self.planner,
                           self.level_policy, {s.id: s.weight for s in self.config.sources},
                           emergency=self.emergency)

    @cached_property
    def emergency(self):
        """应急响应 (事件): opened by duty officers or rules, 续报 fired by the escalator."""
        from alerting.emergency import EmergencyDesk
        return EmergencyDesk(self.alert_store, self.config.members, self.config.rules, self.clock,
                             self.config.settings.console_base_url, self.config.settings.timezone,
                             planner=self.planner)

    @cached_property
    def ops_router(self):
        from alerting.ops import OpsRouter
        return OpsRouter(self.alert_store, self.planner, self.clock, list(self.config.rules.alerting.ops_channels))

    @cached_property
    def channel_clients(self) -> dict:
        # Built in the route role too: routing must know which channels work here.
        from alerting.channels.factory import build_clients
        clients, disabled = build_clients(self.config.settings, self.config.members)
        log.info("notification channels enabled: %s", ", ".join(sorted(clients)) or "none")
        for name, why in disabled.items():
            log.info("notification channel %s disabled: %s", name, why)
        return clients

    @cached_property
    def escalator(self):
        from alerting.escalator import Escalator
        return Escalator(self.alert_store, self.planner, self.clock, emergency=self.emergency)

    @cached_property
    def forwarder(self):
        # The escalator forwards on timeout (its own Forwarder); this one serves the console's click.
        from alerting.forwarding import Forwarder
        return Forwarder(self.alert_store, self.planner, self.clock)

    @cached_property
    def reopener(self):
        # 人工预警 on a 误报: the alert is reopened and notified as a hand-raised alert (alerting/reopening.py).
        from alerting.reopening import Reopener
        return Reopener(self.alert_store, self.planner, self.clock)

    @cached_property
    def notifier(self):
        from alerting.notifier import Notifier
        from pipeline.opsalarm import StoreAlarm
        conf = self.config.rules.alerting
        return Notifier(self.alert_store, self.channel_clients, self.clock, self.planner,
                        max_attempts=conf.max_attempts, sms_per_phone_per_day=conf.sms_per_phone_per_day,
                        robot_per_minute={r.id: r.per_minute for r in self.config.members.robots},
                        escalator=self.escalator, lease=self.outbox_lease, workers=self.send_workers,
                        alarm=StoreAlarm(lambda: self.bus, "notifier", self.config.settings.store_alarm_after,
                                         now=self.clock.now, outage=self.config.settings.store_alarm_minutes * 60))

    @property
    def send_workers(self) -> int:
        # settings.yaml alert_store.options.send_workers: messages a notifier sends at once (8).
        from alerting.notifier import SEND_WORKERS
        workers = self.config.settings.alert_store.options.get("send_workers", SEND_WORKERS)
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"settings.yaml: alert_store.options.send_workers: must be an integer ≥ 1, got {workers!r}")
        return workers

    @property
    def outbox_lease(self):
        # settings.yaml alert_store.options.lease_seconds: how long a notifier's claim on an outbox row
        # lasts without renewal (how soon another notifier retakes the rows of one that died).
        from datetime import timedelta
        seconds = float(self.config.settings.alert_store.options.get("lease_seconds", 60))
        if seconds < 1:
            raise ValueError(f"settings.yaml: alert_store.options.lease_seconds: must be ≥ 1, got {seconds}")
        return timedelta(seconds=seconds)

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        for client in self.__dict__.get("channel_clients", {}).values():
            if hasattr(client, "close"):  # the e-mail client's kept SMTP sessions
                client.close()
        for name in ("bus", "index", "alert_store", "story_store"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                part.close()


def state_location(url: str, field: str, data_dir: Path) -> str | Path:
    """``postgresql://…`` as is; ``sqlite:///name.db`` as a path (relative ones in ``data_dir``)."""
    from pipeline.statedb import is_postgres
    if is_postgres(url):
        return url
    if not url.startswith("sqlite:///"):
        raise ValueError(f"settings.yaml: {field}: use sqlite:///FILE or postgresql://…, got {url!r}")
    path = Path(url.removeprefix("sqlite:///"))
    return path if path.is_absolute() else data_dir / path


def console_store_location(config: AppConfig) -> str | Path:
    """The console's users, sessions and casebook: settings.yaml ``console_store.url``; else the alert
    store's PostgreSQL database (so every console process shares them); else ``console.users_db``
    in the data directory. Used by the console role, ``yuqing user`` and the demo's seeding alike."""
    from pipeline.statedb import is_postgres
    settings = config.settings
    if settings.console_store is not None:
        return state_location(settings.console_store.url, "console_store.url", config.data_dir)
    if is_postgres(settings.alert_store.url):
        return settings.alert_store.url
    return config.data_dir / settings.console.users_db


def build_app(config_dir: str | Path, data_dir: str | Path | None = None, clock: Clock | None = None) -> App:
    return App(load_config(config_dir, data_dir=data_dir), clock=clock)


def shared_state_warnings(config: AppConfig) -> list[str]:
    """``yuqing check-config``: state that cannot be shared where the roles look spread over machines.

    Replica counts are not in the configuration; a Kafka bus is the sign of a distributed shape
    (deploy/compose.yml, deploy/k8s/yuqing.yaml). A SQLite alert, story or console store there is one
    file on one machine: a second route or notify (or scorer, or console) elsewhere would keep its own
    alerts, stories or users. On PostgreSQL, ack links are signed on one machine and opened on another:
    without YUQING_ACK_SECRET each machine makes its own secret.
    """
    import os

    from alerting.acklinks import SECRET_ENV
    from pipeline.statedb import is_postgres
    settings, where = config.settings, config.root / "settings.yaml"
    out = []
    if settings.bus.url.startswith("kafka://"):
        stores = {"alert_store.url": settings.alert_store.url,
                  "story_store.url": settings.story_store.url if settings.story_store else None,
                  "console_store.url": settings.console_store.url if settings.console_store else None}
        for name, url in stores.items():
            if url is not None and not is_postgres(url):
                out.append(f"{where}: {name}: {url} is a file on one machine, but the bus is Kafka: run one "
                           f"route and one notify (scorer, console) on that machine, or use postgresql://")
    if is_postgres(settings.alert_store.url) and not os.environ.get(SECRET_ENV):
        out.append(f"{where}: alert_store.url is PostgreSQL, shared by several machines, but ${SECRET_ENV} is not "
                   f"set: each machine would sign ack links with its own secret, which the others refuse")
    return out
