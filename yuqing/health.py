"""Readiness: can this role reach, now, the stores and the bus it works with?

``readiness(app, role)`` returns the check the role's ``/ready`` endpoint runs (pipeline/metrics.py;
the console answers ``/ready`` on its own port too): a list of problems, empty when ready. Each check
is cheap and bounded by ``TIMEOUT``: a PostgreSQL store is asked ``SELECT 1`` on a new connection (the
store's own connection is not touched, so a probe never waits behind a long transaction); a Kafka bus
and an Elasticsearch index must accept a TCP connection. A SQLite store, the embedded bus and the
tantivy index live in the pod's own folder: nothing to reach.

Liveness is not this: ``/metrics`` answers whatever the database does, so an outage of PostgreSQL
takes the pods out of service (and traffic off the console) without restarting every one of them.
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from pipeline.statedb import is_postgres
from yuqing.bootstrap import App

log = logging.getLogger(__name__)
TIMEOUT = 2.0  # seconds per check; the probes' timeoutSeconds (deploy/k8s) leave room for three

# What each role needs to do its work (yuqing/roles.py).
NEEDS = {"crawl": ("bus",), "score": ("bus", "story store"), "index": ("bus", "index"),
         "route": ("bus", "alert store"), "notify": ("alert store",), "console": ("alert store", "console store")}


def readiness(app: App, role: str) -> Callable[[], list[str]]:
    targets: dict[str, list[str]] = {}  # one check per place: the stores often share one database
    for name in NEEDS.get(role, ()):
        targets.setdefault(_url(app, name), []).append(name)
    checks = [(" and ".join(names), check) for url, names in targets.items() if (check := _check(url)) is not None]
    last: list[str] = []

    def ready() -> list[str]:
        nonlocal last
        problems = []
        for name, check in checks:
            try:
                check()
            except Exception as e:  # whatever it is, the role cannot work now
                first = (str(e).strip().splitlines() or [""])[0]
                problems.append(f"{name} unreachable: {type(e).__name__} {first}".rstrip())
        if problems != last:  # a change, not every probe
            (log.warning if problems else log.info)("readiness: %s", "; ".join(problems) or "ready again")
            last = problems
        return problems
    return ready


def _url(app: App, name: str) -> str:
    settings = app.config.settings
    return {"bus": lambda: settings.bus.url, "index": lambda: settings.index.url,
            "story store": lambda: str(app.story_store_url[0]),
            "alert store": lambda: settings.alert_store.url, "console store": lambda: str(app.console_store)}[name]()


def _check(url: str) -> Callable[[], None] | None:
    if is_postgres(url):
        return lambda: ping_postgres(url)
    parts = urlsplit(url)
    if parts.scheme == "kafka":
        return lambda: ping_tcp([s.strip() for s in parts.netloc.split(",") if s.strip()], 9092)
    if parts.scheme in ("http", "https"):
        return lambda: ping_tcp([parts.netloc.rsplit("@", 1)[-1]], 443 if parts.scheme == "https" else 80)
    return None  # in the pod's own folder


def ping_postgres(url: str, timeout: float = TIMEOUT) -> None:
    import psycopg
    # libpq's connect_timeout is whole seconds (at least 2); the statement is bounded by the server.
    with psycopg.connect(url, connect_timeout=max(2, round(timeout)), autocommit=True,
                         options=f"-c statement_timeout={int(timeout * 1000)}") as conn:
        conn.execute("SELECT 1")


def ping_tcp(servers: list[str], default_port: int, timeout: float = TIMEOUT) -> None:
    """Any one of ``servers`` (host:port) accepts a connection within ``timeout`` in all."""
    deadline, error = time.monotonic() + timeout, None
    for server in servers:
        host, _, port = server.rpartition(":") if server.rpartition(":")[2].isdigit() else (server, "", "")
        try:
            with socket.create_connection((host.strip("[]"), int(port or default_port)),
                                          timeout=max(0.1, deadline - time.monotonic())):
                return
        except OSError as e:
            error = e
    raise error or OSError("no server given")
