"""The story store: which story each document joined, shared by every scorer.

Several ``yuqing score`` processes may run at once (the bus splits partitions
between them), and reposts of one story land on any of them, so story state
lives in one SQLite database in the data directory (WAL, so readers never
block), not in a worker's memory. The grouping decision itself is pure
(sentiment/stories.py); this module finds the candidates and records the result.

Contract:

* ``assign(doc)`` returns the story id for the document and the story's
  state after counting it, in one ``BEGIN IMMEDIATE`` transaction, so two
  processes never both start a story for two copies of one text;
  ``assign_many(docs)`` does a bus batch in one transaction (the score role's
  way: one commit per batch), each document seeing those before it;
* idempotent: a document seen again (a replay after a crash) gets the story
  it got the first time and is not counted twice;
* only documents seen within ``window`` of a candidate are compared, and
  ``prune`` forgets the bands of documents older than that (their rows and
  stories stay: a replay still finds its story, a title still its story);
* candidates by bands come from each process's band index in memory
  (pipeline/story_index.py), brought up to date inside each batch's
  transaction from the documents and prunes other processes committed since
  (``story_docs.seq``, ``story_prunes``), so it answers as the shared store:
  the same candidates in every process, and a process that dies or starts
  reads the store afresh; a rolled-back batch drops the index (read afresh at
  the next batch), so it never holds rows the store does not;
* durability: ``assign_many`` returns after its transaction is committed, and
  the score role publishes the batch's scored messages and commits the bus
  offset only then, so a crash before that replays the batch (idempotent, see
  above). On SQLite the file is in WAL mode with ``synchronous=NORMAL``: a
  killed process loses nothing committed; a power loss may lose the batches
  committed since the last checkpoint (every ~40 MB of WAL, see
  ``SQLITE_CHECKPOINT_PAGES``) — their story rows, not the bus offsets already
  past them — so a replayed copy of such a document would start or join a
  story afresh.

Scorers on several machines share it on PostgreSQL (``postgresql://…`` as
``story_store.url`` in settings.yaml; pipeline/statedb.py): there a batch
takes one advisory lock for the whole store at ``BEGIN``, so assignments take
turns exactly as ``BEGIN IMMEDIATE`` makes them on SQLite. Tables come from
versioned SQL per engine in ``pipeline/migrations/stories/``.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path

from contracts.messages import ScoredDocument
from pipeline.statedb import connect, is_postgres, lock_key, migrate
from pipeline.story_index import BandIndex, sketch_bytes
from sentiment import stories as logic
from sentiment.sketches import fingerprints

MIGRATIONS = Path(__file__).parent / "migrations" / "stories"
MAX_CANDIDATES = 20  # most recent documents sharing a band, compared in full
PRUNE_EVERY = 1000
# SQLite: each batch's rows land in random pages of the title index, and (before migration 143) 16 band rows per
# document in random pages of the band index, ~1,000 pages per batch of 100 once the window held ~10,000
# documents. SQLite's default 2 MB page cache spilled them to the WAL before the commit and its checkpoint after
# every 1,000 WAL pages copied them back at nearly every commit; 64 MB and a checkpoint every 10,000 pages
# (~40 MB of WAL) cost ~25 % less CPU per document there (bench/bench_stories.py).
SQLITE_CACHE_KIB = 65_536
SQLITE_CHECKPOINT_PAGES = 10_000


def _us(t: datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def _encoder(ascii_only: bool):
    """``json.dumps(value)``'s C encoder (``ensure_ascii=ascii_only``), built once: json.dumps builds it and its
    closures at every call (bench/README.md: a new story's body ≈ 46 k -> ≈ 27 k instructions, a title's numbers
    ≈ 14.5 k -> ≈ 5 k). The same text, as its arguments are json.dumps's but the check for circular references
    (a story's body and a title's numbers hold none). None where the json module has no C encoder."""
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        return None
    return c_make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii if ascii_only else encode_basestring,
                          None, ": ", ", ", False, False, True)


_ENCODERS = {ascii_only: _encoder(ascii_only) for ascii_only in (True, False)}


def _dumps(value, ensure_ascii: bool) -> str:
    """``json.dumps(value, ensure_ascii=ensure_ascii)`` by the encoder built once (json.dumps itself without one)."""
    encoder = _ENCODERS[ensure_ascii]
    return json.dumps(value, ensure_ascii=ensure_ascii) if encoder is None else "".join(encoder(value, 0))


def _numbers_json(numbers: tuple[str, ...]) -> str:
    """``json.dumps(numbers)``; most titles have none."""
    return _dumps(numbers, True) if numbers else "[]"


def _body_json(body: dict) -> str:
    """``json.dumps(body, ensure_ascii=False)``: a story's body as stored."""
    return _dumps(body, False)


_ZONES: dict[timedelta, timezone] = {}  # by offset: a few dozen at most (whole minutes within a day)


def _std_zone(t: datetime) -> datetime:
    """``t`` with its offset as a ``datetime.timezone``: the same instant, offset and
    ``isoformat``. Pydantic's own tzinfo answers ``utcoffset`` through a Python call,
    which a story's comparisons, hour and text each make (~3 k instructions each)."""
    zone = t.tzinfo
    if zone is None or type(zone) is timezone:
        return t
    offset = zone.utcoffset(t)
    if offset is None or not -_DAY < offset < _DAY:
        return t
    std = _ZONES.get(offset)
    if std is None:
        std = _ZONES[offset] = timezone(offset)
    return t.replace(tzinfo=std)


_DAY = timedelta(days=1)
_DOC_COLUMNS = "seq, doc_id, story_id, title_key, numbers, sketch, seen_us"  # as BandIndex.add_row reads them
_INSERT_DOC = ("INSERT INTO story_docs (doc_id, story_id, title_key, numbers, sketch, seen_us, seq, banded)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
# A story's id and its stored body (None: not stored), read along with a candidate.
_Stored = tuple[str, str | None] | None


def _snapshot(story: logic.Story) -> dict:
    """The story's state now: later documents of the batch change the object."""
    d = story.to_dict()
    return {**d, "channels": dict(d["channels"]), "sites": dict(d["sites"]), "spread": dict(d["spread"])}


def _with_story(doc: ScoredDocument, update: dict) -> ScoredDocument:
    """``doc.model_copy(update=update)`` (``story_id``, ``story``: fields of the model) without
    pydantic's general copy: the same fields, extra fields, fields set and private state."""
    cls = type(doc)
    copied = cls.__new__(cls)
    object.__setattr__(copied, "__dict__", {**doc.__dict__, **update})
    extra = doc.__pydantic_extra__
    object.__setattr__(copied, "__pydantic_extra__", None if extra is None else dict(extra))
    object.__setattr__(copied, "__pydantic_fields_set__", doc.__pydantic_fields_set__ | update.keys())
    private = getattr(doc, "__pydantic_private__", None)
    object.__setattr__(copied, "__pydantic_private__", None if private is None else dict(private))
    return copied


class StoryStore:
    def __init__(self, path: str | Path, window: timedelta = timedelta(days=7)) -> None:
        self.path: str | Path = str(path) if is_postgres(path) else Path(path)
        self.window = window
        self._db = connect(self.path)
        if not is_postgres(self.path):
            self._db.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            self._db.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
        migrate(self._db, "stories", MIGRATIONS)
        self._lock = threading.Lock()
        self._assigned = 0
        self._batch: dict[str, logic.Story] = {}
        # Each id a new story of the batch would take, with its stored body (None: not stored) as the
        # batch began: stories are written at the batch's end, so the table does not change before.
        self._stored: dict[str, str | None] = {}
        # The band index (pipeline/story_index.py), read at the first batch; None again after a rollback.
        self._index: BandIndex | None = None

    def assign(self, doc: ScoredDocument) -> ScoredDocument:
        """The document with its story id and story state filled in."""
        return self.assign_many([doc])[0]

    def assign_many(self, docs: Sequence[ScoredDocument]) -> list[ScoredDocument]:
        """``assign`` for a bus batch in one transaction (one commit, not one
        per document); a document joins stories started earlier in the batch."""
        sketches = fingerprints([(doc.title, doc.text) for doc in docs])  # the batch's long texts hashed together
        prepared = [(doc, _std_zone(doc.published_at or doc.crawled_at), sketch) for doc, sketch in zip(docs, sketches)]
        # (story id, story state) as each document left it: taken at once,
        # before a later document of the batch joins the same story.
        states: list[tuple[str, dict] | None] = []
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                lock_key(db, "stories")  # PostgreSQL: one batch at a time, as BEGIN IMMEDIATE on SQLite
                self._catch_up()
                # Stories touched by this batch, written once at its end: no
                # other process writes while the batch holds the store.
                self._batch = {}
                done = self._seen_before([doc.id for doc, _, _ in prepared])
                self._stored = self._stored_bodies(
                    [doc.story_id or logic.story_id_for(doc.title, doc.id) for doc, _, _ in prepared if doc.id not in done])
                for doc, seen, sketch in prepared:
                    story_id = done.get(doc.id)
                    # A replay gets the same story, not counted again.
                    story = self._get(story_id) if story_id else self._join(doc, seen, sketch)
                    if story is not None and story_id is None:
                        done[doc.id] = story.id
                    states.append((story.id, _snapshot(story)) if story else None)
                if self._batch:
                    db.executemany(
                        "INSERT INTO stories (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body=excluded.body",
                        [(st.id, _body_json(st.to_dict())) for st in self._batch.values()])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._index = None  # it may hold rows of this batch, now undone: read afresh
                raise
            finally:
                self._batch = {}
                self._stored = {}
            before = self._assigned
            self._assigned += len(prepared)
            prune = self._assigned // PRUNE_EVERY > before // PRUNE_EVERY
        if prune and prepared:
            self.prune(max(seen for _, seen, _ in prepared) - self.window)
        return [_with_story(doc, {"story_id": state[0], "story": state[1]} if state else {"story": None})
                for (doc, _, _), state in zip(prepared, states)]

    def _seen_before(self, doc_ids: list[str]) -> dict[str, str]:
        """The story of each document of ``doc_ids`` already in the store (replays)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(doc_ids))
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            found.update(self._db.execute(
                f"SELECT doc_id, story_id FROM story_docs WHERE doc_id IN ({','.join('?' * len(part))})",
                part).fetchall())
        return found

    def _stored_bodies(self, story_ids: list[str]) -> dict[str, str | None]:
        """Each story of ``story_ids`` as stored: its body, None when there is none."""
        found: dict[str, str | None] = dict.fromkeys(story_ids)
        unique = list(found)
        for i in range(0, len(unique), 500):
            part = unique[i:i + 500]
            found.update(self._db.execute(f"SELECT id, body FROM stories WHERE id IN ({','.join('?' * len(part))})",
                                          part).fetchall())
        return found

    def _join(self, doc: ScoredDocument, seen: datetime, sketch: tuple[int, ...]) -> logic.Story:
        seen_us = _us(seen)
        since = _us(seen - self.window)
        parts = logic.title_parts(doc.title)
        key, numbers = parts
        bands = logic.band_keys(sketch)
        candidates, stored = self._candidates(key, bands, since)
        story_id = logic.choose_story(doc.title, sketch, candidates, parts)
        story = self._get(story_id, stored) if story_id else None
        if story is None:
            new_id = story_id or doc.story_id or logic.story_id_for(doc.title, doc.id)
            # Same title id seen outside the window: continue it.
            existing = self._get(new_id, (new_id, self._stored[new_id]) if new_id in self._stored else None)
            story = existing or logic.new_story(new_id, seen)
        logic.add_document(story, seen, doc.channel.value, doc.site)
        self._batch[story.id] = story
        index = self._index
        assert index is not None  # read by _catch_up
        seq = index.seq + 1
        numbers_text, as_stored = _numbers_json(numbers), sketch_bytes(sketch)
        self._db.execute(_INSERT_DOC, (doc.id, story.id, key, numbers_text, as_stored, seen_us, seq, 1 if bands else None))
        index.seq = seq
        if bands:  # a later document's candidate, of this batch or the next
            index.add((seq, seen_us, story.id, key, numbers_text, as_stored), doc.id, bands)
        return story

    def _candidates(self, key: str, keys: list[int], since: int) -> tuple[list[logic.Candidate], _Stored]:
        """The documents ``choose_story`` compares a new one with: a document seen since ``since``
        under the same title, then the only one (``choose_story`` takes it before any other, so
        the band query is not made: a repost under its title costs one indexed lookup), else the
        most recent documents sharing a band. With them, the title match's story as stored
        (``(story id, body or None)``, for ``_get``), else None."""
        if len(key) >= logic.MIN_TITLE:
            # The story's stored body comes along (the story read next, when no document of the batch
            # has changed it): one statement, not two. The earliest such document, ties by document id
            # (the index's order, migration 141), on both engines.
            row = self._db.execute(
                "SELECT d.story_id, s.body FROM story_docs AS d LEFT JOIN stories AS s ON s.id = d.story_id"
                " WHERE d.title_key = ? AND d.seen_us >= ? ORDER BY d.seen_us, d.doc_id LIMIT 1",
                (key, since)).fetchone()
            if row:
                return [logic.Candidate(row[0], key, (), ())], (row[0], row[1])
        if not keys:
            return [], None
        index = self._index
        assert index is not None  # read by _catch_up
        return [index.candidate(i) for i in index.recent(keys, since, MAX_CANDIDATES)], None

    def _get(self, story_id: str, stored: _Stored = None) -> logic.Story | None:
        """The story as this batch left it, else as stored (``stored``: its body already read)."""
        if story_id in self._batch:
            return self._batch[story_id]
        if stored is not None and stored[0] == story_id:
            body = stored[1]
            return logic.Story.from_dict(json.loads(body)) if body is not None else None
        row = self._db.execute("SELECT body FROM stories WHERE id = ?", (story_id,)).fetchone()
        return logic.Story.from_dict(json.loads(row[0])) if row else None

    def get(self, story_id: str) -> logic.Story | None:
        with self._lock:
            return self._get(story_id)

    def _catch_up(self) -> None:
        """The band index as the store holds it now (inside a batch's transaction: no one else writes): read
        whole the first time, then the documents and prunes other processes stored since it last looked."""
        db = self._db
        index = self._index
        if index is None:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM story_docs").fetchone()[0]
            prunes = db.execute("SELECT COALESCE(MAX(id), 0) FROM story_prunes").fetchone()[0]
            index = BandIndex(seq, prunes)
            for row in db.execute(f"SELECT {_DOC_COLUMNS} FROM story_docs WHERE banded = 1"):
                index.add_row(row)
            self._index = index
            return
        rows = db.execute(f"SELECT {_DOC_COLUMNS}, banded FROM story_docs WHERE seq > ? ORDER BY seq",
                          (index.seq,)).fetchall()
        for row in rows:
            if row[7] == 1:  # banded now: no prune since has dropped it
                index.add_row(row)
        if rows:
            index.seq = rows[-1][0]
        for prune_id, upto_seq, before_us in db.execute(
                "SELECT id, upto_seq, before_us FROM story_prunes WHERE id > ? ORDER BY id", (index.prunes,)).fetchall():
            index.prune(upto_seq, before_us)
            index.prunes = prune_id

    def prune(self, before: datetime) -> int:
        """Forget the bands of documents stored so far and seen before ``before`` (a document stored
        later keeps them until the next prune); how many documents."""
        before_us = _us(before)
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                lock_key(db, "stories")
                self._catch_up()
                index = self._index
                assert index is not None
                count = db.execute("UPDATE story_docs SET banded = NULL WHERE banded = 1 AND seen_us < ?",
                                   (before_us,)).rowcount
                prune_id = index.prunes + 1
                db.execute("INSERT INTO story_prunes (id, upto_seq, before_us) VALUES (?, ?, ?)",
                           (prune_id, index.seq, before_us))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._index = None
                raise
            index.prune(index.seq, before_us)
            index.prunes = prune_id
            return count

    def close(self) -> None:
        self._db.close()
