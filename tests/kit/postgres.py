"""A throw-away PostgreSQL server for the test suites (and ``.ci/run``).

``YUQING_TEST_POSTGRES_URL`` (``postgresql://user@host:port/db``) points the
suites at an existing server instead. Otherwise the Debian ``postgresql``
binaries (``/usr/lib/postgresql/*/bin``, or ``pg_ctl`` on PATH) run a
cluster in a temporary folder on a free loopback port, trust auth, fsync
off. initdb refuses root, so as root the cluster runs as the ``postgres``
OS user (``runuser``). When no server can start, ``unavailable`` says why
and the PostgreSQL cases skip with that reason.

A suite killed outright (SIGKILL, the OOM killer) cannot stop its server:
each server's folder names its owner (``owner``: the pid and start time of
the process that started it), and every ``start()`` first stops the servers
whose owner is gone and removes their folders (``reap_stale``). Folders
without an owner file (from before, or still being created) are left alone.

``stop()`` stops the server at once and removes its folder in a process of its own: a session's
databases (one per PostgreSQL case, ~8 MB and ~300 files each) took 46 s to delete for 150 of them on a
loaded machine, and the last test of a worker waited for that in its teardown (test_settle,
test_setup_manifest: 30-48 s). The folder is first renamed ``….removing``; a removal cut short is
finished by the next ``start()`` (``reap_stale``).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ENV = "YUQING_TEST_POSTGRES_URL"
PREFIX = "yuqing-pg-"
OWNER = "owner"  # "<pid> <start time>" of the process that started the server in this folder
REMOVING = ".removing"  # a stopped server's folder being deleted (stop)


def _started(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22); None when it is gone
    or a zombie (killed, not yet reaped by its parent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _kill_postmaster(pidfile: Path) -> None:
    """When ``pg_ctl stop`` could not: the postmaster named by its pid file, if it still runs (its
    backends exit when it dies)."""
    try:
        pid = int(pidfile.read_text().split()[0])
        if b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


def _owner_gone(folder: Path) -> bool:
    try:
        pid, started = (folder / OWNER).read_text().split()
    except (OSError, ValueError):
        return False  # no owner named (yet): not ours to judge
    return _started(int(pid)) != started


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``start()`` then ``url``; ``new_database()`` for an empty database per test; ``stop()``."""

    def __init__(self, root: Path | None = None) -> None:
        self.url = ""
        self.unavailable = ""
        self.root = Path(root or tempfile.gettempdir())  # where the servers' folders are made
        self.reaped: list[Path] = []
        self._dir: Path | None = None
        self._as: list[str] = []
        self._bin: Path | None = None

    def start(self) -> PostgresServer:
        if os.environ.get(ENV):
            self.url = os.environ[ENV]
            return self
        try:
            import psycopg  # noqa: F401
        except ImportError:
            self.unavailable = "psycopg is not installed (pip install -e '.[postgres]')"
            return self
        self._bin = _bindir()
        if self._bin is None:
            self.unavailable = f"no PostgreSQL server binaries (apt-get install postgresql, or set {ENV})"
            return self
        self.reaped = self.reap_stale()
        self._dir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
        (self._dir / OWNER).write_text(f"{os.getpid()} {_started(os.getpid())}")
        user = "postgres"
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self._dir, "postgres")
        else:
            user = os.environ.get("USER") or "postgres"
        data, port = self._dir / "data", _free_port()
        try:
            self._run("initdb", "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8", "--no-locale")
            self._run("pg_ctl", "-D", str(data), "-l", str(self._dir / "server.log"), "-w", "-t", "60", "-o",
                      f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                      " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        except (OSError, subprocess.CalledProcessError) as e:
            log = self._dir / "server.log"
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            detail = getattr(e, "stderr", None) or ""
            self.unavailable = f"PostgreSQL did not start: {e} {detail!s:.300} {tail}"
            self.stop()
            return self
        self.url = f"postgresql://{user}@127.0.0.1:{port}/postgres"
        return self

    def _run(self, tool: str, *args: str, cwd: Path | None = None) -> None:
        assert self._bin is not None
        subprocess.run([*self._as, str(self._bin / tool), *args], check=True, capture_output=True, text=True,
                       cwd=cwd or self._dir)

    def reap_stale(self) -> list[Path]:
        """Stop the servers left running by suites that were killed (their owner is gone) and remove their
        folders; returns those folders."""
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
        reaped = []
        for folder in sorted(self.root.glob(PREFIX + "*")):
            if folder.is_dir() and folder.name.endswith(REMOVING):  # stopped; its removal was cut short or runs
                shutil.rmtree(folder, ignore_errors=True)
                continue
            if not folder.is_dir() or not _owner_gone(folder):
                continue
            if (folder / "data" / "postmaster.pid").exists():
                try:  # another suite starting at the same moment may be stopping it too
                    self._run("pg_ctl", "-D", str(folder / "data"), "-m", "immediate", "-w", "stop", cwd=folder)
                except (OSError, subprocess.CalledProcessError):
                    _kill_postmaster(folder / "data" / "postmaster.pid")
            shutil.rmtree(folder, ignore_errors=True)
            reaped.append(folder)
        return reaped

    def new_database(self) -> str:
        """An empty database on the server; its URL."""
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self._dir is None:
            return
        if (self._dir / "data" / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self._dir / "data"), "-m", "immediate", "stop")
            except (OSError, subprocess.CalledProcessError):
                pass
        folder, self._dir = self._dir, None
        _remove_later(folder)


def _remove_later(folder: Path) -> None:
    """Delete a stopped server's ``folder`` without waiting: renamed ``….removing`` (no server, no owner to
    ask), then ``rm -rf`` in the background of a shell that returns at once (the rm outlives this process)."""
    trash = folder.with_name(folder.name + REMOVING)
    try:
        folder.rename(trash)
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" &', "remove-later", str(trash)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(trash if trash.exists() else folder, ignore_errors=True)
