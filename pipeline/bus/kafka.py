"""The distributed bus: Apache Kafka through kafka-python.

Imported only when a ``kafka://`` URL is opened; nothing connects at import
time (clients are created by ``producer()``, ``consumer()`` and
``ensure_topics()``). How the delivery contract of ``pipeline.bus.base`` maps:

* Producer: ``acks='all'``, unbounded retries within ``delivery_timeout_ms``,
  idempotence on (no duplicates from retries), a short linger. ``flush``
  waits for every send future and raises ``BusError`` if any failed.
* Keys are UTF-8 bytes; Kafka's default partitioner (murmur2) keeps a key in
  one partition.
* Consumer: ``enable_auto_commit=False``; ``commit`` commits, per partition,
  the offset after the last record ``poll`` returned. Partitions revoked by a
  rebalance are dropped from what ``commit`` will send (they are redelivered
  to their new owner), and a commit refused because of a rebalance is logged,
  not raised: its records simply come again.
* A new group starts at the earliest retained message
  (``auto_offset_reset='earliest'``).
* ``lag`` is, per assigned partition, the high watermark minus the group's
  committed offset: the high watermark is the larger of the broker's answer
  to ListOffsets(latest) and the last one a fetch returned.
* ``group_lag`` reads a group's committed offsets with the admin API
  (OffsetFetch) and the partitions' end and beginning offsets with a
  consumer of no group; both clients are made on first use and kept. Its
  age is Kafka's own: the timestamp (CreateTime, or LogAppendTime where the
  topic says so) of the first unconsumed record, fetched by that group-less
  consumer at the group's committed offset, one record per partition with a
  backlog; it commits nothing and joins no group. When the records cannot
  all be fetched within ``age_timeout`` seconds, ``oldest`` is None.
"""
from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Sequence

with warnings.catch_warnings():
    # kafka-python 3.0 loads its protocol schemas with importlib.resources.read_text,
    # deprecated since Python 3.11: their warning, raised once at import.
    warnings.simplefilter("ignore", DeprecationWarning)
    import kafka
    from kafka import (
        ConsumerRebalanceListener,
        KafkaAdminClient,
        KafkaConsumer,
        KafkaProducer,
    )
    from kafka import errors as kafka_errors
    from kafka.serializer import DefaultSerializer
    from kafka.structs import OffsetAndMetadata, TopicPartition

from pipeline.bus.base import Bus, BusError, Consumer, GroupLag, Producer, Record

log = logging.getLogger(__name__)

CLOSE_WAIT = 1.0  # seconds close() waits for a lag reading in flight (a hung broker's would take tens)


class KafkaBus(Bus):
    def __init__(
        self,
        bootstrap_servers: Sequence[str],
        partitions: int = 4,
        replication_factor: int = 1,
        retention_hours: float = 168,
        session_timeout: float = 10.0,
        linger_ms: int = 5,
        client_id: str = "yuqing",
        config: dict | None = None,
    ) -> None:
        """``config`` is passed to every kafka-python client (security settings etc.)."""
        self.bootstrap_servers = list(bootstrap_servers)
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.retention_hours = retention_hours
        self.session_timeout = session_timeout
        self.linger_ms = linger_ms
        self.client_id = client_id
        self.config = dict(config or {})
        self.age_timeout = 5.0  # group_lag: how long to wait for the first unconsumed records' timestamps
        self._lag_lock = threading.Lock()
        self._closed = False  # close() was called: a reading still in flight closes its clients when it ends
        self._lag_clients: tuple[KafkaAdminClient, KafkaConsumer] | None = None  # group_lag's, made on first use

    def _client_config(self, **ours) -> dict:
        # Ours win over ``config``: the delivery contract depends on them.
        return {**self.config, "bootstrap_servers": self.bootstrap_servers, "client_id": self.client_id, **ours}

    def _where(self) -> str:
        return f"kafka bus {','.join(self.bootstrap_servers)}"

    def producer(self) -> Producer:
        try:
            producer = KafkaProducer(**self._client_config(
                acks="all",
                retries=2**31 - 1,  # bounded by delivery_timeout_ms, as the Java client does
                enable_idempotence=True,
                linger_ms=self.linger_ms,
                key_serializer=DefaultSerializer("utf-8"),  # str keys to UTF-8 bytes, None stays None
            ))
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where()}: cannot create producer: {exc}") from exc
        return KafkaBusProducer(producer, self._where())

    def consumer(self, topics: Sequence[str], group: str, client_id: str | None = None) -> Consumer:
        return KafkaBusConsumer(self, list(topics), group, client_id or self.client_id)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        try:
            admin = KafkaAdminClient(**self._client_config())
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where()}: cannot create admin client: {exc}") from exc
        retention_ms = str(int(self.retention_hours * 3600 * 1000))
        try:
            result = admin.create_topics(
                {t: {"num_partitions": self.partitions, "replication_factor": self.replication_factor,
                     "configs": {"retention.ms": retention_ms}} for t in topics},
                raise_errors=False)
            for topic in result["topics"]:
                error = kafka_errors.for_code(topic["error_code"])
                if error not in (kafka_errors.NoError, kafka_errors.TopicAlreadyExistsError):
                    raise BusError(f"{self._where()}: cannot create topic {topic['name']!r}: "
                                   f"{error.__name__}: {topic.get('error_message')}")
            admin.wait_for_topics(list(topics))  # leaders elected: usable on return
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where()}: cannot create topics {list(topics)}: {exc}") from exc
        finally:
            admin.close()


    def group_lag(self, group: str, topics: Sequence[str]) -> GroupLag:
        with self._lag_lock:
            try:
                if self._lag_clients is None:
                    self._lag_clients = (KafkaAdminClient(**self._client_config()),
                                         KafkaConsumer(**self._client_config(group_id=None, enable_auto_commit=False)))
                admin, reader = self._lag_clients
                parts = [TopicPartition(t, p) for t in topics for p in sorted(reader.partitions_for_topic(t) or ())]
                if not parts:
                    return GroupLag(0, None)
                committed = admin.list_group_offsets({group: parts}).get(group, {})
                ends, begins = reader.end_offsets(parts), reader.beginning_offsets(parts)
                messages, firsts = 0, {}
                for tp in parts:
                    done = committed.get(tp)
                    start = begins[tp] if done is None or done.offset < 0 else max(done.offset, begins[tp])
                    if ends[tp] > start:
                        messages += ends[tp] - start
                        firsts[tp] = start
                oldest = self._first_timestamp(reader, firsts) if firsts else None
            except kafka_errors.KafkaError as exc:
                self._close_lag_clients()  # a broken connection is made anew next time
                raise BusError(f"{self._where()}: lag of group {group!r} unreadable: {exc}") from exc
            finally:
                if self._closed:  # close() returned while this reading held the clients: they end with it
                    self._close_lag_clients()
        return GroupLag(messages, oldest)

    def _first_timestamp(self, reader: KafkaConsumer, firsts: dict[TopicPartition, int]) -> float | None:
        """The earliest timestamp (epoch s) of the records at ``firsts`` (partition → offset), one record read
        per partition by the group-less ``reader``; None unless every partition gave its record in time."""
        seen: dict[TopicPartition, float] = {}
        reader.assign(list(firsts))
        try:
            for tp, offset in firsts.items():
                reader.seek(tp, offset)
            deadline = time.monotonic() + self.age_timeout
            while len(seen) < len(firsts) and (left := deadline - time.monotonic()) > 0:
                got = reader.poll(timeout_ms=max(int(left * 1000), 1), max_records=len(firsts))
                for tp, records in got.items():
                    if records and tp not in seen:
                        seen[tp] = records[0].timestamp / 1000  # -1 where the record carries none (v0 format)
                        reader.pause(tp)
        finally:
            reader.assign([])  # no partition kept: the next reading seeks afresh
        if len(seen) < len(firsts) or min(seen.values()) < 0:
            return None
        return min(seen.values())

    def _close_lag_clients(self) -> None:
        clients, self._lag_clients = self._lag_clients, None
        for client in clients or ():
            try:
                client.close()
            except Exception as exc:  # closing what already failed
                log.debug("%s: closing a lag client: %s", self._where(), exc)

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """Close group_lag's clients. A reading in flight on a broker that stops answering holds them for
        its timeouts (tens of seconds): close waits ``wait`` seconds at most, then leaves them to that
        reading, which closes them when it ends, and says so in the log."""
        self._closed = True
        if not self._lag_lock.acquire(timeout=wait):
            log.warning("%s: closing without waiting for a lag reading in flight for over %g s (the broker is "
                        "not answering); the reading closes its clients when it ends", self._where(), wait)
            return
        try:
            self._close_lag_clients()
        finally:
            self._lag_lock.release()


class KafkaBusProducer(Producer):
    def __init__(self, producer: KafkaProducer, where: str) -> None:
        self._producer = producer
        self._where = where
        self._futures: list = []
        self._lock = threading.Lock()
        self._closed = False

    def send(self, topic: str, value: bytes, key: str | None = None) -> None:
        try:
            future = self._producer.send(topic, value=value, key=key)
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where}: send to {topic!r} failed: {exc}") from exc
        with self._lock:
            self._futures.append(future)

    def flush(self, timeout: float | None = None) -> None:
        with self._lock:
            futures, self._futures = self._futures, []
        try:
            self._producer.flush(timeout=timeout)
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where}: flush of {len(futures)} messages failed: {exc}") from exc
        # flush() returns once every future is done, failed ones included.
        failed = [f for f in futures if not f.is_done or f.failed()]
        if failed:
            first = failed[0].exception if failed[0].is_done else "not acknowledged in time"
            raise BusError(f"{self._where}: {len(failed)} of {len(futures)} messages not delivered: {first}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self._producer.close()


class _Revocations(ConsumerRebalanceListener):
    def __init__(self, consumer: KafkaBusConsumer) -> None:
        self._consumer = consumer

    def on_partitions_revoked(self, revoked) -> None:
        self._consumer._forget(revoked)

    def on_partitions_assigned(self, assigned) -> None:
        pass

    def on_partitions_lost(self, lost) -> None:
        self._consumer._forget(lost)


class _Settled:
    """A finished JoinGroup/SyncGroup round trip dressed as one still pending,
    so that kafka-python awaits it (and gets its result at once) instead of
    starting another. Only what ``join_group_async`` touches is provided."""

    is_done = False

    def __init__(self, value) -> None:
        self.value = value

    def add_callback(self, fn):
        fn(self.value)
        return self

    def add_errback(self, fn):
        return self

    def __await__(self):
        return self.value
        yield  # a generator: ``await`` on it returns value without suspending


def _keep_finished_joins(consumer: KafkaConsumer) -> None:
    """Work around a kafka-python 3.0 bug that can keep a group rebalancing.

    The join runs as a task on kafka-python's IO thread; ``poll(timeout)``
    awaits it for at most its timeout and leaves it in flight. When the task
    finishes between two polls, the next poll sees it done and sends a new
    JoinGroup, dropping the assignment it had won (``join_group_async`` in
    kafka/coordinator/base.py checks ``is_done``, not whether it succeeded).
    The new JoinGroup opens another rebalance for every member, and members
    that poll in short slices (as workers and tests do) can chase each other
    for many rounds. Here a succeeded task is handed back as still pending so
    its result is applied. Failed tasks are retried as kafka-python intends.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "join_group_async") or not hasattr(coordinator, "_join_task"):
        log.warning("kafka-python %s: cannot guard group joins (internals changed); "
                    "rebalances may take longer", getattr(kafka, "__version__", "?"))
        return
    original = coordinator.join_group_async

    async def join_group_async(timeout_ms=None):
        task = coordinator._join_task
        if task is not None and not isinstance(task, _Settled) and task.succeeded():
            coordinator._join_task = _Settled(task.value)
        return await original(timeout_ms=timeout_ms)

    coordinator.join_group_async = join_group_async


class KafkaBusConsumer(Consumer):
    def __init__(self, bus: KafkaBus, topics: list[str], group: str, client_id: str) -> None:
        self._where = f"{bus._where()} group {group!r}"
        self._positions: dict[TopicPartition, int] = {}  # next offset, for commit
        self._lock = threading.Lock()
        try:
            self._consumer = KafkaConsumer(**bus._client_config(
                client_id=client_id,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=int(bus.session_timeout * 1000),
                heartbeat_interval_ms=max(int(bus.session_timeout * 1000 / 3), 100),
            ))
            _keep_finished_joins(self._consumer)
            self._consumer.subscribe(topics, listener=_Revocations(self))
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where}: cannot create consumer: {exc}") from exc

    def _forget(self, partitions) -> None:
        with self._lock:
            for tp in partitions:
                self._positions.pop(tp, None)

    def poll(self, max_records: int = 100, timeout: float = 1.0) -> list[Record]:
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where}: poll failed: {exc}") from exc
        out = []
        with self._lock:
            for tp, records in batches.items():
                for r in records:
                    key = None if r.key is None else r.key.decode("utf-8")
                    out.append(Record(r.topic, r.partition, r.offset, key, r.value, r.timestamp / 1000))
                if records:
                    self._positions[tp] = records[-1].offset + 1
        return out

    def commit(self) -> None:
        with self._lock:
            offsets = {tp: OffsetAndMetadata(n, "", -1) for tp, n in self._positions.items()}
            self._positions.clear()
        if not offsets:
            return
        try:
            self._consumer.commit(offsets)
        except kafka_errors.CommitFailedError as exc:
            log.warning("%s: commit refused after a rebalance, records will be redelivered: %s", self._where, exc)
        except kafka_errors.KafkaError as exc:
            with self._lock:  # keep them for the next attempt unless newer positions arrived
                for tp, om in offsets.items():
                    self._positions.setdefault(tp, om.offset)
            raise BusError(f"{self._where}: commit failed: {exc}") from exc

    def lag(self) -> dict[tuple[str, int], int]:
        try:
            assigned = list(self._consumer.assignment())
            if not assigned:
                return {}
            ends = self._consumer.end_offsets(assigned)
            begins = self._consumer.beginning_offsets(assigned)
            result = {}
            for tp in assigned:
                # A fetch's high watermark is never ahead of the real one; taking the
                # larger keeps lag right on brokers whose ListOffsets(latest) lags
                # (Tansu: deploy/README.md) and costs nothing on Kafka.
                high = max(ends[tp], self._consumer.highwater(tp) or 0)
                committed = self._consumer.committed(tp)
                start = begins[tp] if committed is None else max(committed, begins[tp])
                result[(tp.topic, tp.partition)] = max(high - start, 0)
            return result
        except kafka_errors.KafkaError as exc:
            raise BusError(f"{self._where}: lag failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._consumer.close(autocommit=False)
        except kafka_errors.KafkaError as exc:
            log.warning("%s: close failed: %s", self._where, exc)
