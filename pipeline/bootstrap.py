"""The composition root: the one place that turns configuration into parts.

Everything is built lazily (nothing connects at import or construction
time), so a role builds only what it uses: the scorer never opens the
index, the indexer never loads the alert store.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

from pipeline.clock import Clock
from pipeline.config import AppConfig, load_config

log = logging.getLogger(__name__)


class App:
    def __init__(self, config: AppConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ ports

    @cached_property
    def bus(self):
        from pipeline.bus import open_bus
        from pipeline import topics
        cfg = self.config.settings.bus
        bus = open_bus(cfg.url, self.data_dir, **cfg.options)
        # Kafka: create topics with the configured partitions/replication
        # before anyone produces (auto-created topics would get broker defaults).
        bus.ensure_topics([topics.DOCS_RAW, topics.DOCS_SCORED, topics.ALERTS, topics.OPS_ALERTS,
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
        from sentiment.matching import UnitSpec
        return [UnitSpec(u.id, u.name, tuple(u.aliases), tuple(u.exclusions)) for u in self.config.members.units]

    @cached_property
    def tokenizer(self):
        from sentiment.tokenize import Tokenizer
        return Tokenizer(extra_words=[a for u in self.unit_specs for a in (u.name, *u.aliases)])

    @cached_property
    def scorer(self):
        from sentiment.levels import LevelPolicy
        from sentiment.scorer import DocumentScorer
        rules = self.config.rules
        levels = LevelPolicy([(r.level, r.min_negativity) for r in rules.levels], rules.negative_threshold)
        return DocumentScorer(self.unit_specs, rules.negative_lexicon, rules.negation_cues, levels,
                              tokenizer=self.tokenizer)

    # ------------------------------------------------------------ alerting

    @cached_property
    def alert_store(self):
        from alerting.store import AlertStore
        url = self.config.settings.alert_store.url
        if not url.startswith("sqlite:///"):
            raise ValueError(f"settings.yaml: alert_store.url: only sqlite:/// is supported, got {url!r}")
        path = Path(url.removeprefix("sqlite:///"))
        return AlertStore(path if path.is_absolute() else self.data_dir / path)

    def alert_url(self, alert_id: str) -> str:
        return f"{self.config.settings.console_base_url.rstrip('/')}/alerts/{alert_id}"

    @cached_property
    def router(self):
        from alerting.router import AlertRouter
        return AlertRouter(self.alert_store, self.config.members, self.config.rules, self.clock, self.alert_url)

    @cached_property
    def channel_clients(self) -> dict:
        from alerting.channels.email import EmailClient
        clients = {"email": EmailClient(self.config.settings.smtp)}
        log.info("notification channels enabled: %s", ", ".join(sorted(clients)))
        return clients

    @cached_property
    def notifier(self):
        from alerting.notifier import Notifier
        return Notifier(self.alert_store, self.channel_clients, self.clock)

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        for name in ("bus", "index", "alert_store"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                part.close()


def build_app(config_dir: str | Path, data_dir: str | Path | None = None, clock: Clock | None = None) -> App:
    return App(load_config(config_dir, data_dir=data_dir), clock=clock)
