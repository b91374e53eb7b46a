"""Console users: hashed passwords, expiring sessions, demo seeding, the
``yuqing user`` command, and the ``console`` role serving until stopped."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import cast

import pytest
import requests

from console.ports import ConsoleBackend, Ports
from console.users import UserStore, check_password, hash_password
from demo.users import seed_demo_users
from pipeline.config import load_config
from tests.kit import build_test_app, free_port, wait_for
from yuqing.cli import main
from yuqing.roles import ROLES

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_passwords_are_salted_scrypt_hashes(tmp_path):
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1.startswith("scrypt$") and h1 != h2 and "correct" not in h1
    assert check_password("correct horse", h1) and not check_password("wrong horse", h1)
    assert not check_password("x", "garbage")
    store = UserStore(tmp_path / "console.db")
    store.add_user("duty", "correct horse", "duty")
    raw = store._db.execute("SELECT password FROM users").fetchone()[0]
    assert raw.startswith("scrypt$")
    assert getattr(store.authenticate("duty", "correct horse"), "role", None) == "duty"
    assert store.authenticate("duty", "wrong") is None and store.authenticate("ghost", "correct horse") is None
    with pytest.raises(ValueError, match="至少"):
        store.add_user("weak", "1234", "analyst")
    with pytest.raises(ValueError, match="会员单位"):
        store.add_user("lead", "long-enough-pw", "lead")
    with pytest.raises(ValueError, match="已存在"):
        store.add_user("duty", "another-one-pw", "analyst")
    for common in ("12345678", "123456789012", "Password1234", "aaaaaaaaaaaaaa"):  # the policy (issue 12)
        with pytest.raises(ValueError, match="至少|常见"):
            store.add_user("admin2", common, "admin")


def test_sessions_expire_absolutely_and_when_idle(tmp_path):
    store = UserStore(tmp_path / "console.db")
    user = store.add_user("duty", "long-enough-pw", "duty")
    token, session = store.create_session(user, T0, ttl=3600)
    stored = store._db.execute("SELECT token_hash FROM sessions").fetchone()[0]
    assert token not in stored  # only the hash is kept
    touched = store.session(token, T0 + timedelta(minutes=20), idle_timeout=1800)
    assert touched is not None and touched.user.username == "duty"
    assert store.session(token, T0 + timedelta(minutes=45), idle_timeout=1800) is not None  # touched at 20 min
    assert store.session(token, T0 + timedelta(minutes=61), idle_timeout=1800) is None  # absolute lifetime
    token, _ = store.create_session(user, T0, ttl=3600)
    assert store.session(token, T0 + timedelta(minutes=31), idle_timeout=1800) is None  # idle
    token, _ = store.create_session(user, T0, ttl=3600)
    store.set_password("duty", "a-new-password", T0)  # a new password ends every session
    assert store.session(token, T0, idle_timeout=1800) is None
    token, _ = store.create_session(user, T0, ttl=3600)
    store.set_disabled("duty", True, T0)
    assert store.session(token, T0, idle_timeout=1800) is None and store.authenticate("duty", "a-new-password") is None


def test_demo_users_are_seeded_once_with_the_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("YUQING_CONSOLE_DEMO_PASSWORD", "demo-password-1")
    app = build_test_app(tmp_path, settings={"demo": {"users": True}})
    ports = Ports(cast(ConsoleBackend, app))  # the app has what the users' part of the ports reads
    try:
        created = seed_demo_users(app.config)
        assert {"duty", "analyst", "admin"} <= set(created)
        assert {f"lead-{u.id}" for u in app.config.members.units} <= set(created)
        lead = ports.users.authenticate("lead-picc-pc-jl", "demo-password-1")
        assert lead is not None and lead.role == "lead" and lead.unit_id == "picc-pc-jl"
        # A name alone: the console adds the role and unit in brackets of its own (no 李明（人保财险）（单位负责人…）).
        unit = next(u for u in app.config.members.units if u.id == "picc-pc-jl")
        assert lead.display_name == (unit.contacts[0].name if unit.contacts else "宣传负责人")
        assert all("（" not in u.display_name for u in ports.users.list_users())
        listing = (app.data_dir / "console-demo-users.txt").read_text(encoding="utf-8")
        assert "demo-password-1" not in listing and "YUQING_CONSOLE_DEMO_PASSWORD" in listing
        assert seed_demo_users(app.config) == []  # never again once users exist
    finally:
        ports.close()
        app.close()


def test_user_command_adds_and_changes_passwords(tmp_path, monkeypatch, capsys):
    app = build_test_app(tmp_path)
    root = str(app.config.root)
    app.close()
    monkeypatch.setenv("PW1", "first-password")
    monkeypatch.setenv("PW2", "second-password")
    assert main(["user", "add", "lead-c", "--role", "lead", "--unit", "chinalife-jl", "--name", "孙伟",
                 "--password-env", "PW1", "--config", root]) == 0
    assert main(["user", "add", "bad", "--role", "lead", "--unit", "no-such-unit", "--password-env", "PW1",
                 "--config", root]) == 2
    assert main(["user", "passwd", "lead-c", "--password-env", "PW2", "--config", root]) == 0
    assert main(["user", "passwd", "ghost", "--password-env", "PW2", "--config", root]) == 1
    monkeypatch.setenv("PW3", "12345678")
    assert main(["user", "add", "admin", "--role", "admin", "--password-env", "PW3", "--config", root]) == 2
    assert "至少需要 12 个字符" in capsys.readouterr().err
    monkeypatch.setenv("PW3", "Password1234")
    assert main(["user", "add", "admin", "--role", "admin", "--password-env", "PW3", "--config", root]) == 2
    assert "过于常见" in capsys.readouterr().err
    assert main(["user", "unlock", "lead-c", "--config", root]) == 0
    assert main(["user", "unlock", "ghost", "--config", root]) == 1
    assert main(["user", "list", "--config", root]) == 0
    out = capsys.readouterr().out
    assert "lead-c" in out and "admin" not in out
    store = UserStore(load_config(root).data_dir / "console.db")
    assert getattr(store.authenticate("lead-c", "second-password"), "unit_id", None) == "chinalife-jl"
    store.close()


def test_console_role_serves_until_stopped(tmp_path):
    port = free_port()
    app = build_test_app(tmp_path, settings={"console_port": port, "console": {"reports": True}})
    assert "console" in app.config.settings.roles  # the demo runs the console with everything else
    stop = threading.Event()
    role = threading.Thread(target=ROLES["console"], args=(app, stop), daemon=True)
    role.start()
    try:
        page = wait_for(lambda: _get(f"http://127.0.0.1:{port}/login"), 20, "the console to answer")
        assert page.status_code == 200 and "登录舆情监测控制台" in page.text
        # The console never creates accounts of its own: demo users are the demo launcher's
        # (demo/__main__.py), so a production config cannot get them by accident.
        assert not (app.data_dir / "console-demo-users.txt").exists()
        store = UserStore(app.data_dir / app.config.settings.console.users_db)
        try:
            assert store.count() == 0
        finally:
            store.close()
    finally:
        stop.set()
        role.join(timeout=15)
        app.close()
    assert not role.is_alive()


def test_console_role_says_plainly_when_its_port_is_taken(tmp_path, caplog):
    import socket

    from yuqing.console_role import PortInUse
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = build_test_app(tmp_path, settings={"console_port": port})
        try:
            with pytest.raises(PortInUse, match=f"cannot listen on 127.0.0.1:{port}.*console_port"):
                ROLES["console"](app, threading.Event())
        finally:
            app.close()
        # `yuqing console`: one line saying so, exit code 3 (the supervisor retries with backoff).
        assert main(["console", "--config", str(app.config.root), "--data-dir", str(app.data_dir),
                     "--metrics-port", "-1"]) == 3
        assert f"cannot listen on 127.0.0.1:{port}" in caplog.text


def _get(url: str):
    try:
        return requests.get(url, timeout=2)
    except requests.ConnectionError:
        return None


def test_wrong_passwords_throttle_the_client_and_only_many_clients_lock_the_account(tmp_path):
    from console.users import ACCOUNT_MAX_FAILURES, LOCKOUT, MAX_FAILURES, TooManyAttempts
    store = UserStore(tmp_path / "users.db")
    store.add_user("duty1", "correct-horse-1", "duty")
    t0 = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    for i in range(MAX_FAILURES):
        assert store.authenticate("duty1", "wrong-guess", t0 + timedelta(seconds=i), client="203.0.113.9") is None
    with pytest.raises(TooManyAttempts) as locked:  # this client: even the right password, while throttled
        store.authenticate("duty1", "correct-horse-1", t0 + timedelta(minutes=1), client="203.0.113.9")
    assert "分钟后再试" in str(locked.value) and 0 < locked.value.retry_after <= LOCKOUT.total_seconds()
    # The attacker did not lock the account: the officer on another address logs in.
    assert store.authenticate("duty1", "correct-horse-1", t0 + timedelta(minutes=1), client="10.1.2.3")
    # Once the failures age out, the client may try again.
    later = t0 + LOCKOUT + timedelta(seconds=MAX_FAILURES)
    assert getattr(store.authenticate("duty1", "correct-horse-1", later, client="203.0.113.9"), "username", None) == "duty1"
    # Many clients together lock the account (unknown names too: a lock says nothing about which names exist) …
    for name in ("duty1", "nobody"):
        for i in range(ACCOUNT_MAX_FAILURES):
            store.authenticate(name, "wrong-guess", later + timedelta(seconds=i), client=f"198.51.100.{i}")
        with pytest.raises(TooManyAttempts):
            store.authenticate(name, "correct-horse-1", later + timedelta(minutes=1), client="10.1.2.3")
    # … and `yuqing user unlock` (or a password reset) lifts it at once.
    assert store.unlock("duty1") == ACCOUNT_MAX_FAILURES
    assert store.authenticate("duty1", "correct-horse-1", later + timedelta(minutes=1), client="10.1.2.3")
    for i in range(ACCOUNT_MAX_FAILURES):
        store.authenticate("duty1", "wrong-guess", later + timedelta(seconds=i), client=f"198.51.100.{i}")
    store.set_password("duty1", "battery-staple-2", later)
    assert getattr(store.authenticate("duty1", "battery-staple-2", later, client="10.1.2.3"), "username", None) == "duty1"
    store.close()


def test_login_lockout_through_the_api_and_the_login_form(tmp_path):
    from console.users import MAX_FAILURES
    from tests.console.conftest import PASSWORD, start_console, stop_console
    app, _, server = start_console(tmp_path)
    try:
        for _ in range(MAX_FAILURES):
            r = requests.post(f"{server.url}/api/session", json={"username": "analyst", "password": "guess"}, timeout=10)
            assert r.status_code == 401
        r = requests.post(f"{server.url}/api/session", json={"username": "analyst", "password": PASSWORD}, timeout=10)
        assert r.status_code == 429 and "分钟后再试" in r.json()["detail"] and int(r.headers["Retry-After"]) > 0
        r = requests.post(f"{server.url}/login", data={"username": "analyst", "password": PASSWORD}, timeout=10,
                          allow_redirects=False)
        assert r.status_code == 429 and "分钟后再试" in r.text
        # The client is throttled, not the account: the analyst logs in from another address.
        assert server.web.state.ports.users.authenticate("analyst", PASSWORD, app.clock.now(), client="10.0.0.7")
        # A login form posted from another site (login CSRF) is refused before any password check.
        r = requests.post(f"{server.url}/login", data={"username": "duty", "password": PASSWORD}, timeout=10,
                          headers={"Origin": "http://evil.example.com", "Sec-Fetch-Site": "cross-site"},
                          allow_redirects=False)
        assert r.status_code == 403
    finally:
        stop_console(app, server)
