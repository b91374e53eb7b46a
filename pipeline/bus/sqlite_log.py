"""The embedded bus: a durable, partitioned log in one SQLite file (WAL mode).

Several processes may produce to and consume from the same file at once.
How the delivery contract of ``pipeline.bus.base`` is met:

* ``flush`` appends the whole buffer in one ``BEGIN IMMEDIATE`` transaction
  (all or nothing, also under SIGKILL). Producer connections use
  ``synchronous=FULL`` (option ``synchronous``): a flushed message survives a
  power cut, not only a process crash. Consumer connections use ``NORMAL``:
  in WAL mode a power cut can lose at most the last commits/heartbeats, which
  only means redelivery.
* Offsets are per (topic, partition), kept in ``heads`` so they never go
  back, even when retention has emptied a partition. A topic's partition
  count is stored on first use so every process agrees on key -> partition
  (crc32 of the key; round-robin when there is no key).
* Consumers heart-beat into ``members`` on every poll and from a background
  thread (as long as the application polls at least every
  ``max_poll_interval`` seconds). Members silent for ``session_timeout``
  seconds are dead. Partition p of a topic belongs to ``members[p % n]`` of
  the sorted live members subscribed to it; each consumer recomputes this on
  every poll and commit and drops the positions of partitions it lost, so
  their uncommitted records go to the new owner (at-least-once). All
  processes on one file should use the same ``session_timeout``.
* Retention: ``prune`` deletes messages older than ``retention_hours``;
  producers run it at most once a minute after a flush. Reads ask for
  ``offset >= position``, so a group behind retention resumes at the earliest.
"""
from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pipeline.bus.base import Bus, BusError, Consumer, Producer, Record
from pipeline.bus.memory import partition_for

log = logging.getLogger(__name__)

PRUNE_EVERY = 60.0  # seconds between opportunistic prunes per producer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (topic TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS heads (
    topic TEXT, part INTEGER, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, part));
CREATE TABLE IF NOT EXISTS messages (
    topic TEXT, part INTEGER, msg_offset INTEGER, key TEXT, value BLOB NOT NULL, ts REAL NOT NULL,
    PRIMARY KEY (topic, part, msg_offset));
CREATE TABLE IF NOT EXISTS offsets (
    grp TEXT, topic TEXT, part INTEGER, next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic, part));
CREATE TABLE IF NOT EXISTS members (
    grp TEXT, topic TEXT, member TEXT, heartbeat REAL NOT NULL, PRIMARY KEY (grp, topic, member));
"""


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    # IMMEDIATE takes the write lock up front, so a busy database makes us wait
    # (busy_timeout) at BEGIN instead of failing mid-transaction on upgrade.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # also after a failed COMMIT, or the next BEGIN fails
            conn.execute("ROLLBACK")
        raise


class SqliteBus(Bus):
    """The log in the file ``path`` (created with its folder if missing).

    Options: ``partitions`` for new topics; ``retention_hours``;
    ``session_timeout`` (s) after which a silent member is dead;
    ``busy_timeout`` (s) to wait for another process's write lock;
    ``synchronous`` for producers (FULL or EXTRA survive a power cut, NORMAL
    only a crash); ``heartbeat_interval`` (s, default session_timeout/3, at
    most 3); ``max_poll_interval`` (s) without a poll after which the
    background heartbeat stops vouching for the consumer.
    """

    def __init__(
        self,
        path: str | Path,
        partitions: int = 4,
        retention_hours: float = 168,
        session_timeout: float = 10.0,
        busy_timeout: float = 30.0,
        synchronous: str = "FULL",
        heartbeat_interval: float | None = None,
        max_poll_interval: float = 300.0,
    ) -> None:
        if partitions < 1:
            raise BusError(f"sqlite bus {path}: partitions must be >= 1, got {partitions}")
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise BusError(f"sqlite bus {path}: synchronous must be FULL, NORMAL or EXTRA, got {synchronous!r}")
        self.path = Path(path)
        self.partitions = partitions
        self.retention_hours = retention_hours
        self.session_timeout = session_timeout
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous.upper()
        self.heartbeat_interval = heartbeat_interval or min(session_timeout / 3, 3.0)
        self.max_poll_interval = max_poll_interval
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.connect()
        try:
            with _write(conn):
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self.path}: cannot create schema: {exc}") from exc
        finally:
            conn.close()

    def connect(self, synchronous: str | None = None) -> sqlite3.Connection:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self.path}: cannot open: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous or self.synchronous}")
        except sqlite3.Error as exc:
            conn.close()
            raise BusError(f"sqlite bus {self.path}: cannot open: {exc}") from exc
        return conn

    def topic_partitions(self, conn: sqlite3.Connection, topic: str) -> int:
        """Partition count of ``topic``, creating the topic on first use."""
        row = conn.execute("SELECT partitions FROM topics WHERE topic = ?", (topic,)).fetchone()
        if row is None:
            with _write(conn):  # OR IGNORE: another process may create it first
                conn.execute("INSERT OR IGNORE INTO topics VALUES (?, ?)", (topic, self.partitions))
                n = conn.execute("SELECT partitions FROM topics WHERE topic = ?", (topic,)).fetchone()[0]
                conn.executemany("INSERT OR IGNORE INTO heads VALUES (?, ?, 0)", [(topic, p) for p in range(n)])
            return n
        return row[0]

    def producer(self) -> Producer:
        return SqliteProducer(self)

    def consumer(self, topics: Sequence[str], group: str, client_id: str | None = None) -> Consumer:
        return SqliteConsumer(self, list(topics), group, client_id)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        conn = self.connect()
        try:
            for topic in topics:
                self.topic_partitions(conn, topic)
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self.path}: cannot create topics {list(topics)}: {exc}") from exc
        finally:
            conn.close()

    def prune(self, now: float | None = None) -> int:
        """Delete messages older than ``retention_hours``; return how many."""
        conn = self.connect()
        try:
            return self._prune(conn, now)
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self.path}: prune failed: {exc}") from exc
        finally:
            conn.close()

    def _prune(self, conn: sqlite3.Connection, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cutoff = now - self.retention_hours * 3600
        deleted = 0
        with _write(conn):
            for topic, part, head in conn.execute("SELECT topic, part, next_offset FROM heads").fetchall():
                # Walk the partition in offset order to the first message to keep
                # (append times grow with offsets), then cut everything before it.
                row = conn.execute(
                    "SELECT msg_offset FROM messages WHERE topic = ? AND part = ? AND ts >= ?"
                    " ORDER BY msg_offset LIMIT 1", (topic, part, cutoff)).fetchone()
                keep_from = row[0] if row else head
                deleted += conn.execute(
                    "DELETE FROM messages WHERE topic = ? AND part = ? AND msg_offset < ?",
                    (topic, part, keep_from)).rowcount
            # Rows of members dead for an hour are only clutter.
            conn.execute("DELETE FROM members WHERE heartbeat < ?", (now - 3600,))
        return deleted


class SqliteProducer(Producer):
    def __init__(self, bus: SqliteBus) -> None:
        self._bus = bus
        self._conn = bus.connect()
        self._lock = threading.Lock()
        self._buffer: list[tuple[str, bytes, str | None]] = []
        self._partitions: dict[str, int] = {}
        self._round_robin = itertools.count()
        self._last_prune: float | None = None
        self._closed = False

    def send(self, topic: str, value: bytes, key: str | None = None) -> None:
        if not isinstance(value, bytes):
            raise BusError(f"sqlite bus: value for topic {topic!r} must be bytes, got {type(value).__name__}")
        with self._lock:
            if self._closed:
                raise BusError(f"sqlite bus {self._bus.path}: producer is closed")
            self._buffer.append((topic, value, key))

    def flush(self, timeout: float | None = None) -> None:
        """Append the buffer in one transaction. On failure the buffer is
        dropped (the caller treats those messages as not sent and resends)."""
        with self._lock:
            buffer, self._buffer = self._buffer, []
            if buffer:
                self._append(buffer, timeout)
            if self._last_prune is None or time.monotonic() - self._last_prune >= PRUNE_EVERY:
                self._last_prune = time.monotonic()
                try:
                    self._bus._prune(self._conn)
                except sqlite3.Error as exc:  # the flush itself succeeded; retry next minute
                    log.warning("sqlite bus %s: prune failed: %s", self._bus.path, exc)

    def _append(self, buffer: list[tuple[str, bytes, str | None]], timeout: float | None) -> None:
        conn = self._conn
        try:
            rows = []
            for topic, value, key in buffer:
                if topic not in self._partitions:
                    self._partitions[topic] = self._bus.topic_partitions(conn, topic)
                rows.append((topic, partition_for(key, self._partitions[topic], self._round_robin), key, value))
            if timeout is not None:
                conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            try:
                with _write(conn):
                    heads: dict[tuple[str, int], int] = {}
                    now = time.time()
                    out = []
                    for topic, part, key, value in rows:
                        if (topic, part) not in heads:
                            heads[(topic, part)] = conn.execute(
                                "SELECT next_offset FROM heads WHERE topic = ? AND part = ?",
                                (topic, part)).fetchone()[0]
                        out.append((topic, part, heads[(topic, part)], key, value, now))
                        heads[(topic, part)] += 1
                    conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", out)
                    conn.executemany("UPDATE heads SET next_offset = ? WHERE topic = ? AND part = ?",
                                     [(n, t, p) for (t, p), n in heads.items()])
            finally:
                if timeout is not None:
                    conn.execute(f"PRAGMA busy_timeout={int(self._bus.busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self._bus.path}: flush of {len(buffer)} messages failed: {exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._conn.close()



def _heartbeat_loop(ref: weakref.ref, stop: threading.Event, interval: float) -> None:
    # A weak reference, so a consumer dropped without close() can still be
    # collected (its member row then expires after session_timeout).
    while not stop.wait(interval):
        consumer = ref()
        if consumer is None:
            return
        consumer._background_heartbeat()
        del consumer


class SqliteConsumer(Consumer):
    def __init__(self, bus: SqliteBus, topics: list[str], group: str, client_id: str | None) -> None:
        if not topics:
            raise BusError(f"sqlite bus {bus.path}: consumer of group {group!r} needs at least one topic")
        self._bus = bus
        self._group = group
        self.member_id = f"{client_id or 'consumer'}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._positions: dict[tuple[str, int], int] = {}  # next offset to return
        self._dirty: set[tuple[str, int]] = set()  # positions moved since last commit
        self._lock = threading.Lock()  # the connection is shared with the heartbeat thread
        self._closed = False
        self._turn = 0
        self._last_poll = self._last_beat = time.monotonic()
        self._conn = bus.connect(synchronous="NORMAL")
        try:
            self._partitions = {t: bus.topic_partitions(self._conn, t) for t in topics}
            self._heartbeat()  # join the group now, so the others make room at once
        except sqlite3.Error as exc:
            self._conn.close()
            raise BusError(f"sqlite bus {bus.path}: consumer of group {group!r} cannot join: {exc}") from exc
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_heartbeat_loop, args=(weakref.ref(self), self._stop, bus.heartbeat_interval),
            name=f"bus-heartbeat-{self.member_id}", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        now = time.time()
        with _write(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)",
                [(self._group, t, self.member_id, now) for t in self._partitions])
        self._last_beat = time.monotonic()

    def _background_heartbeat(self) -> None:
        with self._lock:
            if self._closed:
                return
            # A process that stopped polling is stuck: stop vouching for it so
            # its partitions move to a consumer that makes progress.
            if time.monotonic() - self._last_poll > self._bus.max_poll_interval:
                return
            if time.monotonic() - self._last_beat >= self._bus.heartbeat_interval * 0.8:
                try:
                    self._heartbeat()
                except sqlite3.Error as exc:
                    log.warning("sqlite bus %s: heartbeat of %s failed: %s", self._bus.path, self.member_id, exc)

    def _assignment(self) -> list[tuple[str, int]]:
        """Recompute what we own; forget positions of partitions we lost."""
        rows = self._conn.execute(
            "SELECT topic, member FROM members WHERE grp = ? AND heartbeat >= ? ORDER BY member",
            (self._group, time.time() - self._bus.session_timeout)).fetchall()
        owned = []
        for topic, n in self._partitions.items():
            live = [m for t, m in rows if t == topic]
            if self.member_id in live:
                me = live.index(self.member_id)
                owned += [(topic, p) for p in range(n) if p % len(live) == me]
        for tp in set(self._positions) - set(owned):
            # Never committed by us, so the new owner gets them again (at-least-once).
            del self._positions[tp]
            self._dirty.discard(tp)
        return owned

    def _committed(self) -> dict[tuple[str, int], int]:
        rows = self._conn.execute("SELECT topic, part, next_offset FROM offsets WHERE grp = ?", (self._group,))
        return {(t, p): n for t, p, n in rows}

    def _fetch(self, max_records: int) -> list[Record]:
        owned = self._assignment()
        committed = self._committed()
        self._turn += 1  # rotate the first partition read, so none starves
        k = self._turn % len(owned) if owned else 0
        out: list[Record] = []
        for tp in owned[k:] + owned[:k]:
            if len(out) >= max_records:
                break
            # ">= position" also skips what retention deleted.
            rows = self._conn.execute(
                "SELECT msg_offset, key, value, ts FROM messages WHERE topic = ? AND part = ?"
                " AND msg_offset >= ? ORDER BY msg_offset LIMIT ?",
                (*tp, self._positions.get(tp, committed.get(tp, 0)), max_records - len(out))).fetchall()
            if rows:
                out += [Record(tp[0], tp[1], o, key, bytes(value), ts) for o, key, value, ts in rows]
                self._positions[tp] = rows[-1][0] + 1
                self._dirty.add(tp)
        return out

    def poll(self, max_records: int = 100, timeout: float = 1.0) -> list[Record]:
        deadline = time.monotonic() + max(timeout, 0.0)
        delay = 0.05
        first = True
        while True:
            with self._lock:
                self._check_open()
                self._last_poll = time.monotonic()
                try:
                    if first or time.monotonic() - self._last_beat >= self._bus.heartbeat_interval:
                        self._heartbeat()
                    records = self._fetch(max_records)
                except sqlite3.Error as exc:
                    raise BusError(f"sqlite bus {self._bus.path}: poll by {self.member_id} failed: {exc}") from exc
            first = False
            remaining = deadline - time.monotonic()
            if records or remaining <= 0:
                return records
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 0.2)

    def commit(self) -> None:
        with self._lock:
            self._check_open()
            if not self._dirty:
                return
            try:
                with _write(self._conn):
                    # Ownership is checked inside the write transaction, so no
                    # member can join or leave between the check and the write.
                    owned = set(self._assignment())
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?, ?)",
                        [(self._group, *tp, self._positions[tp]) for tp in self._dirty & owned])
            except sqlite3.Error as exc:
                raise BusError(f"sqlite bus {self._bus.path}: commit by {self.member_id} failed: {exc}") from exc
            self._dirty.clear()

    def lag(self) -> dict[tuple[str, int], int]:
        with self._lock:
            self._check_open()
            try:
                committed = self._committed()
                result = {}
                for topic, part in self._assignment():
                    head, earliest = self._conn.execute(
                        "SELECT h.next_offset, (SELECT MIN(msg_offset) FROM messages m"
                        " WHERE m.topic = h.topic AND m.part = h.part) FROM heads h"
                        " WHERE h.topic = ? AND h.part = ?", (topic, part)).fetchone()
                    start = head if earliest is None else earliest
                    result[(topic, part)] = head - max(committed.get((topic, part), 0), start)
                return result
            except sqlite3.Error as exc:
                raise BusError(f"sqlite bus {self._bus.path}: lag of {self.member_id} failed: {exc}") from exc

    def close(self) -> None:
        """Leave the group at once (no commit): the others take over now."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self._thread.join()
        try:
            with _write(self._conn):
                self._conn.execute("DELETE FROM members WHERE grp = ? AND member = ?", (self._group, self.member_id))
        except sqlite3.Error as exc:  # our row then simply expires after session_timeout
            log.warning("sqlite bus %s: %s could not leave group %r: %s", self._bus.path, self.member_id,
                        self._group, exc)
        finally:
            self._conn.close()

    def _check_open(self) -> None:
        if self._closed:
            raise BusError(f"sqlite bus {self._bus.path}: consumer {self.member_id} is closed")
