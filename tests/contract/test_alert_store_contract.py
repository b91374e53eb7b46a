"""The alert store's contract, on every adapter (SQLite file, PostgreSQL database).

The concurrency cases run real concurrent writers: threads with a store
(a connection) each, released together by a barrier — what two notifiers,
two routers or two escalators on two machines do to one database."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from alerting.store import AlertStore, Notification
from contracts.messages import Alert, AlertStatus, DocRef, Level

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(state_url):
    s = AlertStore(state_url)
    yield s
    s.close()


def alert(story: str = "s1", unit: str = "picc-jl") -> Alert:
    ref = DocRef(id="d1", url="http://news.example.cn/1", title="理赔难", site="news.example.cn", channel="news")
    return Alert(id=Alert.id_for(story, unit), story_id=story, unit_id=unit, unit_name="人保财险吉林省分公司",
                 level=Level.red, first_seen=T0, last_seen=T0, representative=ref)


def note(i: int, alert_id: str = "a1", channel: str = "email", recipient: str | None = None) -> Notification:
    return Notification(id=f"n{i:04d}", alert_id=alert_id, channel=channel,
                        recipient=recipient or f"c{i:04d}@unit.example.cn", step=0,
                        payload={"email": {"subject": "s", "body": "b"}})


def race(n: int, url: str, work) -> list:
    """Run ``work(store, i)`` in ``n`` threads, each with its own store, started together."""
    stores = [AlertStore(url) for _ in range(n)]
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(stores[i], i)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert not errors, errors
    return results


def test_migrations_are_recorded_and_reopening_applies_none(store, state_url):
    versions = [r[0] for r in store._db.execute("SELECT version FROM schema_migrations WHERE store='alerts'"
                                                " ORDER BY version")]
    assert versions and versions == sorted(set(versions))
    AlertStore(state_url).close()
    again = [r[0] for r in store._db.execute("SELECT version FROM schema_migrations WHERE store='alerts'")]
    assert sorted(again) == versions


def test_save_get_list_and_rows_by_name_and_index(store):
    with store.transaction() as db:
        store.save(db, alert(), "d1", T0)
        store.save(db, alert(), "d1", T0)  # idempotent
    got = store.get(Alert.id_for("s1", "picc-jl"))
    assert got is not None and got.unit_name == "人保财险吉林省分公司"
    assert [a.id for a in store.list_alerts(unit_id="picc-jl")] == [got.id]
    assert store.alert_doc_ids(got.id) == ["d1"]
    row = store._db.execute("SELECT id, unit_id FROM alerts").fetchone()
    assert row["unit_id"] == row[1] == "picc-jl" and dict(row) == {"id": got.id, "unit_id": "picc-jl"}


def test_enqueue_keeps_known_ids_and_audit_feeds_changes(store):
    with store.transaction() as db:
        store.save(db, alert(), "d1", T0)
        a = alert().id
        assert store.enqueue(db, [note(1, a), note(2, a)], T0) == ["n0001", "n0002"]
        assert store.enqueue(db, [note(1, a), note(3, a)], T0) == ["n0003"]
        store.audit(db, a, None, "detected", T0, doc_id="d1")
    assert [r["id"] for r in store.outbox(a)] == ["n0001", "n0002", "n0003"]
    cursor, ids = store.changes_since(0)
    assert ids == [a] and cursor == store.last_change() > 0
    assert store.audit_trail(a)[0] == {"at": T0.isoformat(timespec="microseconds"), "event": "detected",
                                       "doc_id": "d1"}
    assert store.detected_at([a]) == {a: T0.isoformat(timespec="microseconds")}


def test_change_status_audits_and_refuses_what_the_lifecycle_forbids(store):
    with store.transaction() as db:
        store.save(db, alert(), "d1", T0)
    a = alert().id
    assert store.change_status(a, AlertStatus.acknowledged, T0, actor="孙伟", via="console").status \
        is AlertStatus.acknowledged
    with pytest.raises(ValueError):
        store.change_status(a, AlertStatus.new, T0, actor="x", via="api")
    with pytest.raises(KeyError):
        store.change_status("nope", AlertStatus.acknowledged, T0, actor="x", via="api")
    assert [t["event"] for t in store.audit_trail(a)] == ["status.acknowledged"]


def test_a_claim_is_held_until_its_lease_expires_and_only_its_holder_settles(store):
    with store.transaction() as db:
        store.enqueue(db, [note(1)], T0)
    lease = timedelta(seconds=60)
    [mine] = store.claim_due(T0, owner="A", lease=lease)
    assert store.claim_due(T0 + timedelta(seconds=59), owner="B", lease=lease) == []
    assert store.renew([mine], T0 + timedelta(seconds=30), lease) == [mine]
    assert store.claim_due(T0 + timedelta(seconds=89), owner="B", lease=lease) == []
    [theirs] = store.claim_due(T0 + timedelta(seconds=90), owner="B", lease=lease)
    assert theirs.id == mine.id and theirs.attempts == 2
    assert store.renew([mine], T0 + timedelta(seconds=91), lease) == []
    assert store.settle(mine, "accepted", T0, provider_id="late") is False
    assert store.settle(theirs, "accepted", T0, provider_id="p1") is True
    [row] = store.outbox()
    assert (row["state"], row["provider_id"], row["lease_owner"]) == ("accepted", "p1", None)


def test_release_hands_back_unsent_claims_without_spending_an_attempt(store):
    with store.transaction() as db:
        store.enqueue(db, [note(1), note(2)], T0)
    assert len(store.claim_due(T0, owner="A")) == 2
    assert store.release("B", T0) == 0
    assert store.release("A", T0) == 2
    assert {(r["state"], r["attempts"]) for r in store.outbox()} == {("pending", 0)}


def test_concurrent_claimers_never_share_a_row(state_url):
    seed = AlertStore(state_url)
    with seed.transaction() as db:
        seed.enqueue(db, [note(i) for i in range(400)], T0)
    seed.close()

    def claim_all(store: AlertStore, i: int) -> list[str]:
        got: list[str] = []
        while batch := store.claim_due(T0, 20, owner=f"notifier-{i}"):
            got += [n.id for n in batch]
        return got

    results = race(4, state_url, claim_all)
    claimed = [nid for r in results for nid in r]
    assert len(claimed) == len(set(claimed)) == 400


def test_concurrent_routers_open_one_alert_per_story_and_unit(state_url):
    a = alert()

    def route(store: AlertStore, i: int) -> bool:
        with store.transaction() as db:
            if store.get(a.id, db) is not None:
                return False
            # decide FIRST, then apply: a second router deciding FIRST too would queue its own message
            store.apply(db, T0, alert=a, doc_id=f"d{i}", state=store.get_state(db, a.id),
                        notes=[note(i, a.id)], audit_first=[("detected", {"router": i})])
            return True

    assert sum(race(6, state_url, route)) == 1
    check = AlertStore(state_url)
    try:
        assert len(check.outbox(a.id)) == 1
        assert [t["event"] for t in check.audit_trail(a.id)] == ["detected"]
    finally:
        check.close()


def test_a_due_timer_fires_once_among_concurrent_escalators(state_url):
    a = alert()
    seed = AlertStore(state_url)
    with seed.transaction() as db:
        seed.save(db, a, "d1", T0)
        seed.schedule(db, a.id, "escalate", T0, T0, step=1)
    seed.close()

    def fire(store: AlertStore, i: int) -> bool:
        timers = store.due_timers(T0 + timedelta(minutes=1))
        if not timers:
            return False
        [timer] = timers
        with store.transaction() as db:
            current = store.pending_timer(db, a.id, "escalate")
            if current is None or current.due_at != timer.due_at:
                return False
            store.enqueue(db, [note(100 + i, a.id)], T0)
            store.finish_timer(db, timer, "done", T0)
            return True

    assert sum(race(6, state_url, fire)) == 1
    check = AlertStore(state_url)
    try:
        assert len(check.outbox(a.id)) == 1
    finally:
        check.close()


def test_held_rows_are_never_claimed_until_released_and_then_once(store):
    """forward: review — a unit's message waits ``held``; releasing it makes it an ordinary pending row."""
    a = alert().id
    held = Notification(id="h1", alert_id=a, channel="email", recipient="unit@unit.example.cn", step=0,
                        payload={"email": {"subject": "s", "body": "old"}}, state="held")
    with store.transaction() as db:
        store.save(db, alert(), "d1", T0)
        assert store.enqueue(db, [held, note(1, a)], T0) == ["h1", "n0001"]
        assert store.open_review(db, a, "picc-jl", T0 + timedelta(minutes=10), T0) is True
        assert store.open_review(db, a, "picc-jl", T0 + timedelta(minutes=20), T0) is False  # a replay
    assert [n.id for n in store.claim_due(T0 + timedelta(days=1), owner="A")] == ["n0001"]
    assert store.review(a)["state"] == "pending" and store.reviews([a, "other"])[a]["due_at"].startswith("2026-03-02T09:10")
    assert store.pending_reviews() == 1
    assert [t["reason"] for t in store.audit_trail(a) if t["event"] == "notification.held"] == ["REVIEW"]
    with store.transaction() as db:
        assert [r["id"] for r in store.held(db, a)] == ["h1"]
        assert store.release_held(db, "h1", '{"email": {"subject": "s", "body": "new"}}', T0, T0) is True
        assert store.release_held(db, "h1", '{"email": {"subject": "s", "body": "newer"}}', T0, T0) is False
        store.close_review(db, a, "forwarded", T0, by="值班员", via="console", notes="核实", advice="联系当事人")
    [claimed] = store.claim_due(T0, owner="A")
    assert claimed.id == "h1" and claimed.payload["email"]["body"] == "new"
    assert store.claim_due(T0 + timedelta(seconds=59), owner="B") == []  # claimed once, under A's lease
    got = store.review(a)
    assert (got["state"], got["forwarded_by"], got["notes"], got["advice"]) == ("forwarded", "值班员", "核实", "联系当事人")
    assert store.pending_reviews() == 0


def test_dismissing_an_alert_held_for_review_cancels_its_held_messages(store):
    a = alert().id
    held = Notification(id="h1", alert_id=a, channel="email", recipient="unit@unit.example.cn", step=0,
                        payload={}, state="held")
    with store.transaction() as db:
        store.save(db, alert(), "d1", T0)
        store.enqueue(db, [held], T0)
        store.open_review(db, a, "picc-jl", T0 + timedelta(minutes=10), T0)
        store.schedule(db, a, "review", T0 + timedelta(minutes=10), T0)
    store.change_status(a, AlertStatus.dismissed, T0, actor="值班员", via="console")
    assert [r["state"] for r in store.outbox(a)] == ["cancelled"]
    assert store.review(a)["state"] == "dismissed" and [r["state"] for r in store.timers(a)] == ["cancelled"]


def test_concurrent_forwarders_release_a_held_alert_once(state_url):
    """What ``alerting.forwarding`` does, by six reviewers/timers at once: only the first finds it pending."""
    a = alert()
    seed = AlertStore(state_url)
    with seed.transaction() as db:
        seed.save(db, a, "d1", T0)
        seed.enqueue(db, [Notification(id="h1", alert_id=a.id, channel="email", recipient="u@unit.example.cn",
                                       step=0, payload={}, state="held")], T0)
        seed.open_review(db, a.id, a.unit_id, T0, T0)
    seed.close()

    def forward(store: AlertStore, i: int) -> bool:
        with store.transaction() as db:
            store.get(a.id, db)  # the alert's lock
            if (store.review(a.id, db) or {}).get("state") != "pending":
                return False
            released = [r["id"] for r in store.held(db, a.id) if store.release_held(db, r["id"], "{}", T0, T0)]
            store.close_review(db, a.id, "forwarded", T0, by=f"reviewer-{i}")
            store.audit(db, a.id, a.unit_id, "review.forwarded", T0, released=released)
            return True

    assert sum(race(6, state_url, forward)) == 1
    check = AlertStore(state_url)
    try:
        assert [t["event"] for t in check.audit_trail(a.id)].count("review.forwarded") == 1
        assert [r["state"] for r in check.outbox(a.id)] == ["pending"]
    finally:
        check.close()
