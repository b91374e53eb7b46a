"""The SQLite log used by several real processes at once, and killed mid-work.

Children are ``python -c CHILD <mode> ...`` subprocesses; they report on
stdout, one JSON line per event, so the parent never sleeps on a guess.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import closing

import pytest

from pipeline.bus.sqlite_log import SqliteBus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL/SIGSTOP")

CHILD = r"""
import json, sys, time
from pipeline.bus.sqlite_log import SqliteBus

def say(**event):
    print(json.dumps(event), flush=True)

mode, db, topic = sys.argv[1:4]
if mode == "produce":            # name, count, batch
    name, count, batch = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
    with SqliteBus(db).producer() as producer:
        for i in range(count):
            producer.send(topic, f"{name}:{i}".encode(), key=f"{name}-k{i % 5}")
            if (i + 1) % batch == 0:
                producer.flush()
    say(done=count)
elif mode == "produce-forever":  # batches of 50 until killed
    producer = SqliteBus(db).producer()
    for b in range(10**9):
        for i in range(50):
            producer.send(topic, f"{b}:{i}".encode(), key=f"k{i}")
        producer.flush()
        say(flushed=b)
elif mode == "consume-then-hang":  # group, commit_first, session_timeout; hangs until killed
    group, commit_first, session = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
    consumer = SqliteBus(db, session_timeout=session).consumer([topic], group, client_id="child")
    committed = []
    if commit_first:
        committed = [r.value.decode() for r in consumer.poll(max_records=commit_first, timeout=5)]
        consumer.commit()
    processed = []
    while batch := consumer.poll(timeout=0.3):
        processed += [r.value.decode() for r in batch]
    say(committed=committed, processed=processed, owned=sorted(p for _, p in consumer.lag()))
    time.sleep(3600)
"""


def spawn(*args: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONWARNINGS="error")
    return subprocess.Popen([sys.executable, "-c", CHILD, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def event(child: subprocess.Popen) -> dict:
    assert child.stdout is not None and child.stderr is not None  # spawn pipes both
    line = child.stdout.readline()
    if not line:
        child.wait()
        raise AssertionError(f"child exited {child.returncode}: {child.stderr.read()}")
    return json.loads(line)


def close_pipes(child: subprocess.Popen) -> None:
    for pipe in (child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()


def kill(child: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    child.send_signal(sig)
    if sig == signal.SIGKILL:
        child.wait()
        close_pipes(child)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "bus.db"


def read_all(db, topic: str, group: str = "reader"):
    bus = SqliteBus(db)
    with bus.consumer([topic], group) as consumer:
        records = []
        while batch := consumer.poll(max_records=1000, timeout=0.2):
            records += batch
    return records


PRODUCERS = 6


def test_concurrent_producer_processes_lose_and_duplicate_nothing(db):
    # No parent-side SqliteBus first: the children also race to create the schema.
    # Small batches, so the processes really contend for the write lock.
    children = [spawn("produce", db, "docs", f"p{n}", 400, 5) for n in range(PRODUCERS)]
    for child in children:
        assert event(child) == {"done": 400}
        child.wait()
        close_pipes(child)
    assert all(child.returncode == 0 for child in children)

    records = read_all(db, "docs")
    assert Counter(r.value.decode() for r in records) == Counter(
        f"p{n}:{i}" for n in range(PRODUCERS) for i in range(400))
    offsets = defaultdict(list)
    for r in records:
        offsets[r.partition].append(r.offset)
    for part, seen in offsets.items():
        assert sorted(seen) == list(range(len(seen))), f"gap or duplicate in partition {part}"
    for key in {r.key for r in records}:  # each producer's per-key order survives the interleaving
        seq = [int(r.value.decode().split(":")[1]) for r in records if r.key == key]
        assert seq == sorted(seq)


def test_consumer_killed_before_commit_gets_its_records_redelivered(db):
    bus = SqliteBus(db, session_timeout=0.5)
    with bus.producer() as producer:
        for i in range(30):
            producer.send("docs", f"m{i}".encode(), key=f"doc-{i}")
    child = spawn("consume-then-hang", db, "docs", "scorer", 10, 0.5)
    report = event(child)
    assert len(report["committed"]) == 10 and len(report["processed"]) == 20
    kill(child)  # after processing, before committing

    with bus.consumer(["docs"], "scorer") as heir:  # waits out the dead member's session
        got: list[str] = []
        deadline = time.monotonic() + 10
        while len(got) < 20 and time.monotonic() < deadline:
            got += [r.value.decode() for r in heir.poll(timeout=0.2)]
        assert heir.poll(timeout=0.3) == []
    assert sorted(got) == sorted(report["processed"])  # the committed ten are not repeated


def test_member_that_stops_heartbeating_loses_its_partitions(db):
    bus = SqliteBus(db, session_timeout=1.0)
    bus.ensure_topics(["docs"])
    child = spawn("consume-then-hang", db, "docs", "scorer", 0, 1.0)
    with bus.consumer(["docs"], "scorer") as parent:
        assert event(child)["processed"] == []
        # The child no longer polls, but its heartbeat thread keeps it a member
        # well past session_timeout.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            assert len(parent.lag()) == 2
            time.sleep(0.1)
        try:
            kill(child, signal.SIGSTOP)  # frozen: alive, but silent
            deadline = time.monotonic() + 5
            while len(parent.lag()) != 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sorted(parent.lag()) == [("docs", p) for p in range(4)]
        finally:
            kill(child)


def test_sigkill_during_flushes_leaves_whole_batches_only(db):
    child = spawn("produce-forever", db, "docs")
    while event(child)["flushed"] < 5:
        pass
    time.sleep(0.05)  # land somewhere inside a later flush
    kill(child)

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    records = read_all(db, "docs")
    per_batch = Counter(r.value.decode().split(":")[0] for r in records)
    assert len(per_batch) >= 6
    assert set(per_batch.values()) == {50}  # all or nothing, never part of a batch

    bus = SqliteBus(db)  # and the log takes new writes after the crash
    with bus.producer() as producer:
        producer.send("docs", b"after", key="k0")
    assert [r.value for r in read_all(db, "docs", group="late") if r.value == b"after"] == [b"after"]


def test_producer_prunes_opportunistically_at_most_once_a_minute(db):
    # A negative retention makes everything "old", so the prune is observable.
    bus = SqliteBus(db, retention_hours=-1)
    with bus.producer() as producer:
        for i in range(5):
            producer.send("docs", f"a{i}".encode(), key="one")
        producer.flush()  # first flush of this producer: prunes right after appending
        assert read_all(db, "docs", group="g1") == []
        for i in range(3):
            producer.send("docs", f"b{i}".encode(), key="one")
        producer.flush()  # within the minute: no prune
    got = read_all(db, "docs", group="g2")
    assert [(r.value.decode(), r.offset) for r in got] == [("b0", 5), ("b1", 6), ("b2", 7)]
