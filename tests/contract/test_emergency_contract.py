"""The 事件 (emergency) rows of the alert store, on every adapter (SQLite file, PostgreSQL database),
with real concurrent desks and escalators (threads, each with its own store, released together):
one 事件 per alert however many open it at once, a 续报 timer fires once, ticks are never lost."""
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from alerting.emergency import EmergencyDesk
from alerting.escalator import Escalator
from alerting.planner import Planner
from alerting.store import AlertStore
from contracts.clock import FakeClock
from pipeline.config import load_config
from tests.contract.test_alert_store_contract import T0, alert, race

CONFIG = load_config(Path(__file__).parents[2] / "config" / "demo")


def desk(store: AlertStore, clock: FakeClock | None = None) -> EmergencyDesk:
    return EmergencyDesk(store, CONFIG.members, CONFIG.rules, clock or FakeClock(T0), "http://console.example")


def seeded(url: str) -> str:
    a = alert(unit="chinalife-jl")
    store = AlertStore(url)
    with store.transaction() as db:
        store.save(db, a, "d1", T0)
    store.close()
    return a.id


def test_rows_round_trip_and_list_by_status_and_unit(state_url):
    alert_id = seeded(state_url)
    store = AlertStore(state_url)
    try:
        em = desk(store).open(alert_id, actor="值班员王宁", via="console")
        assert store.get_emergency(em["id"]) == em == store.emergency_of(alert_id)
        assert [e["id"] for e in store.list_emergencies("open", "chinalife-jl")] == [em["id"]]
        assert store.list_emergencies("closed") == [] and store.list_emergencies(unit_id="picc-jl") == []
        desk(store).close(em["id"], actor="值班员王宁", via="console", summary="结束")
        assert [e["status"] for e in store.list_emergencies()] == ["closed"]
        assert [t["state"] for t in store.timers(alert_id) if t["kind"] == "bulletin"] == ["cancelled"]
        assert [r["event"] for r in store.audit_after(None, alert_id, 0)] == ["emergency.opened", "emergency.closed"]
    finally:
        store.close()


def test_concurrent_opens_make_one_emergency(state_url):
    alert_id = seeded(state_url)
    ids = race(6, state_url, lambda store, i: desk(store).open(alert_id, actor=f"officer{i}", via="api")["id"])
    assert len(set(ids)) == 1
    check = AlertStore(state_url)
    try:
        assert [r["event"] for r in check.audit_after(None, alert_id, 0)] == ["emergency.opened"]
    finally:
        check.close()


def test_concurrent_ticks_are_all_kept(state_url):
    alert_id = seeded(state_url)
    store = AlertStore(state_url)
    em = desk(store).open(alert_id, actor="值班员王宁", via="console")
    store.close()
    n = min(6, len(em["checklist"]))
    race(n, state_url, lambda store, i: desk(store).tick(em["id"], f"c{i + 1}", True, actor=f"p{i}", via="console"))
    check = AlertStore(state_url)
    try:
        items = (check.get_emergency(em["id"]) or {})["checklist"]
        assert [i["by"] for i in items[:n]] == [f"p{i}" for i in range(n)]
    finally:
        check.close()


def test_a_due_bulletin_fires_once_among_concurrent_escalators(state_url):
    alert_id = seeded(state_url)
    store = AlertStore(state_url)
    em = desk(store).open(alert_id, actor="值班员王宁", via="console")
    store.close()
    later = FakeClock(T0 + timedelta(seconds=CONFIG.rules.emergency.bulletin_every))
    no_planner = cast(Planner, SimpleNamespace(routing=None))  # only 续报 timers are due: no alert messages to plan
    race(6, state_url, lambda store, i: Escalator(store, no_planner, later, emergency=desk(store, later)).run_once())
    check = AlertStore(state_url)
    try:
        assert len((check.get_emergency(em["id"]) or {})["bulletins"]) == 1
        rows = [r for r in check.outbox(alert_id) if r["kind"] == "bulletin"]
        assert rows and {r["round"] for r in rows} == {1} and len(rows) == len({r["recipient"] for r in rows})
        [pending] = [t for t in check.timers(alert_id) if t["kind"] == "bulletin" and t["state"] == "pending"]
        assert pending["due_at"] > later.now().isoformat()
    finally:
        check.close()
