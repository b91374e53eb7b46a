"""The notifier (and the escalator it drives) survive a lost PostgreSQL connection (a server restart,
``pg_terminate_backend``), against the real server of tests/kit/postgres.py: they reconnect with
backoff, log one line per failure, send what is due once the database answers again, and raise the
store ops alert only when the database stays away for ``store_alarm_minutes``."""
import threading

import psycopg
import pytest

from contracts.clock import FakeClock
from pipeline.config import load_config
from tests.integration.test_store_unavailable import OpsWatch
from tests.kit import SmtpRecorder, build_test_app, make_scored, wait_for
from yuqing.bootstrap import App

PRIMARY = "sunwei@chinalife-jl.example.cn"


@pytest.fixture
def pg(postgres_server):
    if not postgres_server.url:
        pytest.skip(postgres_server.unavailable)
    return postgres_server


def drop_connections(admin_url: str, url: str, allow: bool | None = None) -> int:
    """Terminate every connection to the database of ``url`` (what a server restart does to them);
    ``allow``: let new connections in again (True) or refuse them (False: the server is down)."""
    db = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if allow is not None:
            admin.execute(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS {"true" if allow else "false"}')
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s"
                                 " AND pid <> pg_backend_pid()", (db,)).fetchall())


@pytest.fixture
def apps(pg, tmp_path):
    """(notifier's App, router's App — another process in production, smtp, database URL)."""
    url = pg.new_database()
    with SmtpRecorder() as smtp:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(),
                             settings={"alert_store": {"url": url}, "store_alarm_after": 2})
        router = App(load_config(tmp_path / "config"), clock=app.clock)
        try:
            yield app, router, smtp, url
        finally:
            drop_connections(pg.url, url, allow=True)
            router.close()
            app.close()


def run(app) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=app.notifier.run, args=(stop,), kwargs={"max_backoff": 0.3})
    thread.start()
    return stop, thread


def failures(caplog) -> int:
    return caplog.text.count("alert store unavailable")


def test_a_dropped_connection_is_made_anew_and_the_alert_sent(pg, apps, caplog):
    app, router, smtp, url = apps
    stop, thread = run(app)
    ops = OpsWatch(app)
    try:
        wait_for(lambda: app.notifier.store._db.execute("SELECT 1").fetchone(), 10, "the notifier's connection")
        assert drop_connections(pg.url, url) >= 1  # the server restarted under the running notifier
        router.router.handle(make_scored({"chinalife-jl": "orange"}, story="pg-restart", at=app.clock.now()))
        wait_for(lambda: smtp.to(PRIMARY) or not thread.is_alive(), 30, "the alert after reconnecting")
        assert thread.is_alive() and len(smtp.to(PRIMARY)) == 1
        assert app.alert_store._db.reconnects >= 1 and failures(caplog) >= 1
        assert "告警存储不可用" in caplog.text
        assert ops() == []  # a restart of seconds is no outage: nobody is paged
    finally:
        stop.set()
        thread.join(10)
        ops.close()
    assert not thread.is_alive()


def test_a_database_away_for_minutes_raises_the_ops_alert_then_the_recovery(pg, apps, caplog):
    app, router, smtp, url = apps
    router.router.handle(make_scored({"chinalife-jl": "orange"}, story="pg-down", at=app.clock.now()))
    assert app.notifier.store is app.alert_store  # connected while the database was up
    drop_connections(pg.url, url, allow=False)  # down: connections refused
    stop, thread = run(app)
    ops = OpsWatch(app)
    try:
        wait_for(lambda: failures(caplog) >= 3, 30, "three failed attempts")
        assert thread.is_alive() and ops() == [] and smtp.to(PRIMARY) == []  # 2 failures, but within minutes
        app.clock.advance(3 * 60)  # past store_alarm_minutes (2)
        wait_for(ops, 30, "the store ops alert")
        assert ops.seen[0].subject == "notifier" and not ops.seen[0].resolved
        drop_connections(pg.url, url, allow=True)  # back
        wait_for(lambda: smtp.to(PRIMARY), 30, "the alert once the database is back")
        wait_for(lambda: len(ops()) == 2, 30, "the recovery notice")
        assert ops.seen[1].resolved and len(smtp.to(PRIMARY)) == 1 and thread.is_alive()
    finally:
        stop.set()
        thread.join(10)
        ops.close()


def test_a_transaction_cut_by_a_lost_connection_is_not_carried_on_over_a_new_one(pg, apps):
    app, _, _, url = apps
    store = app.alert_store
    with pytest.raises(psycopg.OperationalError), store.transaction() as db:
        db.execute("SELECT 1")
        drop_connections(pg.url, url)
        with pytest.raises(psycopg.OperationalError):
            db.execute("SELECT 1")  # the statement that meets the lost connection fails
        db.execute("INSERT INTO reviews (alert_id, unit_id, state, held_at, due_at) VALUES ('x','u','pending','t','t')")
    assert store.review("x") is None  # nothing of the cut transaction was written on a new connection
    assert store._db.reconnects == 1
