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
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pipeline.bus.base import Bus, BusError, Consumer, GroupLag, Producer
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
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # new files: retention gives space back
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
        from pipeline.bus.sqlite_consumer import SqliteConsumer
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

    def group_lag(self, group: str, topics: Sequence[str]) -> GroupLag:
        """Per partition: the head minus the group's committed offset (or the first retained offset), and
        the oldest such message's ``ts``; primary-key lookups only, in one read transaction."""
        conn = self.connect(synchronous="NORMAL")
        messages, oldest = 0, None
        try:
            conn.execute("BEGIN")  # one snapshot: heads, offsets and messages agree
            for topic in topics:
                for part, head, committed in conn.execute(
                        "SELECT h.part, h.next_offset, o.next_offset FROM heads h LEFT JOIN offsets o"
                        " ON o.grp = ? AND o.topic = h.topic AND o.part = h.part WHERE h.topic = ?",
                        (group, topic)).fetchall():
                    first = conn.execute("SELECT msg_offset, ts FROM messages WHERE topic = ? AND part = ?"
                                         " AND msg_offset >= ? ORDER BY msg_offset LIMIT 1",
                                         (topic, part, committed or 0)).fetchone()
                    if first is None:  # caught up, or retention removed what was left
                        continue
                    messages += head - first[0]
                    oldest = first[1] if oldest is None else min(oldest, first[1])
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise BusError(f"sqlite bus {self.path}: lag of group {group!r} unreadable: {exc}") from exc
        finally:
            conn.close()
        return GroupLag(messages, oldest)

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
        if deleted:
            # (executescript: Python's execute() steps this PRAGMA once, freeing one page)
            conn.executescript("PRAGMA incremental_vacuum;")  # the file shrinks with retention
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
