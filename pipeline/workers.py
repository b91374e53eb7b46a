"""The loop every bus-to-bus worker runs: poll → handle → publish → flush → commit.

Offsets are committed only after the outputs are flushed (and the handler's
own effects, such as index upserts, have returned), so a crash anywhere means
the batch is replayed: at-least-once, with idempotent effects downstream.

A record that cannot be decoded or handled (a poison message) goes to the
dead-letter topic with the error, and the stream moves on. An error that is
not the record's fault (index unreachable, disk full) drops the uncommitted
batch, waits with backoff, and reads it again.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracts.topics import DEAD_LETTER
from pipeline import metrics
from pipeline.bus import Bus, Record

log = logging.getLogger(__name__)


class PoisonMessage(Exception):
    """This record can never be processed; send it to the dead-letter topic."""


@dataclass(frozen=True)
class Output:
    topic: str
    key: str | None
    value: bytes


BatchHandler = Callable[[Sequence[Record]], list[Output]]


def decode(record: Record, model):
    """Decode a record into a message model, or raise PoisonMessage saying why."""
    try:
        return model.from_bytes(record.value)
    except Exception as e:  # pydantic ValidationError, UnicodeDecodeError, JSON errors
        raise PoisonMessage(f"{record.topic}[{record.partition}]@{record.offset}: not a valid "
                            f"{model.__name__}: {str(e).splitlines()[0]}") from None


def dead_letter(record: Record, error: str, stage: str) -> Output:
    body = {"stage": stage, "error": error, "topic": record.topic, "partition": record.partition,
            "offset": record.offset, "key": record.key,
            "value": record.value.decode("utf-8", "replace")}
    return Output(DEAD_LETTER, record.key, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def per_record(handle_one: Callable[[Record], list[Output]], stage: str) -> BatchHandler:
    """Lift a one-record handler to a batch handler that dead-letters poison."""
    def handle(records: Sequence[Record]) -> list[Output]:
        out: list[Output] = []
        for rec in records:
            try:
                out.extend(handle_one(rec))
            except PoisonMessage as e:
                log.error("%s: %s", stage, e)
                out.append(dead_letter(rec, str(e), stage))
        return out
    return handle


def run_stage(bus: Bus, topics: Sequence[str], group: str, handler: BatchHandler,
              stop: threading.Event, *, batch: int = 100, poll_timeout: float = 0.5,
              on_idle: Callable[[], None] | None = None, max_backoff: float = 30.0,
              alarm_after: int = 5, linger: float = 0.0) -> None:
    """Run one consumer-group stage until ``stop`` is set. ``alarm_after`` consecutive
    failures raise one ops alert (pipeline/opsalarm.py), resolved when a batch goes through.

    ``linger``: after a batch smaller than ``batch``, the next poll waits until ``linger``
    seconds after that batch began, so a stage whose cost is mostly per batch (a commit)
    handles fewer, larger batches when it keeps up; a record arriving after a quiet spell
    is still handled at once, and a full batch (the stage is behind) polls again at once."""
    from pipeline.opsalarm import StoreAlarm
    alarm = StoreAlarm(bus, group, alarm_after)
    failures = 0
    next_lag_report = 0.0
    next_poll = 0.0  # monotonic time before which a stage with ``linger`` does not poll
    while not stop.is_set():
        consumer = bus.consumer(topics, group)
        producer = bus.producer()
        try:
            while not stop.is_set():
                if (wait := next_poll - time.monotonic()) > 0 and stop.wait(wait):
                    break
                records = consumer.poll(batch, timeout=poll_timeout)
                if time.monotonic() >= next_lag_report:
                    _report_lag(consumer, group)
                    next_lag_report = time.monotonic() + 5.0
                if not records:
                    if on_idle:
                        on_idle()
                    continue
                started = time.perf_counter()
                next_poll = time.monotonic() + linger if len(records) < batch else 0.0
                outputs = handler(records)
                for o in outputs:
                    producer.send(o.topic, o.value, key=o.key)
                producer.flush()
                consumer.commit()
                _count(group, records, outputs, time.perf_counter() - started)
                failures = 0
                alarm.succeeded()
        except Exception as exc:
            metrics.STAGE_FAILURES.labels(group).inc()
            failures += 1
            alarm.failed(exc)
            delay = min(max_backoff, 0.5 * 2 ** failures)
            log.exception("stage %s failed; replaying the uncommitted batch in %.1fs", group, delay)
            stop.wait(delay)
        finally:
            consumer.close()
            try:
                producer.close()
            except Exception as e:  # the batch was not committed; it will be replayed
                log.warning("stage %s: producer close failed: %s", group, e)


def _count(stage: str, records: Sequence[Record], outputs: list[Output], seconds: float) -> None:
    for rec in records:
        metrics.RECORDS_CONSUMED.labels(stage, rec.topic).inc()
    for o in outputs:
        metrics.RECORDS_PRODUCED.labels(stage, o.topic).inc()
        if o.topic == DEAD_LETTER:
            metrics.DEAD_LETTERS.labels(stage).inc()
    metrics.BATCH_SECONDS.labels(stage).observe(seconds)


def _report_lag(consumer, group: str) -> None:
    try:
        lag = consumer.lag()
    except Exception as e:  # lag is a report, never a reason to stop consuming
        log.debug("lag for %s unavailable: %s", group, e)
        return
    for (topic, partition), value in lag.items():
        metrics.CONSUMER_LAG.labels(group, topic, str(partition)).set(value)
