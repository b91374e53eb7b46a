"""What each process does. ``yuqing <role>`` runs one; ``yuqing run`` runs all.

Every role takes the App and a stop event and returns when the event is set.
"""
from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from contracts.messages import Document, OpsAlert, ScoredDocument
from contracts.topics import DOCS_RAW, DOCS_SCORED, OPS_ALERTS
from pipeline import metrics
from pipeline.bus import Record
from pipeline.workers import Output, PoisonMessage, dead_letter, decode, per_record, run_stage
from yuqing.bootstrap import App, CannotStart  # noqa: F401  (CannotStart: re-exported for the CLI)

INDEX_BATCH = 500  # records per index commit in a burst (the other stages take run_stage's 100)
# Index batches begin at most this often unless one is full: a tantivy commit costs ~14 ms CPU
# whatever its size, so a role keeping up in small batches paid for it per few documents (1.9-3.2
# ms CPU per document in batches of 10, 0.6-0.8 in batches of 100 or 500; bench/README.md, end to
# end). Search sees a new document up to this much later; alerts do not wait for the index.
INDEX_LINGER = 0.5

log = logging.getLogger(__name__)


# Container objects allocated (net of those freed) between two young collections; CPython's default is 700.
GC_YOUNG = 10_000


def settle() -> None:
    """Take what is alive now, the role's parts built for the life of the process (configuration,
    the scorer's model, lexicons and automata, stores), out of the garbage collector's reach
    (``gc.freeze``), after collecting what start-up left. A full collection in the hot loop then
    walks the objects the loop made, not ~70 k long-lived ones as well: the score role's CPU per
    document falls 8–18 % (bench/README.md). Nothing is rebuilt later in a role's process, so no
    frozen object becomes garbage that would be kept.

    And a young collection every GC_YOUNG container objects, not 700: a role's batch (100 scored
    messages, their units and reasons) holds a few thousand at once, which at 700 were walked and
    promoted several times per batch before they were freed by reference counting anyway (the
    score role's instructions per long text −1.3 %, bench/README.md); garbage in cycles is still
    collected, a little later."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


def score(app: App, stop: threading.Event) -> None:
    scorer, stories = app.scorer, app.story_store
    settle()

    def handle(records: Sequence[Record]) -> list[Output]:
        scored, sources, poison = [], [], []
        for rec in records:
            try:
                # Scoring is pure; the story store (shared by every scorer
                # process) then says which story each document joins.
                source = decode(rec, Document)
                scored.append(scorer.score(source, now=app.clock.now()))
                sources.append((source, rec.value))
            except PoisonMessage as e:
                log.error("score: %s", e)
                poison.append(dead_letter(rec, str(e), "score"))
        out = []
        for doc, (source, raw) in zip(stories.assign_many(scored), sources):  # one transaction for the batch
            metrics.DOCS_SCORED.labels(doc.level.value if doc.level else "none").inc()
            metrics.NEGATIVITY.observe(doc.negativity)
            if doc.level:
                log.info("doc %s negative for %s (%.2f): %s", doc.id, list(doc.unit_levels), doc.negativity, doc.title)
            # Keyed by story so every document of a story stays in order for the router.
            # The record's own bytes carry the document's fields (contracts/messages.py to_bytes_from).
            out.append(Output(DOCS_SCORED, doc.story_id, doc.to_bytes_from(source, raw)))
        return out + poison

    run_stage(app.bus, [DOCS_RAW], "scorer", handle, stop, alarm_after=app.config.settings.store_alarm_after)


def index(app: App, stop: threading.Event) -> None:
    from pipeline.index.migrate import legacy_index
    idx = app.index
    legacy = legacy_index(app.data_dir, app.config.settings.index.url)
    if legacy is not None:
        log.warning("%s holds documents indexed before the index moved to %s; copy them with "
                    "`yuqing reindex` (the file is kept until then)", legacy, app.config.settings.index.url)

    pruner = Pruner(app)
    settle()

    def handle(records: Sequence[Record]) -> list[Output]:
        pruner.maybe_prune()  # under constant load the stage is never idle
        docs, poison = {}, []
        for rec in records:
            try:
                doc = decode(rec, ScoredDocument)
                docs[doc.id] = doc  # the last version of a doc in a batch wins
            except PoisonMessage as e:
                poison.append(dead_letter(rec, str(e), "index"))
        if docs:
            idx.upsert(list(docs.values()))
        return poison

    # Up to INDEX_BATCH records per commit: a poll returns what is there at once, so this
    # only matters in a burst, where each tantivy commit (and the segment merging it
    # causes) is most of the index's cost per document (bench/README.md, index section).
    run_stage(app.bus, [DOCS_SCORED], "indexer", handle, stop, batch=INDEX_BATCH, on_idle=pruner.maybe_prune,
              alarm_after=app.config.settings.store_alarm_after, linger=INDEX_LINGER)


class Pruner:
    """The index role's daily retention prune (settings.yaml index.retention_days): first
    when the role starts, then every ``index.prune_every``; a failure is retried within the hour."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.retention = app.config.settings.index.retention_days
        self.every = timedelta(seconds=app.config.settings.index.prune_every)
        self.next_at: datetime | None = None  # None: prune at the first chance

    def maybe_prune(self) -> None:
        from pipeline.index import IndexError_
        from pipeline.index.retention import prune
        now = self.app.clock.now()
        if not self.retention or (self.next_at is not None and now < self.next_at):
            return
        try:
            steps = prune(self.app.index, self.retention, now)
        except IndexError_ as e:
            self.next_at = now + min(self.every, timedelta(hours=1))
            log.warning("index retention: prune failed (%s); trying again at %s", e, self.next_at)
            return
        self.next_at = now + self.every
        log.info("index retention: %d document(s) pruned; next prune at %s",
                 sum(s.count for s in steps), self.next_at)


def route(app: App, stop: threading.Event) -> None:
    router, ops_router = app.router, app.ops_router
    settle()

    def handle(rec: Record) -> list[Output]:
        if rec.topic == OPS_ALERTS:  # crawler health: to the duty officers, deduped by id
            ops_router.handle(decode(rec, OpsAlert))
            return []
        doc = decode(rec, ScoredDocument)
        routed = router.handle(doc)
        for r in routed:
            metrics.ALERT_DECISIONS.labels(r.decision.value).inc()
        return []  # the alert store is the router's output (see contracts/topics.py)

    each = per_record(handle, "route")

    def handle_batch(records: Sequence[Record]) -> list[Output]:
        # One alert-store commit for the whole bus batch, before run_stage commits its offsets: a crash
        # before it replays the batch, and the replay records nothing twice (alerting/store_batch.py).
        with app.alert_store.batch():
            return each(records)

    # One consumer over both topics, so one process writes the alert store.
    run_stage(app.bus, [DOCS_SCORED, OPS_ALERTS], "router", handle_batch, stop,
              alarm_after=app.config.settings.store_alarm_after)


def notify(app: App, stop: threading.Event) -> None:
    notifier = app.notifier
    settle()
    notifier.run(stop)


def crawl(app: App, stop: threading.Event) -> None:
    from crawlers.scheduler import CrawlScheduler
    # The bus carries the source-health ops alerts (crawlers/health.py).
    scheduler = CrawlScheduler(app.config, bus=app.bus)
    settle()
    scheduler.run(stop)


def console(app: App, stop: threading.Event) -> None:
    # The web console (console/): uvicorn until the stop event, plus the
    # scheduled 舆情日报/周报 when settings.yaml console.reports is on.
    from yuqing.console_role import serve
    serve(app, stop)


ROLES = {"crawl": crawl, "score": score, "index": index, "route": route, "notify": notify, "console": console}
