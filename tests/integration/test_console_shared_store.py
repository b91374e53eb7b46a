"""Two console processes on two machines (separate data dirs, nothing shared but one
PostgreSQL database): a user added by ``yuqing user`` on one logs in on either, a session
opened on one is honoured by the other, and logging out on one ends it on both."""
from __future__ import annotations

import pytest
import requests

from tests.kit import build_test_app
from yuqing.cli import main
from yuqing.console_role import ConsoleServer

PASSWORD = "shared-console-pw"


@pytest.fixture
def pg_url(postgres_server):
    if not postgres_server.url:
        pytest.skip(postgres_server.unavailable)
    return postgres_server.new_database()


def test_two_consoles_on_one_postgresql_share_users_and_sessions(tmp_path, pg_url, monkeypatch):
    # Only the alert store is configured: the console's users follow it to PostgreSQL.
    apps = [build_test_app(tmp_path / m, settings={"alert_store": {"url": pg_url}}) for m in ("m1", "m2")]
    assert apps[0].console_store == apps[1].console_store == pg_url
    monkeypatch.setenv("SHARED_PW", PASSWORD)
    assert main(["user", "add", "duty1", "--role", "duty", "--password-env", "SHARED_PW",
                 "--config", str(apps[0].config.root), "--data-dir", str(apps[0].data_dir)]) == 0
    servers = [ConsoleServer(app).start() for app in apps]
    try:
        one, two = (s.url for s in servers)
        login = requests.post(f"{two}/api/session", json={"username": "duty1", "password": PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text  # added on machine 1, logs in on machine 2
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        for base in (one, two):
            me = requests.get(f"{base}/api/me", headers=bearer, timeout=10)
            assert me.status_code == 200 and me.json()["user"]["username"] == "duty1"
        assert requests.delete(f"{one}/api/session", headers=bearer, timeout=10).status_code == 200
        assert requests.get(f"{two}/api/me", headers=bearer, timeout=10).status_code == 401
        # Nothing of it in either data dir.
        assert not any((app.data_dir / app.config.settings.console.users_db).exists() for app in apps)
    finally:
        for s in servers:
            s.stop()
        for app in apps:
            app.close()
