"""``yuqing run``: start every role as its own process and keep it running.

Each role is a child process (``yuqing <role>``), so a crashed or killed
worker is restarted and resumes from its consumer group's committed offsets,
while the others carry on. The pid of each child is written to
``<data_dir>/run/<role>.pid`` for operators (and the crash tests).
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

log = logging.getLogger(__name__)

MAX_RESTART_DELAY = 30.0


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
        run_dir.mkdir(parents=True, exist_ok=True)

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=self.env)
        child.started_at = time.monotonic()
        (self.run_dir / f"{child.name}.pid").write_text(str(child.proc.pid))
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def run(self, stop: threading.Event) -> None:
        for child in self.children:
            self._start(child)
        try:
            while not stop.wait(0.2):
                for child in self.children:
                    self._check(child)
        finally:
            self._stop_all()

    def _check(self, child: Child) -> None:
        now = time.monotonic()
        if child.proc is not None:
            code = child.proc.poll()
            if code is None:
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
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in live:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for c in self.children:
            (self.run_dir / f"{c.name}.pid").unlink(missing_ok=True)
        log.info("all roles stopped")


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
