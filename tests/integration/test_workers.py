"""The worker loop: poison messages go to the dead-letter topic and the stream
goes on; a failing effect replays the uncommitted batch."""
import json
import threading

from contracts.messages import Document
from contracts.topics import DEAD_LETTER, DOCS_RAW
from pipeline.bus import open_bus
from pipeline.workers import Output, decode, per_record, run_stage


def doc(i):
    return Document.create(url=f"http://x.cn/{i}", source_id="s", channel="news", site="x.cn", title=f"t{i}")


def publish(bus, numbers):
    with bus.producer() as p:
        for i in numbers:
            p.send(DOCS_RAW, doc(i).to_bytes(), key=str(i))


def drain(bus, topic, group="check"):
    with bus.consumer([topic], group) as c:
        out, batch = [], c.poll(1000, timeout=0.2)
        while batch:
            out += batch
            batch = c.poll(1000, timeout=0.2)
        return out


def run_until(bus, handler, stop_when, group="w"):
    stop = threading.Event()
    t = threading.Thread(target=run_stage, args=(bus, [DOCS_RAW], group, handler, stop),
                         kwargs={"poll_timeout": 0.05, "max_backoff": 0.05})
    t.start()
    try:
        for _ in range(200):
            if stop_when():
                break
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive()


def test_poison_message_is_dead_lettered_and_the_stream_goes_on(tmp_path):
    bus = open_bus("sqlite:///bus.db", tmp_path, partitions=1)
    with bus.producer() as p:
        p.send(DOCS_RAW, doc(1).to_bytes(), key="1")
        p.send(DOCS_RAW, b"\xff\xfe not json", key="bad")
        p.send(DOCS_RAW, doc(2).to_bytes(), key="2")
    seen = []

    def handle(rec):
        seen.append(decode(rec, Document).title)
        return [Output("docs.out", rec.key, rec.value)]

    run_until(bus, per_record(handle, "test"), lambda: len(seen) == 2)
    assert seen == ["t1", "t2"]
    [dead] = drain(bus, DEAD_LETTER)
    body = json.loads(dead.value)
    assert body["stage"] == "test" and "not a valid Document" in body["error"] and body["offset"] == 1
    assert len(drain(bus, "docs.out")) == 2
    bus.close()


def test_failed_effect_replays_the_batch(tmp_path):
    bus = open_bus("sqlite:///bus.db", tmp_path, partitions=1)
    publish(bus, range(3))
    calls = []

    def handle(records):
        calls.append([r.offset for r in records])
        if len(calls) == 1:
            raise OSError("index unreachable")
        return []

    run_until(bus, handle, lambda: len(calls) >= 2)
    assert calls[0] == calls[1] == [0, 1, 2]
    with bus.consumer([DOCS_RAW], "w") as c:  # committed after the successful replay
        assert c.poll(10, timeout=0.1) == []
    bus.close()


def test_linger_holds_the_poll_after_a_small_batch_and_not_after_a_full_one(tmp_path):
    bus = open_bus("sqlite:///bus.db", tmp_path, partitions=1)
    publish(bus, range(250))
    calls = []

    def handle(records):
        calls.append(len(records))
        return []

    stop = threading.Event()
    t = threading.Thread(target=run_stage, args=(bus, [DOCS_RAW], "w", handle, stop),
                         kwargs={"poll_timeout": 0.05, "batch": 100, "linger": 3600.0})
    t.start()
    try:
        for _ in range(600):  # full batches poll again at once: all three without the hour's linger
            if sum(calls) >= 250:
                break
            stop.wait(0.05)
        assert calls == [100, 100, 50]
        publish(bus, range(250, 253))
        stop.wait(0.5)
        assert calls == [100, 100, 50]  # within the hour after a small batch: not polled
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive()  # stopping cuts the linger short
    seen: list[int] = []

    def collect(records):
        seen.extend(r.offset for r in records)
        return []
    run_until(bus, collect, lambda: len(seen) == 3)
    assert seen == [250, 251, 252]  # left uncommitted for the next consumer
    bus.close()
