"""Degrade, don't crash: the alert store write-locked by another process gives a
clear 503 with Retry-After in the console, and the notifier waits and carries
on instead of exiting (issue 12, item 8 of the adversarial pass)."""
import sqlite3
import threading

import requests

from contracts.clock import FakeClock
from tests.console.conftest import Api, start_console, stop_console
from tests.kit import SmtpRecorder, build_test_app, make_scored, wait_for


def lock(path) -> sqlite3.Connection:
    """Another process's write lock on ``path`` (held until rollback)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


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

