"""One ``yuqing run`` per data directory, and no role outliving its supervisor.

``hold(data_dir)`` takes an exclusive ``fcntl`` lock on ``<data_dir>/run/run.lock``
for the life of the process (the kernel drops it when the process dies, however
it dies), so a second ``yuqing run`` on the same data dir refuses at once instead
of starting a second set of roles that would send every message twice.

``die_with_parent`` runs in each child between fork and exec: the child gets its
own process group (so the supervisor can stop a role together with the crawls it
spawned) and asks Linux to send it SIGTERM when the supervisor dies
(``prctl(PR_SET_PDEATHSIG)``), so a SIGKILLed supervisor leaves no roles behind.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import signal
import sys
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1
LOCK_NAME = "run.lock"


class AlreadyRunning(RuntimeError):
    """Another ``yuqing run`` holds the data dir's lock."""


_held: dict[Path, IO[str]] = {}


def hold(data_dir: Path) -> Path:
    """Take the run lock of ``data_dir`` until this process exits; raise AlreadyRunning if taken."""
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = (run_dir / LOCK_NAME).resolve()
    if path in _held:
        return path
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held open for the life of the process)
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        f.seek(0)
        owner = f.read().strip() or "?"
        f.close()
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise AlreadyRunning(f"another `yuqing run` (pid {owner}) is running on {data_dir}; "
                                 f"stop it first (lock: {path})") from None
        raise
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    _held[path] = f
    return path


def owner(data_dir: Path) -> int | None:
    """The pid holding ``data_dir``'s run lock, or None when no ``yuqing run`` holds it."""
    path = data_dir / "run" / LOCK_NAME
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = f.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        return None


def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return libc.prctl


_PRCTL = _prctl()  # resolved before any fork: nothing to load in the child


def child_setup(parent_pid: int):
    """A ``preexec_fn`` for the supervisor's children (runs in the child, before exec)."""
    def setup() -> None:
        os.setpgid(0, 0)
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            # The supervisor may have died between fork and prctl: then nobody will signal us.
            if os.getppid() != parent_pid:
                os._exit(1)
    return setup
