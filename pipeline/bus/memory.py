"""In-process bus with the same delivery contract as the SQLite log and Kafka.

For unit tests and the test kit: one process, any number of threads. Nothing
is written to disk, so "durable" means "visible to every bus opened on the
same store": ``MemoryBus(name="x")`` (URL ``memory://x``) shares one store
per process and name, which outlives ``close()`` so a test can reopen the
bus and read back; ``MemoryBus()`` (``memory://``) is private to the object.

Group membership is explicit: a consumer joins when it is created and leaves
on ``close()``; there are no heartbeats because a member cannot die without
its process. Partition p of a topic belongs to ``members[p % n]`` of the
sorted members subscribed to it, as in the SQLite log.
"""
from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.bus.base import Bus, BusError, Consumer, GroupLag, Producer, Record

_SHARED: dict[str, _Store] = {}
_SHARED_LOCK = threading.Lock()


def partition_for(key: str | None, partitions: int, counter: itertools.count) -> int:
    """Stable across processes and runs (crc32, not ``hash()``, which is salted)."""
    if key is None:
        return next(counter) % partitions
    return zlib.crc32(key.encode("utf-8")) % partitions


@dataclass
class _Log:
    start: int = 0  # offset of records[0]; moves forward on prune
    records: list[Record] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.records)


class _Store:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.partitions: dict[str, int] = {}
        self.logs: dict[tuple[str, int], _Log] = {}
        self.committed: dict[tuple[str, str, int], int] = {}
        self.members: dict[str, dict[str, frozenset[str]]] = {}
        self.member_seq = itertools.count()

    def topic(self, topic: str, partitions: int) -> int:
        """Partition count of ``topic``, creating it on first use (lock held)."""
        if topic not in self.partitions:
            self.partitions[topic] = partitions
            for p in range(partitions):
                self.logs[(topic, p)] = _Log()
        return self.partitions[topic]


class MemoryBus(Bus):
    def __init__(self, name: str | None = None, partitions: int = 4, retention_hours: float = 168) -> None:
        if partitions < 1:
            raise BusError(f"memory bus: partitions must be >= 1, got {partitions}")
        if name is None:
            self._store = _Store()
        else:
            with _SHARED_LOCK:
                self._store = _SHARED.setdefault(name, _Store())
        self.partitions = partitions
        self.retention_hours = retention_hours

    def producer(self) -> Producer:
        return MemoryProducer(self)

    def consumer(self, topics: Sequence[str], group: str, client_id: str | None = None) -> Consumer:
        return MemoryConsumer(self, list(topics), group, client_id)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        with self._store.cond:
            for t in topics:
                self._store.topic(t, self.partitions)

    def group_lag(self, group: str, topics: Sequence[str]) -> GroupLag:
        messages, oldest = 0, None
        with self._store.cond:
            for (topic, _p), log in self._store.logs.items():
                if topic not in topics:
                    continue
                pos = max(self._store.committed.get((group, topic, _p), log.start), log.start)
                if pos < log.end:
                    messages += log.end - pos
                    ts = log.records[pos - log.start].timestamp
                    oldest = ts if oldest is None else min(oldest, ts)
        return GroupLag(messages, oldest)

    def prune(self, now: float | None = None) -> int:
        """Drop messages older than ``retention_hours``; return how many."""
        cutoff = (time.time() if now is None else now) - self.retention_hours * 3600
        dropped = 0
        with self._store.cond:
            for log in self._store.logs.values():
                n = 0
                while n < len(log.records) and log.records[n].timestamp < cutoff:
                    n += 1
                del log.records[:n]
                log.start += n
                dropped += n
        return dropped


class MemoryProducer(Producer):
    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus
        self._buffer: list[tuple[str, bytes, str | None]] = []
        self._lock = threading.Lock()
        self._round_robin = itertools.count()

    def send(self, topic: str, value: bytes, key: str | None = None) -> None:
        if not isinstance(value, bytes):
            raise BusError(f"memory bus: value for topic {topic!r} must be bytes, got {type(value).__name__}")
        with self._lock:
            self._buffer.append((topic, value, key))

    def flush(self, timeout: float | None = None) -> None:
        with self._lock:
            buffer, self._buffer = self._buffer, []
        if not buffer:
            return
        store = self._bus._store
        with store.cond:
            now = time.time()
            for topic, value, key in buffer:
                n = store.topic(topic, self._bus.partitions)
                p = partition_for(key, n, self._round_robin)
                log = store.logs[(topic, p)]
                log.records.append(Record(topic, p, log.end, key, value, now))
            store.cond.notify_all()


class MemoryConsumer(Consumer):
    def __init__(self, bus: MemoryBus, topics: list[str], group: str, client_id: str | None) -> None:
        self._store = bus._store
        self._topics = topics
        self._group = group
        self._positions: dict[tuple[str, int], int] = {}  # next offset to return
        self._dirty: set[tuple[str, int]] = set()  # positions moved since last commit
        self._closed = False
        self._turn = 0  # rotates the partition read first, so none starves
        with self._store.cond:
            for t in topics:
                self._store.topic(t, bus.partitions)
            self.member_id = f"{next(self._store.member_seq):06d}-{client_id or 'consumer'}"
            self._store.members.setdefault(group, {})[self.member_id] = frozenset(topics)
            self._store.cond.notify_all()

    def _assignment(self) -> list[tuple[str, int]]:
        """Recompute what we own; forget positions of partitions we lost (lock held)."""
        members = self._store.members.get(self._group, {})
        owned = []
        for t in self._topics:
            subscribed = sorted(m for m, ts in members.items() if t in ts)
            me = subscribed.index(self.member_id)
            owned += [(t, p) for p in range(self._store.partitions[t]) if p % len(subscribed) == me]
        for tp in set(self._positions) - set(owned):
            # Not committed = redelivered to the new owner (at-least-once).
            del self._positions[tp]
            self._dirty.discard(tp)
        return owned

    def _position(self, tp: tuple[str, int]) -> int:
        log = self._store.logs[tp]
        pos = self._positions.get(tp)
        if pos is None:
            pos = self._store.committed.get((self._group, *tp), log.start)
        # Retention may have removed what we were about to read.
        return max(pos, log.start)

    def poll(self, max_records: int = 100, timeout: float = 1.0) -> list[Record]:
        self._check_open()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._store.cond:
            while True:
                out: list[Record] = []
                owned = self._assignment()
                self._turn += 1
                k = self._turn % len(owned) if owned else 0
                for tp in owned[k:] + owned[:k]:
                    if len(out) >= max_records:
                        break
                    log = self._store.logs[tp]
                    pos = self._position(tp)
                    batch = log.records[pos - log.start: pos - log.start + max_records - len(out)]
                    if batch:
                        out += batch
                        self._positions[tp] = batch[-1].offset + 1
                        self._dirty.add(tp)
                if out:
                    return out
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._store.cond.wait(remaining)

    def commit(self) -> None:
        self._check_open()
        with self._store.cond:
            owned = set(self._assignment())
            for tp in self._dirty & owned:
                key = (self._group, *tp)  # mypy reads d[(a, *b)] = … as 3.11-only d[a, *b] (Python 3.10 accepts it)
                self._store.committed[key] = self._positions[tp]
            self._dirty.clear()

    def lag(self) -> dict[tuple[str, int], int]:
        self._check_open()
        with self._store.cond:
            result = {}
            for tp in self._assignment():
                log = self._store.logs[tp]
                committed = self._store.committed.get((self._group, *tp), log.start)
                result[tp] = log.end - max(committed, log.start)
            return result

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._store.cond:
            self._store.members.get(self._group, {}).pop(self.member_id, None)
            self._store.cond.notify_all()  # let the others pick up our partitions now

    def _check_open(self) -> None:
        if self._closed:
            raise BusError(f"memory bus: consumer {self.member_id} of group {self._group!r} is closed")
