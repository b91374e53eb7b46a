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
  ``prune`` forgets fingerprints older than that (stories themselves stay);
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
import struct
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from contracts.messages import ScoredDocument
from pipeline.statedb import connect, is_postgres, lock_key, migrate
from sentiment import stories as logic

MIGRATIONS = Path(__file__).parent / "migrations" / "stories"
MAX_CANDIDATES = 20  # most recent documents sharing a band, compared in full
PRUNE_EVERY = 1000
CANDIDATE_CACHE = 50_000  # parsed candidate rows kept (a few days of a busy province)
# SQLite: each batch's 16 band rows per document land in random pages of the band index, ~1,000
# pages per batch of 100 once the window holds ~10,000 documents. SQLite's default 2 MB page cache
# spills them to the WAL before the commit and its checkpoint after every 1,000 WAL pages copies
# them back at nearly every commit; 64 MB and a checkpoint every 10,000 pages (~40 MB of WAL) cost
# ~25 % less CPU per document there (bench/bench_stories.py).
SQLITE_CACHE_KIB = 65_536
SQLITE_CHECKPOINT_PAGES = 10_000


def _us(t: datetime) -> int:
    return int(t.timestamp() * 1_000_000)


_SKETCH_BYTES = struct.Struct(f">{logic.SKETCH}q")


def _sketch_bytes(sketch: tuple[int, ...]) -> bytes:
    """A sketch as stored (migration 140): 8-byte big-endian signed integers, as PostgreSQL's
    ``int8send`` (~16 k instructions less than its JSON text per document, and 256 bytes, not ~380)."""
    return _SKETCH_BYTES.pack(*sketch) if len(sketch) == logic.SKETCH else struct.pack(f">{len(sketch)}q", *sketch)


def _sketch_of(stored: str | bytes | memoryview) -> tuple[int, ...]:
    """A stored sketch read back: bytes, or JSON text in rows written before migration 140
    (SQLite keeps them as they are; PostgreSQL's migration converts them)."""
    if isinstance(stored, str):
        return tuple(json.loads(stored))
    data = bytes(stored)
    return _SKETCH_BYTES.unpack(data) if len(data) == _SKETCH_BYTES.size else struct.unpack(f">{len(data) // 8}q", data)


def _numbers_json(numbers: tuple[str, ...]) -> str:
    """``json.dumps(numbers)``; most titles have none."""
    return json.dumps(numbers) if numbers else "[]"


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
# A story's id and its stored body (None: not stored), read along with a candidate.
_Stored = tuple[str, str | None] | None


def _candidate(row: Sequence) -> logic.Candidate:
    """A story_docs row (doc_id, story_id, title_key, numbers, sketch) parsed."""
    return logic.Candidate(row[1], row[2], tuple(json.loads(row[3])), _sketch_of(row[4]))


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
        self._parsed: dict[str, logic.Candidate] = {}
        self._sqlite = not is_postgres(self.path)
        self._band_sql: dict[int, str] = {}  # the band query by number of keys
        self._merge_sql: dict[int, str] = {}  # SQLite's, by number of keys
        # SQLite's band rows are keyed (migration 080): a document's two equal keys are one row.
        self._insert_bands = ("INSERT INTO story_bands VALUES " if is_postgres(self.path)
                              else "INSERT OR IGNORE INTO story_bands VALUES ")
        self._insert_sql: dict[int, str] = {}  # the band rows' INSERT by number of rows

    def assign(self, doc: ScoredDocument) -> ScoredDocument:
        """The document with its story id and story state filled in."""
        return self.assign_many([doc])[0]

    def assign_many(self, docs: Sequence[ScoredDocument]) -> list[ScoredDocument]:
        """``assign`` for a bus batch in one transaction (one commit, not one
        per document); a document joins stories started earlier in the batch."""
        prepared = [(doc, _std_zone(doc.published_at or doc.crawled_at), logic.fingerprint(doc.title, doc.text))
                    for doc in docs]
        # (story id, story state) as each document left it: taken at once,
        # before a later document of the batch joins the same story.
        states: list[tuple[str, dict] | None] = []
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                lock_key(db, "stories")  # PostgreSQL: one batch at a time, as BEGIN IMMEDIATE on SQLite
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
                        [(st.id, json.dumps(st.to_dict(), ensure_ascii=False)) for st in self._batch.values()])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._parsed.clear()  # it may hold rows of this batch, now undone
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
        self._db.execute("INSERT INTO story_docs VALUES (?, ?, ?, ?, ?, ?)",
                         (doc.id, story.id, key, _numbers_json(numbers), _sketch_bytes(sketch), seen_us))
        if bands:  # one statement for the document's band rows (rows of the same statement by count)
            sql = self._insert_sql.get(len(bands))
            if sql is None:
                sql = self._insert_sql[len(bands)] = self._insert_bands + ", ".join(["(?, ?, ?)"] * len(bands))
            row = [0, doc.id, seen_us] * len(bands)
            row[::3] = bands
            self._db.execute(sql, row)
        self._keep(doc.id, logic.Candidate(story.id, key, numbers, sketch))  # a later document's candidate
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
        out: list[logic.Candidate] = []
        if keys:
            ids = self._recent_sqlite(keys, since) if self._sqlite else self._recent_postgres(keys, since)
            # A document's row never changes once written, so its parsed form
            # is kept: the same documents are candidates again and again.
            found = {i: c for i in ids if (c := self._parsed.get(i)) is not None}
            missing = [i for i in ids if i not in found]
            if missing:
                for row in self._db.execute(
                        "SELECT doc_id, story_id, title_key, numbers, sketch FROM story_docs WHERE doc_id IN "
                        f"({','.join('?' * len(missing))})", missing).fetchall():
                    found[row[0]] = self._keep(row[0], _candidate(row))
            out += [found[i] for i in ids if i in found]
        return out, None

    def _recent_postgres(self, keys: list[int], since: int) -> list[str]:
        """The documents sharing a band with a new one, most recent first, at most ``MAX_CANDIDATES``,
        in doc_id order: each key's own most recent ones by the index (key, seen_us, doc_id) read
        backwards (no table rows), then the newest of those. Equal to ordering every row of every
        key, which cost as much as the keys had documents (a story reposted a thousand times). Ties
        in time are ordered on both engines alike: a key's rows by document id descending (the index
        read backwards), the newest of all by document id ascending (what SQLite's sorter gave: the
        story dump is unchanged by saying so, and PostgreSQL now agrees). Each document once, in
        doc_id order (as SQLite's ``IN (…)`` returned them when the rows were read in the same query)."""
        sql = self._band_sql.get(len(keys))
        if sql is None:
            per_key = " UNION ALL ".join(
                f"SELECT doc_id, seen_us FROM (SELECT doc_id, seen_us FROM story_bands WHERE key = ? AND seen_us >= ?"
                f" ORDER BY seen_us DESC, doc_id DESC LIMIT {MAX_CANDIDATES}) AS k{i}" for i in range(len(keys)))
            sql = self._band_sql[len(keys)] = (
                f"SELECT doc_id FROM ({per_key}) AS recent ORDER BY seen_us DESC, doc_id LIMIT {MAX_CANDIDATES}")
        params = [since] * (2 * len(keys))
        params[::2] = keys
        return sorted({r[0] for r in self._db.execute(sql, params).fetchall()})

    def _recent_sqlite(self, keys: list[int], since: int) -> list[str]:
        """``_recent_postgres``'s documents, read as SQLite merges the keys' index ranges: every
        key's rows newest first (seen_us, then doc_id, descending: the index read backwards) in one
        stream (``MERGE (UNION ALL)``, no sorter), read only until the newest ``MAX_CANDIDATES`` rows
        and their ties in time are in, each key's rows counted up to ``MAX_CANDIDATES`` as its own
        subquery's ``LIMIT`` counted them. About 22 rows a document instead of ~190 copied through
        co-routines into a sorter on the bench's long texts (~740 k instructions a document -> ~300 k)."""
        sql = self._merge_sql.get(len(keys))
        if sql is None:
            sql = self._merge_sql[len(keys)] = " UNION ALL ".join(
                f"SELECT seen_us, doc_id, {i} FROM story_bands WHERE key = ? AND seen_us >= ?"
                for i in range(len(keys))) + " ORDER BY 1 DESC, 2 DESC"
        params = [since] * (2 * len(keys))
        params[::2] = keys
        limit = MAX_CANDIDATES
        taken = [0] * len(keys)
        rows: list[tuple[int, str]] = []  # the union's rows read so far, newest first
        cur = self._db.cursor()
        cur.row_factory = None
        for seen, doc_id, k in cur.execute(sql, params):
            if len(rows) >= limit and seen < rows[limit - 1][0]:
                break  # every row from here on is older than the newest MAX_CANDIDATES
            if taken[k] < limit:
                taken[k] += 1
                rows.append((seen, doc_id))
        cur.close()
        if len(rows) <= limit:
            return sorted({d for _, d in rows})
        # The newest MAX_CANDIDATES rows, ties at the last one's time by document id ascending.
        edge = rows[limit - 1][0]
        chosen = [d for s, d in rows if s > edge]
        chosen += sorted([d for s, d in rows if s == edge])[:limit - len(chosen)]
        return sorted(set(chosen))

    def _keep(self, doc_id: str, candidate: logic.Candidate) -> logic.Candidate:
        if len(self._parsed) >= CANDIDATE_CACHE:
            self._parsed.clear()
        self._parsed[doc_id] = candidate
        return candidate

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

    def prune(self, before: datetime) -> int:
        """Forget fingerprints of documents seen before ``before``."""
        with self._lock:
            cur = self._db.execute("DELETE FROM story_bands WHERE seen_us < ?", (_us(before),))
            return cur.rowcount

    def close(self) -> None:
        self._db.close()
