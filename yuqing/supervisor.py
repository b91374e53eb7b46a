"""``yuqing run``: start every role as its own process and keep it running.

Each role is a child process (``yuqing <role>``), so a crashed or killed
worker is restarted and resumes from its consumer group's committed offsets,
while the others carry on. The pid of each child is written to
``<data_dir>/run/<role>.pid`` for operators (and the crash tests).

Each child runs in its own process group and dies with the supervisor (see
``yuqing/runlock.py``). A child exiting with code 2 (``EXIT_CONFIG``: its
configuration is wrong) is not restarted: restarting cannot fix it, so the
supervisor stops every role and says why.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from yuqing.runlock import child_setup

log = logging.getLogger(__name__)

MAX_RESTART_DELAY = 30.0
EXIT_CONFIG = 2  # the CLI's exit code for a configuration error: never restarted


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


class Supervisor:
    def __init__(self, children: list[Child], run_dir: Path, env: dict[str, str] | None = None) -> None:
        self.children = children
        self.run_dir = run_dir
        self.env = env
        self.failure: str | None = None  # why the supervisor gave up, if it did
        run_dir.mkdir(parents=True, exist_ok=True)

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=self.env, preexec_fn=child_setup(os.getpid()))
        child.started_at = time.monotonic()
        (self.run_dir / f"{child.name}.pid").write_text(str(child.proc.pid))
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def run(self, stop: threading.Event) -> int:
        """Supervise until ``stop`` is set (0) or a child reports a configuration error (EXIT_CONFIG)."""
        for child in self.children:
            self._start(child)
        try:
            while not stop.wait(0.2):
                for child in self.children:
                    self._check(child)
                if self.failure:
                    log.error("%s", self.failure)
                    return EXIT_CONFIG
        finally:
            self._stop_all()
        return 0

    def _check(self, child: Child) -> None:
        now = time.monotonic()
        if child.proc is not None:
            code = child.proc.poll()
            if code is None:
                return
            _kill_group(child.proc.pid, signal.SIGKILL)  # what it spawned (a crawl) dies with it
            if code == EXIT_CONFIG:
                child.proc = None
                self.failure = (f"{child.name} stopped on a configuration error (exit code {code}, its log says "
                                f"which file and field); not restarting: stopping every role")
                return
            # A child that ran a while before dying gets a fresh backoff.
            if now - child.started_at > 60:
                child.restarts = 0
            delay = min(MAX_RESTART_DELAY, 0.5 * 2 ** child.restarts)
            child.restarts += 1
            child.next_start = now + delay
            child.proc = None
            log.warning("%s exited with %s; restarting in %.1fs", child.name, _describe(code), delay)
        elif now >= child.next_start:
            self._start(child)

    def _stop_all(self) -> None:
        live = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for p in live:
            _kill_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in live:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            _kill_group(p.pid, signal.SIGKILL)
        for c in self.children:
            (self.run_dir / f"{c.name}.pid").unlink(missing_ok=True)
        log.info("all roles stopped")


def _kill_group(pgid: int, sig: int) -> None:
    """Signal a child's process group (the child and what it spawned); gone already is fine."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def role_argv(role: str, config_dir: Path, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "yuqing.cli", role, "--config", str(config_dir), "--data-dir", str(data_dir)]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
