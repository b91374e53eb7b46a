"""The router's batch path (alerting/store_batch.py): one alert-store commit per bus
batch. A crash after some documents of the batch were decided and written but before
the commit replays the whole batch, and the replay leaves exactly what a clean run
leaves: the same alerts with the same documents, the same outbox rows (nothing sent
twice), one "routed" audit entry per document and unit — on SQLite (where the batch is
one transaction) and on PostgreSQL (where each document commits on its own)."""
import threading
from collections import Counter

import pytest

from contracts.clock import FakeClock
from contracts.topics import DOCS_SCORED
from tests.kit import build_test_app, make_scored, wait_for


class Crash(Exception):
    pass


def batch_of_docs(at):
    """New alerts, a repost, a second channel, two units in one document."""
    return [
        make_scored({"chinalife-jl": "red"}, story="batch-a", url="http://news.example.cn/a/1.html", at=at),
        make_scored({"chinalife-jl": "red"}, story="batch-a", url="http://news.example.cn/a/2.html", at=at),
        make_scored({"picc-pc-jl": "orange", "pingan-pc-jl": "red"}, story="batch-b",
                    url="http://news.example.cn/b/1.html", title="人保财险与平安产险吉林分公司被指拒赔", at=at),
        make_scored({"chinalife-jl": "red"}, story="batch-a", url="http://weibo.example.cn/a/3", channel="weibo",
                    site="weibo.example.cn", at=at),
        make_scored({"picc-pc-jl": "orange"}, story="batch-b", url="http://news.example.cn/b/2.html", at=at),
    ]


def snapshot(app) -> dict:
    store = app.alert_store
    alerts = {a.id: (a.doc_count, sorted(store.alert_doc_ids(a.id))) for a in store.list_alerts()}
    routed = Counter((a_id, e["doc_id"]) for a_id in alerts for e in store.audit_trail(a_id) if e["event"] == "routed")
    return {"alerts": alerts, "outbox": sorted(r["id"] for r in store.outbox()), "routed": routed}


@pytest.fixture
def reference(tmp_path, smtp):
    """What a clean run of the batch leaves (SQLite, the same clock and rules)."""
    ref = build_test_app(tmp_path / "ref", smtp_port=smtp.port, clock=FakeClock())
    try:
        with ref.alert_store.batch():
            for doc in batch_of_docs(ref.clock.now()):
                ref.router.handle(doc)
        yield snapshot(ref)
    finally:
        ref.close()


def test_reference_batch_makes_alerts_and_messages(reference):
    assert len(reference["alerts"]) == 3 and reference["outbox"]
    assert max(reference["routed"].values()) == 1


@pytest.mark.parametrize("crash_at", [1, 4])
def test_a_crash_between_decide_and_commit_replays_the_batch_without_doubles(app, reference, crash_at,
                                                                              monkeypatch):
    docs = batch_of_docs(app.clock.now())
    store = app.alert_store
    apply, calls = store.apply, []

    def crashing_apply(*args, **kwargs):
        calls.append(kwargs["alert"].id)
        if len(calls) == crash_at + 1:  # this document was decided; the process dies before the commit
            raise Crash
        return apply(*args, **kwargs)

    monkeypatch.setattr(store, "apply", crashing_apply)
    with pytest.raises(Crash), store.batch():
        for doc in docs:
            app.router.handle(doc)
    monkeypatch.setattr(store, "apply", apply)
    if not store.pg:  # SQLite: the batch was one transaction, so nothing of it is left
        assert snapshot(app)["alerts"] == {} and snapshot(app)["outbox"] == []

    with store.batch():  # the bus replays the whole batch
        for doc in docs:
            app.router.handle(doc)
    assert snapshot(app) == reference
    with store.batch():  # and again, as if the crash came after the commit, before the offsets
        for doc in docs:
            app.router.handle(doc)
    assert snapshot(app) == reference


def test_the_route_role_replays_a_failed_batch_without_doubles(app, reference):
    """The role itself: its batch fails mid-way once; run_stage replays it from the bus."""
    from yuqing.roles import route

    docs = batch_of_docs(app.clock.now())
    with app.bus.producer() as producer:
        for doc in docs:
            producer.send(DOCS_SCORED, doc.to_bytes(), key=doc.story_id)
    handle = app.router.handle
    failed: list[str] = []

    def failing_once(doc):
        if doc.id == docs[3].id and not failed:
            failed.append(doc.id)
            raise RuntimeError("the alert store went away mid-batch")
        return handle(doc)

    app.router.handle = failing_once
    stop = threading.Event()
    thread = threading.Thread(target=route, args=(app, stop))
    thread.start()
    try:
        wait_for(lambda: failed and snapshot(app)["routed"] == reference["routed"], 30, "the batch routed after a replay")
    finally:
        stop.set()
        thread.join(10)
    assert snapshot(app) == reference
