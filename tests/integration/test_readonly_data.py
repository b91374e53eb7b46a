"""A read-only data folder (issue 12, item 8): each role says in one line which file it
cannot use and exits with code 2 (the supervisor does not restart it), `yuqing run`
refuses in one line, and a running console answers 503 with Retry-After, never 500.

Read-only for real: chmod for an ordinary user; as root (whom chmod does not stop) the
immutable attribute (chattr +i), which root cannot write through either."""
import contextlib
import os
import shutil
import subprocess
import sys

import pytest
import requests

from tests.console.conftest import PASSWORD, start_console, stop_console
from tests.kit import build_test_app, make_scored, stderr_lines


@contextlib.contextmanager
def read_only(folder):
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)
        undo = ["chmod", "-R", "u+w", str(folder)]
    else:
        if not shutil.which("chattr"):
            pytest.skip("running as root, where chmod cannot deny writes, and chattr is not installed")
        done = subprocess.run(["chattr", "-R", "+i", str(folder)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"running as root, where chmod cannot deny writes, and chattr +i fails: {done.stderr}")
        undo = ["chattr", "-R", "-i", str(folder)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


def yuqing(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yuqing.cli", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})


@pytest.fixture
def filled(tmp_path):
    """A data folder with every store made, as a pipeline that ran leaves it."""
    app = build_test_app(tmp_path)
    doc = make_scored({"chinalife-jl": "red"})
    app.router.handle(doc)
    app.index.upsert([doc])
    app.story_store  # noqa: B018  (creates stories.db)
    root, data = app.config.root, app.data_dir
    app.close()
    return root, data


@pytest.mark.parametrize("role, store", [("route", "alerts.db"), ("score", "stories.db"), ("index", "index")])
def test_a_role_names_the_file_in_one_line_and_exits_without_a_restart_loop(filled, role, store):
    root, data = filled
    with read_only(data):
        done = yuqing(role, "--config", str(root), "--metrics-port", "-1")
    assert done.returncode == 2, done.stderr  # EXIT_CONFIG: the supervisor stops instead of restarting
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and f"{data / store}" in errors[0] and "cannot start" in errors[0], done.stderr


def test_yuqing_run_refuses_in_one_line(filled):
    root, data = filled
    with read_only(data):
        done = yuqing("run", "--config", str(root), "--no-demo")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    [line] = stderr_lines(done.stderr)
    assert str(data) in line, done.stderr


def test_the_console_answers_503_with_retry_after_on_login(tmp_path):
    app, _, server = start_console(tmp_path)
    try:
        with read_only(app.data_dir):
            r = requests.post(f"{server.url}/api/session", json={"username": "analyst", "password": PASSWORD},
                              timeout=60)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, r.text
            r = requests.post(f"{server.url}/login", data={"username": "analyst", "password": PASSWORD},
                              timeout=60, allow_redirects=False)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0 and "暂时不可用" in r.text
    finally:
        stop_console(app, server)
