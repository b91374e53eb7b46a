"""Open a bus by URL; adapters are imported only when their scheme is chosen.

==========================================  =====================================
URL                                         adapter
==========================================  =====================================
``sqlite:///var/bus.db``                    embedded log, path relative to data_dir
``sqlite:////srv/yuqing/bus.db``            embedded log, absolute path
``memory://`` / ``memory://name``           in-process bus (tests); a name shares
                                            one store between ``open_bus`` calls
``kafka://k1:9092,k2:9092``                 Apache Kafka via kafka-python
==========================================  =====================================

Keyword options are passed to the adapter. Options every adapter accepts:
``partitions`` (per new topic) and ``retention_hours``; ``session_timeout``
(seconds) is accepted by sqlite and kafka. An option the adapter does not
know is a ``BusError`` naming it.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.bus.base import Bus, BusError, Consumer, GroupLag, Producer, Record

__all__ = ["Bus", "BusError", "Consumer", "GroupLag", "Producer", "Record", "open_bus"]


def _open_sqlite(url: str, data_dir: Path, options: dict) -> Bus:
    # sqlite:///rel/path.db -> "rel/path.db"; sqlite:////abs/path.db -> "/abs/path.db"
    rest = url[len("sqlite://"):]
    if not rest.startswith("/") or rest == "/":
        raise BusError(f"bus URL {url!r}: expected sqlite:///relative.db or sqlite:////absolute.db")
    path = Path(rest[1:])
    if not path.is_absolute():
        path = data_dir / path
    from pipeline.bus.sqlite_log import SqliteBus

    return _construct(url, SqliteBus, path, **options)


def _open_memory(url: str, data_dir: Path, options: dict) -> Bus:
    from pipeline.bus.memory import MemoryBus

    return _construct(url, MemoryBus, name=urlsplit(url).netloc or None, **options)


def _open_kafka(url: str, data_dir: Path, options: dict) -> Bus:
    servers = [s.strip() for s in urlsplit(url).netloc.split(",") if s.strip()]
    if not servers:
        raise BusError(f"bus URL {url!r}: expected kafka://host1:9092,host2:9092")
    try:
        from pipeline.bus.kafka import KafkaBus
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "kafka":
            raise
        raise BusError(
            f"bus URL {url!r} needs kafka-python, which is not installed: "
            "pip install 'yuqing[kafka]'"
        ) from exc

    return _construct(url, KafkaBus, servers, **options)


def _construct(url: str, cls: type, *args, **options) -> Bus:
    # Check options against the signature first, so a typo in settings.yaml is
    # reported as such instead of as a TypeError from deep inside an adapter.
    try:
        inspect.signature(cls).bind(*args, **options)
    except TypeError as exc:
        raise BusError(f"bus URL {url!r}: bad option for {cls.__name__}: {exc}") from None
    return cls(*args, **options)


_SCHEMES: dict[str, Callable[[str, Path, dict], Bus]] = {
    "sqlite": _open_sqlite,
    "memory": _open_memory,
    "kafka": _open_kafka,
}


def open_bus(url: str, data_dir: str | Path = ".", **options) -> Bus:
    """Return the bus adapter for ``url`` (see the module docstring)."""
    scheme = urlsplit(url).scheme
    opener = _SCHEMES.get(scheme)
    if opener is None:
        raise BusError(f"bus URL {url!r}: unknown scheme {scheme!r}; use one of {sorted(_SCHEMES)}")
    return opener(url, Path(data_dir), options)
