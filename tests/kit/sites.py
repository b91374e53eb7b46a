"""Test kit: a local HTTP server for fixture sites, for real crawls in tests
and benchmarks (no internet).

    with FixtureSite(Path("tests/fixtures/sites")) as site:
        site.url                      # http://127.0.0.1:PORT
        site.requests("/weibo/…")     # what the crawlers asked for

The folder holds the fixture files and a ``routes.yaml``: a list of routes,
each matching a path (and optionally query parameters, a subset match; the
route with most matching parameters wins) and saying how to answer:

``file`` (relative to the folder) or ``body``; ``status``; ``content_type``
(sent as is — it may lie about the charset, that is the point); ``encoding``
(the UTF-8 file is re-encoded, e.g. gbk, big5, before sending); ``delay``
(seconds, a slow server); ``redirect`` (a Location, with ``status`` 301/302);
``fail_times`` (answer 503 that many times first, then normally);
``headers``; ``require_header`` (a header name: without it, answer
``refused`` instead, e.g. a Weibo ``ok: 0`` body).

In files and bodies, ``{{base}}`` becomes the server's URL and
``{{today:%Y-%m-%d}}`` / ``{{days_ago:N:%Y-%m-%d}}`` / ``{{hours_ago:N:fmt}}``
/ ``{{epoch_hours_ago:N}}`` dates in Asia/Shanghai, relative to ``now``:
the moment the server was created unless given (fixed, so a page does not
change between two crawls), so fixtures can hold realistic dates that stay
current. Route paths may use the same date placeholders (an e-paper's issue
of today). A test that depends on "today" passes a fixed ``now`` and crawls
with the same clock (``python -m crawlers.run --now``, ``crawl_in_subprocesses(now=…)``).
"""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml

from crawlers.dates import SHANGHAI

_PLACEHOLDER = re.compile(r"\{\{(base|today|days_ago|hours_ago|epoch_hours_ago)(?::([^}]*))?\}\}")


def render(text: str, base: str, now: datetime | None = None) -> str:
    """Fill ``{{base}}`` and date placeholders (see the module docstring)."""
    now = now or datetime.now(SHANGHAI)

    def sub(m: re.Match) -> str:
        kind, arg = m.group(1), m.group(2) or ""
        if kind == "base":
            return base
        if kind == "today":
            return now.strftime(arg or "%Y-%m-%d")
        n, _, fmt = arg.partition(":")
        if kind == "epoch_hours_ago":
            return str(int((now - timedelta(hours=float(n))).timestamp()))
        delta = timedelta(days=float(n)) if kind == "days_ago" else timedelta(hours=float(n))
        return (now - delta).strftime(fmt or "%Y-%m-%d %H:%M")
    return _PLACEHOLDER.sub(sub, text)


class FixtureSite:
    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None) -> None:
        self.root = Path(root)
        self.routes = yaml.safe_load((self.root / "routes.yaml").read_text(encoding="utf-8"))["routes"]
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()
        self._log: list[dict] = []
        self._failures: dict[int, int] = {}
        # What the pages' dates are relative to.
        self.now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).replace(microsecond=0)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FixtureSite:
        site = self

        class Handler(_Handler):
            fixture = site

        self._server = ThreadingHTTPServer(self._address, Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the site is not started"
        return f"http://{self._address[0]}:{self._server.server_address[1]}"

    # ------------------------------------------------------------ inspection

    def requests(self, path_prefix: str = "") -> list[dict]:
        """Requests received so far (path, query, headers, at), oldest first."""
        with self._lock:
            return [r for r in self._log if r["path"].startswith(path_prefix)]

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._failures.clear()

    # ------------------------------------------------------------ routing

    def match(self, path: str, query: dict[str, str]) -> tuple[int, dict] | None:
        best = None
        for n, route in enumerate(self.routes):
            if render(route["path"], self.url, self.now) != path:
                continue
            wanted = {k: str(v) for k, v in (route.get("query") or {}).items()}
            if all(query.get(k) == v for k, v in wanted.items()) and (best is None or len(wanted) > best[0]):
                best = (len(wanted), n, route)
        return (best[1], best[2]) if best else None

    def respond(self, path: str, query: dict, headers: dict) -> tuple[int, dict[str, str], bytes, float]:
        with self._lock:
            self._log.append({"path": path, "query": query, "headers": headers, "at": time.monotonic()})
        found = self.match(path, query)
        if found is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>404 Not Found</body></html>", 0
        n, route = found
        if route.get("fail_times"):
            with self._lock:
                self._failures[n] = self._failures.get(n, 0) + 1
                failing = self._failures[n] <= route["fail_times"]
            if failing:
                return 503, {"Content-Type": "text/html", "Retry-After": "0"}, b"<h1>503 Service Unavailable</h1>", 0
        out = {"Content-Type": route.get("content_type", "text/html; charset=utf-8"), **route.get("headers", {})}
        if route.get("redirect"):
            out["Location"] = render(route["redirect"], self.url, self.now)
            return route.get("status", 302), out, b"", route.get("delay", 0)
        need = route.get("require_header")
        if need and need.lower() not in {k.lower() for k in headers}:
            text = route.get("refused", "")
        elif "file" in route:
            text = (self.root / route["file"]).read_text(encoding="utf-8")
        else:
            text = route.get("body", "")
        body = render(text, self.url, self.now).encode(route.get("encoding", "utf-8"), errors="xmlcharrefreplace")
        return route.get("status", 200), out, body, route.get("delay", 0)


class _Handler(BaseHTTPRequestHandler):
    fixture: FixtureSite
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        status, headers, body, delay = self.fixture.respond(parts.path, query, dict(self.headers.items()))
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler timed out first
            pass


def crawl_in_subprocesses(config: Path, data_dir: Path, sources, environ: dict, extra=(),
                          timeout: float = 600, now: datetime | None = None) -> dict[str, tuple[int, dict]]:
    """Run ``python -m crawlers.run`` for each source at once, in parallel
    subprocesses (Twisted's reactor cannot restart inside one process), on
    the clock ``now`` when given (``--now``: e.g. the fixture site's);
    returns {source: (exit code, stats)}, stats with the ``stderr`` added.

    ``timeout`` is one deadline for them all, generous: a dozen interpreters
    importing Scrapy at once on two loaded cores took over 120 s (load
    average 30); a quick run is as quick. At the deadline all are killed."""
    import json
    import subprocess
    import sys
    import time
    clock = ["--now", now.isoformat()] if now is not None else []
    procs = {
        s: subprocess.Popen([sys.executable, "-m", "crawlers.run", "--config", str(config), "--data-dir",
                             str(data_dir), "--source", s, *clock, *extra], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
        for s in sources
    }
    results = {}
    deadline = time.monotonic() + timeout
    for s, p in procs.items():
        try:
            out, err = p.communicate(timeout=max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            for q in procs.values():
                q.kill()
            out, err = p.communicate()
            raise AssertionError(f"{s}: crawler still running after {timeout:.0f} s; stderr:\n{err[-3000:]}") from None
        lines = out.strip().splitlines()
        if not lines:
            raise AssertionError(f"{s}: no stats line; stderr:\n{err[-3000:]}")
        stats = json.loads(lines[-1])
        stats["stderr"] = err
        results[s] = (p.returncode, stats)
    return results
