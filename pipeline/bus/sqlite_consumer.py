"""Consumers of the embedded SQLite bus: group membership by heartbeat,
partition assignment, positions and commits (see ``pipeline.bus.sqlite_log``
for how the delivery contract is met)."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
import weakref

from pipeline.bus.base import BusError, Consumer, Record
from pipeline.bus.sqlite_log import SqliteBus, _write

log = logging.getLogger(__name__)

POLL_FIRST_WAIT = 0.005  # s between empty reads of the log, growing by half each time…
POLL_MAX_WAIT = 0.04  # …up to this (was 0.05 up to 0.2: up to 200 ms per hop when idle)


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
        # An empty poll of the SQLite log is a few indexed reads, so an idle
        # consumer looks again soon: this wait is most of a hop's latency.
        delay = POLL_FIRST_WAIT
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
            delay = min(delay * 1.5, POLL_MAX_WAIT)

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
