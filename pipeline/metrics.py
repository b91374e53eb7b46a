"""Prometheus metrics, one registry per process, served by every role.

Each role process serves ``/metrics`` on its own port (settings
``metrics_ports``; ``--metrics-port`` overrides, 0 picks a free port). The
port actually bound is written to ``<data_dir>/run/<role>-<pid>.metrics`` so
several workers of one role on one machine can be found and scraped.

The same port answers ``/ready`` (the Kubernetes readiness probe): 200 when the role's ``ready`` check
(yuqing/health.py) finds nothing wrong, else 503 with one line per problem. ``/metrics`` answers
whatever the stores do (the liveness probe: a database outage must not restart every pod).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger(__name__)

RECORDS_CONSUMED = Counter("yuqing_records_consumed", "Bus records consumed", ["stage", "topic"])
RECORDS_PRODUCED = Counter("yuqing_records_produced", "Bus records produced", ["stage", "topic"])
DEAD_LETTERS = Counter("yuqing_dead_letters", "Poison records sent to the dead-letter topic", ["stage"])
STAGE_FAILURES = Counter("yuqing_stage_failures", "Batches that failed and will be replayed", ["stage"])
BATCH_SECONDS = Histogram("yuqing_batch_seconds", "Time to handle, publish and commit one batch", ["stage"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
CONSUMER_LAG = Gauge("yuqing_consumer_lag", "Records not yet committed by the group",
                     ["group", "topic", "partition"])
DOCS_SCORED = Counter("yuqing_documents_scored", "Documents scored, by level ('none' if not negative)", ["level"])
NEGATIVITY = Histogram("yuqing_negativity", "Document negativity", buckets=[i / 10 for i in range(1, 11)])
ALERT_DECISIONS = Counter("yuqing_alert_decisions", "Router decisions by named reason", ["decision"])
NOTIFICATIONS = Counter("yuqing_notifications", "Notification outcomes", ["channel", "state"])
# forward: review (alerting/forwarding.py): alerts whose unit messages were held, how long the review took,
# how they were forwarded (duty: by a duty officer; timeout: by the review timer), and how many wait now.
REVIEWS_HELD = Counter("yuqing_reviews_held", "Alerts whose unit notifications were held for review")
REVIEWS_FORWARDED = Counter("yuqing_reviews_forwarded", "Held alerts forwarded to the unit", ["how"])
REVIEW_SECONDS = Histogram("yuqing_review_seconds", "From holding to forwarding", ["how"],
                           buckets=(30, 60, 120, 300, 600, 900, 1800, 3600, 7200))
REVIEWS_PENDING = Gauge("yuqing_reviews_pending", "Alerts waiting for a duty officer's review now")
SOURCE_LAST_SUCCESS = Gauge("yuqing_source_last_success_timestamp", "Last successful crawl (epoch s)", ["source"])
SOURCE_ITEMS = Counter("yuqing_source_items_published", "Items published by a source", ["source"])
SOURCE_FAILURES = Counter("yuqing_source_crawl_failures", "Failed crawl runs", ["source"])
SOURCE_STALENESS = Gauge("yuqing_source_staleness_seconds", "Seconds since the source last brought a new item",
                         ["source"])
SOURCE_BLIND = Gauge("yuqing_source_blind", "1 while the source is failing, blind or silent (see crawlers/health.py)",
                     ["source", "state"])


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # a probe every few seconds: no access log


def _wsgi(ready: Callable[[], list[str]] | None):
    metrics_app = make_wsgi_app()

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/ready":
            return metrics_app(environ, start_response)
        status, text = ready_answer(ready() if ready is not None else [])
        body = text.encode("utf-8")
        start_response("503 Service Unavailable" if status == 503 else "200 OK",
                       [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]
    return app


def ready_answer(problems: list[str]) -> tuple[int, str]:
    """The readiness probe's answer (status, text) — every role's /ready and the console's alike:
    200 "ready", or 503 with one line per problem."""
    return (503 if problems else 200), "\n".join(problems or ["ready"]) + "\n"


def serve(role: str, host: str, port: int, run_dir: Path | None = None,
          ready: Callable[[], list[str]] | None = None) -> int | None:
    """Start the /metrics and /ready endpoints in a daemon thread; returns the bound port
    (None if disabled with a negative port or the port is taken). ``ready``: the problems that
    make the role not ready now (none: ready)."""
    if port < 0:
        return None

    class Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        server = make_server(host, port, _wsgi(ready), Server, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, name=f"metrics-{role}", daemon=True).start()
    except OSError as e:
        log.warning("metrics for %s not served: %s:%d: %s", role, host, port, e)
        return None
    bound = server.server_port
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / f"{role}-{os.getpid()}.metrics").write_text(str(bound))
    log.info("metrics for %s on http://%s:%d/metrics", role, host, bound)
    return bound
