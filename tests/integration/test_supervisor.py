"""``yuqing run`` owns its data dir and its children: a second run on the same
data dir refuses, a SIGKILLed supervisor leaves no role behind (so the next run
does not start a second set of senders), and a configuration error stops the
supervisor instead of a restart loop."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.kit import copy_config, stderr_lines, wait_for
from yuqing.supervisor import EXIT_CONFIG, Child, Supervisor

ROLES = "index,route"  # two light roles are enough to own the data dir


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def config(tmp_path):
    return copy_config(tmp_path / "config", settings={
        "data_dir": str(tmp_path / "data"), "demo": {"site_port": None, "mailsink_port": None, "gateways": False,
                                                    "users": False}})


def run(config: Path, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "run", "--config", str(config), "--roles", ROLES],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log, stderr=subprocess.STDOUT)


def role_pids(data: Path) -> dict[str, int]:
    pids = {}
    for role in ROLES.split(","):
        path = data / "run" / f"{role}.pid"
        if path.exists() and path.read_text():
            pids[role] = int(path.read_text())
    return pids


def test_second_run_refuses_and_a_killed_supervisor_takes_its_roles_with_it(config, tmp_path):
    data = tmp_path / "data"
    with open(tmp_path / "first.log", "wb") as log:
        first = run(config, log)
        try:
            pids = wait_for(lambda: len(role_pids(data)) == 2 and role_pids(data), 60, "both roles started")

            second = subprocess.run([sys.executable, "-m", "yuqing.cli", "run", "--config", str(config),
                                     "--roles", ROLES], capture_output=True, text=True, timeout=60)
            assert second.returncode == 4
            lines = stderr_lines(second.stderr)
            assert len(lines) == 1, second.stderr
            assert f"another `yuqing run` (pid {first.pid})" in lines[0] and str(data) in lines[0]
            assert all(alive(p) for p in pids.values())  # the refused run touched nothing

            first.send_signal(signal.SIGKILL)
            first.wait()
            wait_for(lambda: not any(alive(p) for p in pids.values()), 20, "the orphaned roles to exit")
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()

    with open(tmp_path / "again.log", "wb") as log:
        again = run(config, log)
        try:
            wait_for(lambda: (p := role_pids(data)) and set(p.values()).isdisjoint(pids.values()) and len(p) == 2,
                     60, "a new set of roles")
        finally:
            again.send_signal(signal.SIGTERM)
            assert again.wait(timeout=30) == 0


def test_a_configuration_error_stops_the_supervisor_instead_of_restarting(tmp_path):
    marker = tmp_path / "starts"
    bad = Child("bad", [sys.executable, "-c",
                        f"open({str(marker)!r}, 'a').write('x'); import sys; sys.exit({EXIT_CONFIG})"])
    sleeper = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    sup = Supervisor([bad, sleeper], tmp_path / "run")
    stop = threading.Event()
    timer = threading.Timer(30, stop.set)  # a safety net only: the supervisor must return long before
    timer.start()
    try:
        started = time.monotonic()
        assert sup.run(stop) == EXIT_CONFIG
        assert time.monotonic() - started < 20
    finally:
        timer.cancel()
    assert marker.read_text() == "x"  # started once, never restarted
    assert "bad stopped on a configuration error" in (sup.failure or "")
    assert sleeper.proc is not None and sleeper.proc.poll() is not None  # the others were stopped too


def test_a_role_dies_together_with_what_it_spawned(tmp_path):
    """The crawl role's crawl subprocesses share its process group: when the role dies, they go too."""
    grandchild_pid = tmp_path / "grandchild.pid"
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"open({str(grandchild_pid)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    child = Child("spawner", [sys.executable, "-c", code])
    sup = Supervisor([child], tmp_path / "run")
    stop = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stop,))
    thread.start()
    try:
        gpid = int(wait_for(lambda: grandchild_pid.exists() and grandchild_pid.read_text(), 20, "the grandchild"))
        assert child.proc is not None
        os.kill(child.proc.pid, signal.SIGKILL)
        wait_for(lambda: not alive(gpid), 10, "the grandchild to die with its parent")
    finally:
        stop.set()
        thread.join(30)
