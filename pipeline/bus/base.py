"""The bus port: durable, partitioned topics read by consumer groups.

Delivery contract (every adapter, embedded or Kafka):

* ``Producer.send`` may buffer; a message is durable only once ``flush``
  returns. A failed ``flush`` raises ``BusError`` and the caller must treat
  the unflushed messages as not sent.
* Messages with the same key land in the same partition, and a partition is
  read in the order it was written. Keys are document or story ids, so one
  story stays ordered.
* Each consumer group has its own committed offset per (topic, partition).
  ``Consumer.commit`` commits everything returned by ``poll`` so far. Records
  polled but not committed are delivered again to the group after a crash,
  restart or rebalance: delivery is **at-least-once**, and effects must be
  idempotent (see ``contracts.messages`` for derived ids).
* Consumers of one group share the partitions of a topic between them; a
  consumer that stops heart-beating loses its partitions to the others.
* A new group starts from the earliest retained message.
* Retention deletes old messages whatever the groups have committed
  (as Kafka does); a group whose offset fell behind retention resumes at the
  earliest retained message.
"""
from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass


class BusError(RuntimeError):
    """The bus could not do what was asked; the message says what and where."""


@dataclass(frozen=True)
class GroupLag:
    """What a consumer group has not consumed yet on some topics (``Bus.group_lag``)."""

    messages: int  # appended and not yet committed by the group, over every partition of the topics
    oldest: float | None  # append time (epoch s) of the oldest such message; None: none, or not known


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    timestamp: float  # seconds since the epoch, when appended


class Producer(abc.ABC):
    @abc.abstractmethod
    def send(self, topic: str, value: bytes, key: str | None = None) -> None:
        """Queue one message; durable only after ``flush``."""

    @abc.abstractmethod
    def flush(self, timeout: float | None = None) -> None:
        """Block until every queued message is durable, or raise BusError."""

    def close(self) -> None:
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Consumer(abc.ABC):
    @abc.abstractmethod
    def poll(self, max_records: int = 100, timeout: float = 1.0) -> list[Record]:
        """Return up to ``max_records`` records, waiting up to ``timeout``
        seconds when none are available. Returns [] on timeout."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Commit the offsets of every record returned by ``poll`` so far."""

    @abc.abstractmethod
    def close(self) -> None:
        """Leave the group (uncommitted records will be redelivered)."""

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet committed by this group, per (topic, partition)
        assigned to this consumer. Adapters that cannot tell return {}."""
        return {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Bus(abc.ABC):
    """Factory for producers and consumers on one bus."""

    @abc.abstractmethod
    def producer(self) -> Producer: ...

    @abc.abstractmethod
    def consumer(self, topics: Sequence[str], group: str, client_id: str | None = None) -> Consumer: ...

    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create topics if missing (no-op where topics are implicit)."""

    def group_lag(self, group: str, topics: Sequence[str]) -> GroupLag | None:
        """Read-only, from outside the group (no consumer joins it, nothing is committed or created):
        over every partition of ``topics``, the messages appended after ``group``'s committed offset
        (from the earliest retained message where the group never committed, as a new group would
        start), and the append time of the oldest of them where the adapter can tell (else None): the
        time of the first message at or after the committed offset, over the partitions with a backlog
        (an adapter may read that one message per partition, as Kafka's does, never on the group's behalf).
        A topic that does not exist yet counts as empty. None: this adapter cannot tell at all.
        Cheap enough to call every few seconds; raises BusError when the bus cannot be read."""
        return None

    def close(self) -> None:
        """Release resources held by the bus object itself."""
