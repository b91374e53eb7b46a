"""The alert store's batch transactions and the event matcher's read (mixed into ``AlertStore``).

Batch (``AlertStore.batch``): on SQLite every transaction is ``BEGIN
IMMEDIATE`` plus a commit with an fsync (``synchronous=FULL``), so a router
writing one transaction per document spends most of its time taking the lock
and syncing. Inside ``batch()`` the whole bus batch is ONE transaction and each
``transaction()`` opened in it is a SAVEPOINT: every unit of work keeps its
own all-or-nothing (an exception rolls back that unit only, exactly as
before), the decisions are the same (each unit reads what the earlier ones
wrote), and the one commit at the end is the durability point.

At-least-once contract of a batch: the caller (the route role) commits the
bus offsets only after ``batch()`` has committed. A crash before that commit
loses the whole batch's writes and the bus replays the whole batch; a crash
between the store's commit and the offsets' commit replays it too, and every
write is keyed by a derived id (alert, alert document, notification, timer),
so the replay records ``ALREADY_RECORDED`` and queues nothing twice.

On PostgreSQL ``batch()`` changes nothing: transactions commit one by one, as
routers and notifiers run side by side there and hold per-alert locks until
commit (a batch holding many would serialise them and could deadlock).

Event candidates (``open_event_candidates``): the event matcher (one incident,
one alert) compares each new (story, unit) with the unit's open alerts. Their
ids, document counts and last-seen times come from the ``alerts_unit`` index;
the identifying parts (risk types, key terms, title) change only when a
document joins (``doc_count`` grows), so they are parsed once per version and
kept in memory — a cache forgotten whenever a transaction rolls back.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from contracts.messages import Alert
from pipeline.statedb import Conn, transaction
from sentiment.stories import title_numbers

CACHE_MAX = 20_000  # candidates kept in memory (the open alerts of every unit, many times over)


@dataclass(frozen=True)
class EventCandidate:
    """An open alert as the event matcher sees it."""

    alert_id: str
    last_seen: datetime
    numbers: frozenset[str]  # the numbers in its title (sentiment.stories.title_numbers)
    risks: frozenset[str]
    terms: frozenset[str]


class BatchMixin:
    _db: Conn
    pg: bool
    _batch_depth: int = 0
    _savepoints: int = 0
    _candidates: dict[str, tuple[tuple[int, str], EventCandidate]]  # alert id → (its version, what it is)

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One unit of work, all or nothing: a transaction, or a savepoint inside ``batch()``."""
        if self._batch_depth:
            self._savepoints += 1
            name = f"unit{self._savepoints}"
            self._db.execute(f"SAVEPOINT {name}")
            try:
                yield self._db
            except BaseException:
                self._db.execute(f"ROLLBACK TO {name}")
                self._db.execute(f"RELEASE {name}")
                self._forget()
                raise
            self._db.execute(f"RELEASE {name}")
            return
        try:
            with transaction(self._db) as db:
                yield db
        except BaseException:
            self._forget()
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the transactions opened inside into one commit (SQLite; see the module doc)."""
        if self.pg or self._batch_depth:
            yield
            return
        try:
            with transaction(self._db):
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
        except BaseException:
            self._forget()
            raise

    def _forget(self) -> None:
        self.__dict__["_candidates"] = {}

    def open_event_candidates(self, db: Conn, unit_id: str, limit: int = 50) -> list[EventCandidate]:
        """The unit's open (not resolved or dismissed) alerts, most recently seen first."""
        cache = self.__dict__.setdefault("_candidates", {})
        if len(cache) > CACHE_MAX:
            cache.clear()
        rows = db.execute("SELECT id, doc_count, last_seen FROM alerts WHERE unit_id=? AND status NOT IN"
                          " ('resolved','dismissed') ORDER BY last_seen DESC LIMIT ?", (unit_id, limit)).fetchall()
        versions = {r["id"]: (r["doc_count"], r["last_seen"]) for r in rows}
        missing = [i for i, v in versions.items() if cache.get(i, (None,))[0] != v]
        if missing:
            marks = ",".join("?" * len(missing))
            for r in db.execute(f"SELECT a.id, a.body, s.body AS state FROM alerts a LEFT JOIN alert_state s"
                                f" ON s.alert_id = a.id WHERE a.id IN ({marks})", missing).fetchall():
                alert, state = Alert.model_validate_json(r["body"]), json.loads(r["state"] or "{}")
                cache[r["id"]] = (versions[r["id"]], EventCandidate(
                    alert.id, alert.last_seen, frozenset(title_numbers(alert.representative.title)), frozenset(state.get("risks", ())),
                    frozenset(state.get("terms", ()))))
        return [cache[i][1] for i in versions if i in cache]
