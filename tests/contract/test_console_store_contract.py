"""The console's stores (users and sessions, the casebook) on every adapter (SQLite file,
PostgreSQL database). Two store objects on one place stand for two console processes:
what one writes the other reads — users, sessions, lockouts, handling records."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from console.casebook import Casebook
from console.reports.issues import IssueStore
from console.users import MAX_FAILURES, TooManyAttempts, UserStore

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
IDLE = 1800.0


@pytest.fixture
def two_consoles(state_url):
    a, b = UserStore(state_url), UserStore(state_url)
    yield a, b
    a.close()
    b.close()


def test_users_and_sessions_are_shared_by_two_consoles(two_consoles):
    a, b = two_consoles
    user = a.add_user("duty1", "correct-horse-1", "duty", display_name="值班员甲", now=T0)
    with pytest.raises(ValueError, match="已存在"):  # the name is taken everywhere
        b.add_user("duty1", "another-password-2", "analyst", now=T0)
    assert b.authenticate("duty1", "correct-horse-1", T0).display_name == "值班员甲"
    assert [u.username for u in b.list_users()] == ["duty1"] and b.count() == 1

    token, _ = a.create_session(user, T0, ttl=3600)
    on_b = b.session(token, T0 + timedelta(minutes=20), IDLE)  # logged in on A, served by B
    assert on_b is not None and on_b.user.username == "duty1"
    assert a.session(token, T0 + timedelta(minutes=45), IDLE) is not None  # B's touch counts on A
    assert b.session(token, T0 + timedelta(minutes=61), IDLE) is None  # the absolute lifetime holds

    token, _ = a.create_session(user, T0, ttl=3600)
    b.set_password("duty1", "a-new-password-3", T0)  # a password change on B ends A's sessions
    assert a.session(token, T0, IDLE) is None
    assert a.authenticate("duty1", "correct-horse-1", T0) is None
    assert a.authenticate("duty1", "a-new-password-3", T0) is not None

    token, _ = b.create_session(user, T0, ttl=3600)
    a.set_disabled("duty1", True, T0)
    assert b.session(token, T0, IDLE) is None and b.authenticate("duty1", "a-new-password-3", T0) is None
    a.end_session(token)  # ending an unknown session is harmless


def test_a_throttled_client_is_throttled_on_every_console(two_consoles):
    a, b = two_consoles
    a.add_user("analyst1", "correct-horse-1", "analyst", now=T0)
    for i in range(MAX_FAILURES):
        console = (a, b)[i % 2]  # a load balancer spreading the guesses
        assert console.authenticate("analyst1", "guess", T0 + timedelta(seconds=i), client="203.0.113.9") is None
    for console in (a, b):
        with pytest.raises(TooManyAttempts):
            console.authenticate("analyst1", "correct-horse-1", T0 + timedelta(minutes=1), client="203.0.113.9")
    assert b.authenticate("analyst1", "correct-horse-1", T0 + timedelta(minutes=1), client="10.0.0.2") is not None
    assert a.unlock("analyst1") == MAX_FAILURES


def test_handling_records_are_shared_and_kept_exactly(state_url):
    a, b = Casebook(state_url), Casebook(state_url)
    try:
        a.assign("alert-1", "chinalife-jl", "张三", "值班员甲 <console:duty1>", T0)
        b.assign("alert-1", "chinalife-jl", "李四", "值班员乙 <console:duty2>", T0 + timedelta(minutes=1))
        assert (a.assignment("alert-1") or {}).get("assignee") == "李四"  # one assignment per alert, the latest
        assert a.assignments(["alert-1", "alert-2"]) == {"alert-1": "李四"} and a.assignments([]) == {}
        b.note("alert-1", "chinalife-jl", "note", "分析员 <console:analyst1>", T0 + timedelta(minutes=2), "已联系")
        assert [(n["kind"], n["text"]) for n in a.notes("alert-1")] == [
            ("assign", "指派给 张三"), ("assign", "指派给 李四"), ("note", "已联系")]
        negativity = 0.8123456789012345  # kept as a double, not a 4-byte float
        for console, reason in ((a, "同名机构"), (b, "非本省")):
            console.false_alarm(alert_id="alert-1", unit_id="chinalife-jl", story_id="s-1", level="orange",
                                negativity=negativity, title="某保险公司被投诉", doc_ids=["d1", "d2"],
                                phrases=["拒赔"], reason=reason, by="值班员甲", now=T0 + timedelta(minutes=3))
        [record] = b.false_alarms(since=T0, unit_id="chinalife-jl")
        assert record["reason"] == "非本省" and record["negativity"] == negativity
        assert record["doc_ids"] == ["d1", "d2"] and record["phrases"] == ["拒赔"]
        assert a.false_alarms(unit_id="pingan-jl") == [] and a.false_alarms(since=T0 + timedelta(hours=1)) == []
        assert a.notes("alert-1")[-1]["text"] == "标记为误报：非本省"
        for console, reason in ((a, "漏报"), (b, "漏报，已补发")):  # one record per (document, unit), the latest
            console.missed(alert_id="alert-2", doc_id="d9", unit_id="picc-pc-jl", level="red", title="某险企被曝拒赔",
                           url="http://news.example.cn/9.html", text="正文", reason=reason, by="值班员甲",
                           now=T0 + timedelta(minutes=4))
        [missed] = a.missed_detections(since=T0, unit_id="picc-pc-jl")
        assert missed["reason"] == "漏报，已补发" and b.notes("alert-2")[-1]["kind"] == "manual"
    finally:
        a.close()
        b.close()


def test_migrations_are_versioned_and_applied_once(state_url):
    from pipeline.statedb import connect
    for _ in range(2):  # a second console opening the store applies nothing
        UserStore(state_url).close()
        Casebook(state_url).close()
        IssueStore(state_url).close()
    db = connect(state_url)
    try:
        rows = db.execute("SELECT store, version FROM schema_migrations WHERE store LIKE 'console.%'"
                          " ORDER BY store").fetchall()
        assert [tuple(r) for r in rows] == [("console.casebook", 1), ("console.issues", 130), ("console.users", 1)]
    finally:
        db.close()


def test_a_console_db_from_before_versioning_keeps_its_users(tmp_path):
    path = tmp_path / "console.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE users (username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, unit_id TEXT,
            password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL);
        CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, unit_id TEXT,
            kind TEXT NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL);""")
    from console.users import hash_password
    old.execute("INSERT INTO users VALUES ('admin', '管理员', 'admin', NULL, ?, 0, '2026-01-01', '2026-01-01')",
                (hash_password("old-admin-password"),))
    old.execute("INSERT INTO notes (alert_id, unit_id, kind, author, at, text) VALUES ('a', NULL, 'note', 'x', "
                "'2026-01-01T00:00:00+00:00', '旧记录')")
    old.commit()
    old.close()
    users, casebook = UserStore(path), Casebook(path)
    try:
        assert users.authenticate("admin", "old-admin-password", T0) is not None
        assert [n["text"] for n in casebook.notes("a")] == ["旧记录"]
        casebook.assign("a", None, "张三", "admin", T0)  # the tables it lacked were created
    finally:
        users.close()
        casebook.close()


def test_consoles_starting_together_migrate_once(state_url):
    import threading
    n = 6
    barrier, opened, errors = threading.Barrier(n), [], []

    def start() -> None:
        try:
            barrier.wait()
            opened.append(UserStore(state_url))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        opened[0].add_user("admin", "correct-horse-1", "admin", now=T0)
        assert all(s.count() == 1 for s in opened)
    finally:
        for s in opened:
            s.close()
