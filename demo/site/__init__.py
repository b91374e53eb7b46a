"""A local demo site that looks like real Chinese sites and publishes new
items over time: a news portal, a blog RSS feed and a GBK Discuz forum.

    with DemoSite(port=0, speed=1.0, script=True) as site:
        print(site.url)          # http://127.0.0.1:PORT
        site.publish("news", "标题", "正文……", author="记者 张三")

    python -m demo.site --port 8765 [--speed 2] [--empty]

``serve_forever(port, speed)`` is what the pipeline's supervisor runs. The
scripted items live in ``script.yaml`` beside this file (data, not code).
See ``site.py`` for the routes, including the ``/_admin/`` test endpoints.
"""
from __future__ import annotations

import json
import threading
import urllib.request

from demo.site.site import SCRIPT, Item, Store, _Server

__all__ = ["DemoSite", "Item", "SCRIPT", "serve_forever"]


class DemoSite:
    def __init__(self, port: int = 0, speed: float = 1.0, script: bool = True,
                 host: str = "127.0.0.1", page_size: int = 10) -> None:
        self.store = Store(speed=speed, script=script, page_size=page_size)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DemoSite:
        """Bind and serve in a background thread; returns self."""
        if self._server is None:
            self._server = _Server(self._address, self.store)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                            name="demosite", daemon=True)
            self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoSite is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:8765``."""
        return f"http://{self._address[0]}:{self.port}"

    def publish(self, section: str, title: str, text: str, author: str = "", **extra) -> str:
        """Publish through the admin endpoint, as an external test would; returns the item URL."""
        body = json.dumps({"section": section, "title": title, "text": text, "author": author, **extra})
        req = urllib.request.Request(self.url + "/_admin/publish", body.encode("utf-8"),
                                     {"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["url"]

    def reset(self) -> None:
        self.store.reset()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(port: int, speed: float = 1.0, host: str = "127.0.0.1", script: bool = True,
                  page_size: int = 10) -> None:
    """Serve in the calling thread until interrupted (SIGINT/SIGTERM)."""
    server = _Server((host, port), Store(speed=speed, script=script, page_size=page_size))
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
