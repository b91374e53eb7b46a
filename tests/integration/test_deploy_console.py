"""deploy/compose.yml's console service: its own settings (reached from outside its container,
no demo users) load, the demo users would be refused there, and the first admin is created by
the command deploy/README.md documents — run as written, with the service's environment,
against a PostgreSQL database — and can log in to a console on those settings."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from pipeline.config import ConfigError, load_config
from tests.console.conftest import Api
from tests.kit import REPO_ROOT
from yuqing.bootstrap import App
from yuqing.console_role import ConsoleServer
from yuqing.roles import ROLES

DEPLOY = REPO_ROOT / "deploy"
PASSWORD = "an-admin-password-for-tests-2026"


def compose_env(service: dict) -> dict[str, str]:
    """The service's environment as compose passes it (``${VAR:-default}`` from an empty host env)."""
    return {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in service["environment"].items()}


def documented_command() -> list[str]:
    """The arguments after the service name in deploy/README.md's first-admin command."""
    [line] = [ln for ln in (DEPLOY / "README.md").read_text(encoding="utf-8").splitlines()
              if "run --rm -e" in ln and " console user add " in ln]
    argv = shlex.split(line)
    return argv[argv.index("console") + 1:]


def test_the_console_service_has_its_own_settings_and_shares_the_ack_secret():
    services = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))["services"]
    console = services["console"]
    assert console["command"][0] == "console" and "console" in ROLES
    env = compose_env(console)
    assert env["YUQING_DEMO_USERS"] == "false" and env["YUQING_CONSOLE_HOST"] == "0.0.0.0"
    assert "postgres" in console["depends_on"]
    # Links signed by route/notify verify in the console: the same data volume (ack.secret).
    assert set(console["volumes"]) & set(services["route"]["volumes"]) & set(services["notify"]["volumes"])
    # Every role renders links with the same console address.
    for role in ("route", "notify", "console"):
        assert compose_env(services[role])["YUQING_CONSOLE_BASE_URL"] == env["YUQING_CONSOLE_BASE_URL"]


def test_the_first_admin_is_made_by_the_documented_command_and_logs_in(tmp_path, monkeypatch, postgres_server):
    if not postgres_server.url:
        pytest.skip(postgres_server.unavailable)
    services = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))["services"]
    env = {**compose_env(services["console"]),
           "YUQING_CONFIG": str(REPO_ROOT / "config" / "demo"), "YUQING_DATA_DIR": str(tmp_path / "data"),
           "YUQING_ALERT_STORE_URL": postgres_server.new_database(), "YUQING_BUS_URL": "sqlite:///bus.db",
           "YUQING_INDEX_URL": "tantivy:///index", "YUQING_ADMIN_PASSWORD": PASSWORD}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PGPASSWORD", raising=False)  # the test server trusts local connections

    # The demo users are refused on this console (the reason the service turns them off).
    monkeypatch.setenv("YUQING_DEMO_USERS", "true")
    with pytest.raises(ConfigError, match="yuqing user add"):
        load_config(env["YUQING_CONFIG"])
    monkeypatch.setenv("YUQING_DEMO_USERS", env["YUQING_DEMO_USERS"])

    argv = documented_command()
    assert argv[:3] == ["user", "add", "admin"] and "--password-env" in argv
    made = subprocess.run([sys.executable, "-c", "from yuqing.cli import main; raise SystemExit(main())", *argv],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0 and "added admin (admin)" in made.stdout, made.stderr

    config = load_config(env["YUQING_CONFIG"])
    assert config.settings.console_host == "0.0.0.0" and not config.settings.demo.users
    server = ConsoleServer(App(config)).start()  # on loopback here; the service listens on 0.0.0.0
    try:
        admin = Api(server.url)
        r = admin.http.post(f"{server.url}/api/session", json={"username": "admin", "password": PASSWORD}, timeout=30)
        assert r.status_code == 200 and r.json()["user"]["role"] == "admin", r.text
        wrong = admin.http.post(f"{server.url}/api/session", json={"username": "admin", "password": "x" * 12},
                                timeout=30)
        assert wrong.status_code == 401
    finally:
        server.stop()
        server.app.close()
