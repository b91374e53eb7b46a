"""Degrade, don't crash: the alert store write-locked by another process gives a
clear 503 with Retry-After in the console, and the notifier waits and carries
on instead of exiting (issue 12, item 8 of the adversarial pass)."""
import sqlite3
import threading

import requests

from contracts.clock import FakeClock
from contracts.messages import OpsAlert
from contracts.topics import OPS_ALERTS
from tests.console.conftest import Api, start_console, stop_console
from tests.kit import SmtpRecorder, build_test_app, make_scored, wait_for


def lock(path) -> sqlite3.Connection:
    """Another process's write lock on ``path`` (held until rollback)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


class OpsWatch:
    """Calling it returns every ops alert published so far, in order (also kept in ``seen``)."""

    def __init__(self, app) -> None:
        self.consumer = app.bus.consumer([OPS_ALERTS], "test-watcher")
        self.seen: list[OpsAlert] = []

    def __call__(self) -> list[OpsAlert]:
        self.seen.extend(OpsAlert.from_bytes(r.value) for r in self.consumer.poll(100, timeout=0.1))
        return self.seen

    def close(self) -> None:
        self.consumer.close()


def test_a_locked_alert_store_gives_a_503_with_retry_after_not_a_500(tmp_path):
    app, alerts, server = start_console(tmp_path)
    try:
        server.app.alert_store._db.execute("PRAGMA busy_timeout = 300")  # wait 0.3 s, not 30 s, before giving up
        duty = Api(server.url, "duty")
        holder = lock(app.alert_store.path)
        try:
            r = duty.post(f"/api/alerts/{alerts[0].id}/actions", json={"action": "acknowledge"})
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, r.text
            assert "稍后重试" in r.json()["detail"]
        finally:
            holder.rollback()
            holder.close()
        r = duty.post(f"/api/alerts/{alerts[0].id}/actions", json={"action": "acknowledge"})
        assert r.status_code == 200  # the lock is gone: business as usual
        assert requests.get(server.url + "/login", timeout=10).status_code == 200
    finally:
        stop_console(app, server)


def test_the_notifier_waits_out_a_locked_store_and_then_sends(tmp_path, caplog):
    with SmtpRecorder() as smtp:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock())
        try:
            app.router.handle(make_scored({"chinalife-jl": "red"}, story="locked", at=app.clock.now()))
            notifier = app.notifier
            notifier.store._db.execute("PRAGMA busy_timeout = 100")
            holder = lock(app.alert_store.path)
            stop = threading.Event()
            thread = threading.Thread(target=notifier.run, args=(stop,), kwargs={"max_backoff": 0.5})
            thread.start()
            try:
                wait_for(lambda: not thread.is_alive() or "alert store unavailable" in caplog.text, 10,
                         "the notifier to hit the lock")
                assert thread.is_alive() and smtp.messages == []  # it waits, it does not exit
                holder.rollback()
                holder.close()
                wait_for(lambda: smtp.to("sunwei@chinalife-jl.example.cn"), 20, "the alert mail after the lock")
                assert thread.is_alive()
            finally:
                stop.set()
                thread.join(10)
        finally:
            app.close()



def test_repeated_store_failures_raise_one_ops_alert_and_a_recovery_notice(tmp_path, caplog):
    """The router's alerts.db write-locked by another process: after store_alarm_after failures
    one ops alert goes to ops.alerts; when the lock goes, the document is routed, a "resolved"
    follows, and both reach the duty officers' outbox (the router consumes ops.alerts too)."""
    from contracts.topics import DOCS_SCORED
    from pipeline.opsalarm import STORE_FAILING
    from yuqing.roles import route

    app = build_test_app(tmp_path, clock=FakeClock(), settings={"store_alarm_after": 2})
    try:
        app.alert_store._db.execute("PRAGMA busy_timeout = 100")
        doc = make_scored({"chinalife-jl": "red"}, story="while-locked", at=app.clock.now())
        with app.bus.producer() as producer:
            producer.send(DOCS_SCORED, doc.to_bytes(), key=doc.story_id)
        ops_alerts = OpsWatch(app)
        seen = ops_alerts.seen

        holder = lock(app.alert_store.path)
        stop = threading.Event()
        thread = threading.Thread(target=route, args=(app, stop))
        thread.start()
        try:
            wait_for(lambda: ops_alerts(), 30, "the store ops alert")
            wait_for(lambda: caplog.text.count("stage router failed") >= 3, 30, "a third failure")
            assert len(ops_alerts()) == 1  # once per outage, not once per failure
            alert = seen[0]
            assert alert.problem == STORE_FAILING and alert.subject == "router" and not alert.resolved
            assert "预警分发进程连续 2 次无法读写数据存储" in alert.summary and "locked" in alert.summary
            holder.rollback()
            holder.close()
            wait_for(lambda: len(ops_alerts()) == 2, 30, "the recovery notice")
            assert seen[1].resolved and seen[1].id == alert.id and "【恢复】" in seen[1].summary
            wait_for(lambda: {r["kind"] for r in app.alert_store.outbox()} >= {"ops"} and
                     len({r["id"] for r in app.alert_store.outbox(f"ops:{alert.id}")}) >= 2, 30,
                     "the ops alert and its resolution queued for the duty officers")
            assert app.alert_store.list_alerts(unit_id="chinalife-jl")  # the document went through
        finally:
            stop.set()
            thread.join(10)
            ops_alerts.close()
    finally:
        app.close()


def test_the_notifier_raises_the_store_ops_alert_too(tmp_path):
    # store_alarm_minutes 0: on the count alone (test_alerting_pg_reconnect has the minutes on a fake clock)
    app = build_test_app(tmp_path, clock=FakeClock(), settings={"store_alarm_after": 2, "store_alarm_minutes": 0})
    try:
        notifier = app.notifier
        notifier.store._db.execute("PRAGMA busy_timeout = 100")
        ops_alerts = OpsWatch(app)
        seen = ops_alerts.seen

        holder = lock(app.alert_store.path)
        stop = threading.Event()
        thread = threading.Thread(target=notifier.run, args=(stop,), kwargs={"max_backoff": 0.3})
        thread.start()
        try:
            wait_for(ops_alerts, 20, "the notifier's store ops alert")
            assert seen[0].subject == "notifier" and "通知发送进程连续 2 次无法读写数据存储" in seen[0].summary
            holder.rollback()
            holder.close()
            wait_for(lambda: len(ops_alerts()) == 2, 20, "the recovery notice")
            assert seen[1].resolved and len(seen) == 2
        finally:
            stop.set()
            thread.join(10)
            ops_alerts.close()
    finally:
        app.close()
