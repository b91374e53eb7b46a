"""The test suites' throw-away PostgreSQL (tests/kit/postgres.py): a suite killed with SIGKILL
cannot stop its server; the next suite's start stops it and removes its folder, and leaves the
servers of suites still running (and folders naming no owner) alone."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.kit import REPO_ROOT
from tests.kit.postgres import OWNER, PREFIX, REMOVING, PostgresServer, _started

CHILD = """
import os, signal, sys
from pathlib import Path
from tests.kit.postgres import PostgresServer
server = PostgresServer(root=Path(sys.argv[1])).start()
print(server.url or "UNAVAILABLE " + server.unavailable, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as a suite killed outright: no stop(), no cleanup
"""


def running(pid: int) -> bool:
    return _started(pid) is not None


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether the process has exited, given ``within`` seconds: pg_ctl returns once the postmaster has removed
    its pid file, which it does just before it exits (on a loaded machine the exit can trail by a moment)."""
    deadline = time.monotonic() + within
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def root():
    # Short (the server's unix socket lives in its folder) and private (other suites' servers are not ours).
    path = Path(tempfile.mkdtemp(prefix="ypg-"))
    path.chmod(0o755)  # the postgres OS user (tests run as root) must reach its folder
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_killed_suites_server_is_stopped_by_the_next_start(root):
    child = subprocess.run([sys.executable, "-c", CHILD, str(root)], cwd=REPO_ROOT, capture_output=True, text=True,
                           timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "YUQING_TEST_POSTGRES_URL": ""})
    if child.stdout.startswith("UNAVAILABLE"):
        pytest.skip(child.stdout.strip())
    assert child.returncode == -9, child.stderr
    [left] = list(root.glob(PREFIX + "*"))
    postmaster = int((left / "data" / "postmaster.pid").read_text().split()[0])
    assert running(postmaster)  # the killed suite's server outlived it

    mine = root / (PREFIX + "alive")  # a suite still running (this one): left alone
    mine.mkdir()
    (mine / OWNER).write_text(f"{os.getpid()} {_started(os.getpid())}")
    unowned = root / (PREFIX + "unowned")  # no owner named (an older kit, or being created): left alone
    unowned.mkdir()
    cut_short = root / (PREFIX + "stopped" + REMOVING)  # a stopped server's removal, cut short: finished
    (cut_short / "data").mkdir(parents=True)

    server = PostgresServer(root=root).start()
    try:
        assert server.url, server.unavailable
        assert server.reaped == [left] and not left.exists()
        assert gone(postmaster)  # pg_ctl stop waited for it
        assert mine.exists() and unowned.exists() and not cut_short.exists()
    finally:
        server.stop()


def test_stop_does_not_wait_for_the_folder_to_be_deleted(root):
    """A session's databases are thousands of files: the last test's teardown must not wait for their deletion
    (46 s for 150 databases); the server is stopped at once and its folder goes in the background."""
    server = PostgresServer(root=root).start()
    if not server.url:
        pytest.skip(server.unavailable)
    [folder] = list(root.glob(PREFIX + "*"))
    pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    real, calls = subprocess.run, []

    def run(args, **kwargs):
        if args[0] != "sh":
            return real(args, **kwargs)  # pg_ctl
        calls.append(args)  # the removal, handed over: not run here, as if it were still going
        return subprocess.CompletedProcess(args, 0)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(subprocess, "run", run)
    try:
        server.stop()
    finally:
        monkeypatch.undo()
    assert gone(pid)  # stopped, not left behind
    trash = folder.with_name(folder.name + REMOVING)
    assert [args[-1] for args in calls] == [str(trash)] and "rm -rf" in calls[0][2]
    assert not folder.exists() and trash.exists()  # renamed, its removal handed over
    assert PostgresServer(root=root).reap_stale() == [] and not trash.exists()  # or finished by the next start

