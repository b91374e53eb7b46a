"""The demo site's server: a store of items that become visible over time,
served over HTTP by the standard library.

Routes::

    GET  /robots.txt                          allow everything
    GET  /news/  /news/index_N.html           news list, newest first, paginated
    GET  /news/YYYY/MM/DD/ID.html             news article
    GET  /rss.xml                             RSS 2.0 feed of the blog section
    GET  /blog/ID.html                        blog (WeChat-digest) article
    GET  /world/rss.xml                       full-text RSS of the overseas (English) section
    GET  /world/ID.html                       overseas article
    GET  /api/container/getIndex?…&page=N     Weibo search, shaped like m.weibo.cn's container API
    GET  /detail/ID                           a weibo (what its URL opens)
    GET  /forum/forum-2-N.html                Discuz thread list (GBK)
    GET  /forum/thread-TID-1-1.html           Discuz thread (GBK)
    GET  /_admin/items                        JSON list of visible items
    POST /_admin/publish                      {"section", "title", "text", "author", …} -> {"url"}
    POST /_admin/reset                        forget every item, scripted ones included

Scripted items (``script.yaml``) appear ``delay / speed`` seconds after start
and carry that moment (Asia/Shanghai) as their publish time.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import yaml

from crawlers.dates import SHANGHAI
from demo.site import pages

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("script.yaml")
SECTIONS = ("news", "blog", "forum", "world", "weibo")
FIRST_ID = {"news": 1000, "blog": 2000, "forum": 3000, "world": 4000, "weibo": 5001000000000001}


@dataclass
class Item:
    id: int
    section: str
    title: str
    text: str
    author: str
    published_at: datetime
    visible_at: float  # time.monotonic() from which the item is served
    source: str = ""
    full_text: bool = False
    replies: list[dict] = field(default_factory=list)
    pid: int = 0  # forum: id of the first post

    @property
    def path(self) -> str:
        if self.section == "news":
            return f"/news/{self.published_at:%Y/%m/%d}/{self.id}.html"
        if self.section == "blog":
            return f"/blog/{self.id}.html"
        if self.section == "world":
            return f"/world/{self.id}.html"
        if self.section == "weibo":
            return f"/detail/{self.id}"
        return f"/forum/thread-{self.id}-1-1.html"


class Store:
    """Thread-safe list of items; what is visible depends on the clock."""

    def __init__(self, speed: float = 1.0, script: bool = True, page_size: int = 10) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.page_size = page_size
        self.lock = threading.Lock()
        self.items: list[Item] = []
        self.next_id = dict(FIRST_ID)
        self.t0 = time.monotonic()
        self.started = datetime.now(SHANGHAI).replace(microsecond=0)
        if script:
            for entry in yaml.safe_load(SCRIPT.read_text(encoding="utf-8"))["items"]:
                offset = float(entry.get("delay", 0)) / speed
                self.add(entry, self.started + timedelta(seconds=offset), self.t0 + max(offset, 0.0))

    def add(self, entry: dict, published_at: datetime, visible_at: float) -> Item:
        section = entry.get("section")
        if section not in SECTIONS:
            raise ValueError(f"section must be one of {SECTIONS}, got {section!r}")
        title, text = str(entry.get("title", "")).strip(), str(entry.get("text", "")).strip()
        if not title and not text:
            raise ValueError("an item needs a title or a text")
        with self.lock:
            item_id = self.next_id[section]
            self.next_id[section] += 1
            replies = [{"author": str(r.get("author", "网友")), "text": str(r.get("text", "")),
                        "at": published_at + timedelta(minutes=7 * (n + 1))}
                       for n, r in enumerate(entry.get("replies") or [])]
            item = Item(item_id, section, title, text, str(entry.get("author") or "佚名"),
                        published_at.replace(microsecond=0), visible_at, str(entry.get("source") or ""),
                        bool(entry.get("full_text")), replies, pid=item_id * 10)
            self.items.append(item)
        return item

    def publish_now(self, entry: dict) -> Item:
        return self.add(entry, datetime.now(SHANGHAI), time.monotonic())

    def reset(self) -> None:
        with self.lock:
            self.items.clear()

    def visible(self, section: str) -> list[Item]:
        """Visible items of a section, newest first."""
        now = time.monotonic()
        with self.lock:
            items = [it for it in self.items if it.section == section and it.visible_at <= now]
        return sorted(items, key=lambda it: (it.published_at, it.id), reverse=True)

    def find(self, section: str, item_id: int) -> Item | None:
        return next((it for it in self.visible(section) if it.id == item_id), None)

    def page(self, section: str, page: int) -> tuple[list[Item], int]:
        items = self.visible(section)
        pages = max(1, -(-len(items) // self.page_size))
        return items[(page - 1) * self.page_size: page * self.page_size], pages


_ROUTES = [
    (re.compile(r"^/news/(?:index(?:_(\d+))?\.html)?$"), "news_list"),
    (re.compile(r"^/news/\d{4}/\d{2}/\d{2}/(\d+)\.html$"), "news_detail"),
    (re.compile(r"^/blog/(\d+)\.html$"), "blog_detail"),
    (re.compile(r"^/world/(\d+)\.html$"), "world_detail"),
    (re.compile(r"^/detail/(\d+)$"), "weibo_detail"),
    (re.compile(r"^/forum/forum-2-(\d+)\.html$"), "forum_list"),
    (re.compile(r"^/forum/thread-(\d+)-1-1\.html$"), "forum_thread"),
]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "nginx/1.24.0"  # what Chinese portals answer with
    sys_version = ""

    def log_message(self, fmt: str, *args) -> None:  # quiet: tests and the supervisor log enough
        log.debug("%s %s", self.address_string(), fmt % args)

    # ------------------------------------------------------------ GET

    def do_GET(self) -> None:
        store = self.server.store
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        now = datetime.now(SHANGHAI)
        if path == "/robots.txt":
            return self._send(200, "User-agent: *\nDisallow:\n", "text/plain; charset=utf-8")
        if path == "/":
            return self._send(200, '<html><head><meta charset="utf-8"><title>吉林保险资讯网</title></head><body>'
                                   '<a href="/news/">吉林新闻</a> <a href="/rss.xml">订阅</a> '
                                   '<a href="/forum/forum-2-1.html">社区论坛</a></body></html>')
        if path in ("/forum", "/forum/"):
            return self._redirect("/forum/forum-2-1.html")
        if path == "/rss.xml":
            base = f"http://{self._host()}"
            items = store.visible("blog")[:20]
            return self._send(200, pages.rss(items, base, now), "application/rss+xml; charset=utf-8")
        if path == "/world/rss.xml":
            base = f"http://{self._host()}"
            return self._send(200, pages.world_rss(store.visible("world")[:20], base, now),
                              "application/rss+xml; charset=utf-8")
        if path == "/api/container/getIndex":
            # Every visible weibo answers any search (the demo has few); 10 a page.
            query = parse_qs(self.path.partition("?")[2])
            page = int((query.get("page") or ["1"])[0] or 1)
            items = store.visible("weibo")[(page - 1) * 10: page * 10]
            return self._json(200, pages.weibo_cards(items, page))
        if path == "/_admin/items":
            listed = [{"section": it.section, "id": it.id, "title": it.title, "path": it.path,
                       "published_at": it.published_at.isoformat()} for s in SECTIONS for it in store.visible(s)]
            return self._json(200, {"items": listed})
        for pattern, name in _ROUTES:
            m = pattern.match(path)
            if m:
                return getattr(self, "_" + name)(store, int(m.group(1) or 1), now)
        self._send(404, "<html><body><h1>404 Not Found</h1></body></html>")

    def _news_list(self, store: Store, page: int, now) -> None:
        items, n = store.page("news", page)
        if page > n:
            return self._send(404, "<html><body>404</body></html>")
        self._send(200, pages.news_list(items, page, n, now))

    def _news_detail(self, store: Store, item_id: int, now) -> None:
        item = store.find("news", item_id)
        if item is None:
            return self._send(404, "<html><body>404 文章不存在</body></html>")
        related = [it for it in store.visible("news") if it.id != item_id][:4]
        self._send(200, pages.news_detail(item, related, now))

    def _blog_detail(self, store: Store, item_id: int, now) -> None:
        item = store.find("blog", item_id)
        if item is None:
            return self._send(404, "<html><body>该内容已被发布者删除</body></html>")
        self._send(200, pages.blog_detail(item))

    def _weibo_detail(self, store: Store, item_id: int, now) -> None:
        item = store.find("weibo", item_id)
        if item is None:
            return self._send(404, "<html><body>微博不存在或暂无查看权限</body></html>")
        self._send(200, pages.weibo_detail(item))

    def _world_detail(self, store: Store, item_id: int, now) -> None:
        item = store.find("world", item_id)
        if item is None:
            return self._send(404, "<html><body><h1>Page not found</h1></body></html>")
        self._send(200, pages.world_detail(item))

    def _forum_list(self, store: Store, page: int, now) -> None:
        items, n = store.page("forum", page)
        if page > n:
            return self._send(404, "<html><body>404</body></html>")
        self._send(200, pages.forum_list(items, page, n, store.started - timedelta(days=30)), gbk=True)

    def _forum_thread(self, store: Store, item_id: int, now) -> None:
        item = store.find("forum", item_id)
        if item is None:
            return self._send(404, "<html><body>抱歉，指定的主题不存在或已被删除或正在被审核</body></html>", gbk=True)
        self._send(200, pages.forum_thread(item), gbk=True)

    # ------------------------------------------------------------ POST

    def do_POST(self) -> None:
        store = self.server.store
        length = int(self.headers.get("Content-Length") or 0)
        if self.path == "/_admin/reset":
            store.reset()
            return self._json(200, {"ok": True})
        if self.path != "/_admin/publish":
            return self._json(404, {"error": "not found"})
        try:
            entry = json.loads(self.rfile.read(length).decode("utf-8") or "{}")
            if not isinstance(entry, dict):
                raise ValueError("expected a JSON object")
            item = store.publish_now(entry)
        except ValueError as exc:  # JSONDecodeError is a ValueError too
            return self._json(400, {"error": str(exc)})
        self._json(200, {"url": f"http://{self._host()}{item.path}", "id": item.id})

    # ------------------------------------------------------------ helpers

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8",
              gbk: bool = False) -> None:
        if gbk:
            # Discuz sites in the north-east still run GBK; characters outside
            # it become numeric references, as Discuz does.
            data = body.encode("gbk", errors="xmlcharrefreplace")
            content_type = "text/html; charset=gbk"
        else:
            data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False), "application/json; charset=utf-8")

    def _host(self) -> str:
        host, port = self.server.socket.getsockname()[:2]  # as bound (server_address is typed for any family)
        return self.headers.get("Host") or f"{host}:{port}"

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the process alive
    allow_reuse_address = True

    def __init__(self, address, store: Store) -> None:
        self.store = store
        super().__init__(address, Handler)
