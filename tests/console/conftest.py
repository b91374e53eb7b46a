"""Console fixtures: an App built through the composition root, seeded
through the real index and router, served by the real console (uvicorn on
a free port), and one user per role. API tests talk HTTP with requests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from tests.kit import REPO_ROOT, build_test_app, seed_app
from yuqing.bootstrap import App
from yuqing.console_role import ConsoleServer

PASSWORD = "console-test-pw"
UNIT_A, UNIT_B = "picc-pc-jl", "chinalife-jl"
USERS = {"duty": ("duty", None), "analyst": ("analyst", None), "admin": ("admin", None),
         "lead_a": ("lead", UNIT_A), "lead_b": ("lead", UNIT_B)}


def add_users(server: ConsoleServer) -> None:
    users = server.web.state.ports.users
    for name, (role, unit) in USERS.items():
        users.add_user(name, PASSWORD, role, unit_id=unit, display_name=f"测试{name}")


class Api:
    """requests against the console with a bearer token (or the cookie, ``cookie=True``)."""

    def __init__(self, base: str, username: str | None = None, cookie: bool = False) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf = None
        if username:
            r = self.http.post(f"{base}/api/session", json={"username": username, "password": PASSWORD},
                               timeout=60)  # a deadline: the console's first request, under load, took over 10 s
            r.raise_for_status()
            body = r.json()
            self.csrf = body["csrf"]
            if not cookie:
                self.http.cookies.clear()
                self.http.headers["Authorization"] = f"Bearer {body['token']}"

    def get(self, path: str, **kw):
        return self.http.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, **kw):
        return self.http.post(self.base + path, timeout=60, **kw)

    def patch(self, path: str, **kw):
        return self.http.patch(self.base + path, timeout=30, **kw)


def start_console(tmp_path, clock=None, settings: dict | None = None, rules: dict | None = None):
    """The test's App (seeds, routes, inspects: like the pipeline's processes)
    and a console server with its own App over the same files and clock."""
    app = build_test_app(tmp_path, clock=clock, settings=settings, rules=rules)
    alerts = seed_app(app)
    server = ConsoleServer(App(app.config, clock=app.clock))
    add_users(server)
    server.start()
    return app, alerts, server


def stop_console(app, server) -> None:
    server.stop()
    server.app.close()
    app.close()


@pytest.fixture
def console(tmp_path):
    """(app, alerts, server), fresh for a test that changes things."""
    app, alerts, server = start_console(tmp_path)
    yield app, alerts, server
    stop_console(app, server)


@pytest.fixture(scope="module")
def shared_console(tmp_path_factory):
    """(app, alerts, server) shared by a module's read-only tests."""
    app, alerts, server = start_console(tmp_path_factory.mktemp("console"))
    yield app, alerts, server
    stop_console(app, server)


@pytest.fixture(scope="module")
def shots() -> Path:
    """Where the browser tests save screenshots: $YUQING_SCREENSHOTS, else build/screenshots."""
    where = Path(os.environ.get("YUQING_SCREENSHOTS") or REPO_ROOT / "build" / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where
