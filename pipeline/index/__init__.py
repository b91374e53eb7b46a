"""Open an index by URL; adapters are imported only when their scheme is chosen.

==========================================  =====================================
URL                                         adapter
==========================================  =====================================
``tantivy:///index``                        embedded tantivy index (the default),
                                            a directory relative to data_dir
``tantivy:////srv/yuqing/index``            embedded tantivy, absolute path
``sqlite:///index.db``                      embedded SQLite FTS5 (the default
                                            before tantivy), path relative to
                                            data_dir; ``yuqing reindex`` copies
                                            it into the configured index
``sqlite:////srv/yuqing/index.db``          embedded SQLite FTS5, absolute path
``http://es:9200`` / ``https://...``        Elasticsearch (``yuqing[elasticsearch]``);
                                            several nodes comma-separated
==========================================  =====================================

``tokenizer`` turns text into index tokens, for documents and queries alike
(default ``tokenize_for_index``, plain jieba search mode); the composition
root passes sentiment's rjieba-with-insurance-dictionary search tokenizer. Every
process that opens one index must use the same tokenizer.

Keyword options go to the adapter; one it does not know is an ``IndexError_``
naming it. Both accept ``tz`` (day buckets of ``counts``, default
Asia/Shanghai). tantivy: ``busy_timeout`` (waiting for another process's
writer), ``writer_heap_mb``. sqlite: ``busy_timeout``, ``synchronous``. Elasticsearch:
``prefix``, ``shards``, ``replicas``, ``request_timeout``, ``max_retries``,
``retry_backoff``, ``verify_certs``, ``ca_certs``, ``max_buckets``, ``compatible_with`` (8 or 9: the
cluster's major version, which the installed client must match), ``raw_analyzer`` (ik_max_word, smartcn…);
credentials come from the environment (``ELASTICSEARCH_API_KEY``, or
``ELASTICSEARCH_USERNAME`` and ``ELASTICSEARCH_PASSWORD``), never from YAML.
"""
from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.index.base import (
    CountField,
    Hit,
    Index,
    IndexError_,
    SearchQuery,
    SearchResult,
    SortOrder,
    effective_time,
)
from pipeline.index.highlight import Tokenizer, tokenize_for_index

__all__ = [
    "CountField", "Hit", "Index", "IndexError_", "SearchQuery", "SearchResult", "SortOrder",
    "Tokenizer", "effective_time", "open_index", "tokenize_for_index",
]


def _local_path(url: str, data_dir: Path, example: str) -> Path:
    # scheme:///rel/index.db -> data_dir/"rel/index.db"; scheme:////abs/index.db -> "/abs/index.db"
    scheme = urlsplit(url).scheme
    rest = url[len(scheme) + len("://"):]
    if not rest.startswith("/") or rest == "/":
        raise IndexError_(f"index URL {url!r}: expected {scheme}:///relative{example} or "
                          f"{scheme}:////absolute{example}")
    path = Path(rest[1:])
    return path if path.is_absolute() else data_dir / path


def _open_tantivy(url: str, data_dir: Path, tokenizer: Tokenizer, options: dict) -> Index:
    path = _local_path(url, data_dir, "")
    from pipeline.index.tantivy_index import TantivyIndex

    return _construct(url, TantivyIndex, path, tokenizer=tokenizer, **options)


def _open_sqlite(url: str, data_dir: Path, tokenizer: Tokenizer, options: dict) -> Index:
    path = _local_path(url, data_dir, ".db")
    from pipeline.index.sqlite_fts import SqliteIndex

    return _construct(url, SqliteIndex, path, tokenizer=tokenizer, **options)


def _open_elastic(url: str, data_dir: Path, tokenizer: Tokenizer, options: dict) -> Index:
    hosts = [h.strip() for h in url.split(",") if h.strip()]
    try:
        importlib.import_module("elasticsearch")
    except ImportError as exc:
        raise IndexError_(
            f"index URL {url!r} needs the elasticsearch client, which is not installed: "
            "pip install 'yuqing[elasticsearch]'"
        ) from exc
    from pipeline.index.elastic import ElasticIndex

    # Secrets only from the environment; settings.yaml stays shareable.
    if "api_key" not in options and os.environ.get("ELASTICSEARCH_API_KEY"):
        options["api_key"] = os.environ["ELASTICSEARCH_API_KEY"]
    if "basic_auth" not in options and os.environ.get("ELASTICSEARCH_USERNAME"):
        options["basic_auth"] = (os.environ["ELASTICSEARCH_USERNAME"],
                                 os.environ.get("ELASTICSEARCH_PASSWORD", ""))
    return _construct(url, ElasticIndex, hosts, tokenizer=tokenizer, **options)


def _construct(url: str, cls: type, *args, **options) -> Index:
    # Check options against the signature first, so a typo in settings.yaml is
    # reported as such instead of as a TypeError from inside an adapter.
    try:
        inspect.signature(cls).bind(*args, **options)
    except TypeError as exc:
        raise IndexError_(f"index URL {url!r}: bad option for {cls.__name__}: {exc}") from None
    return cls(*args, **options)


_SCHEMES: dict[str, Callable[[str, Path, Tokenizer, dict], Index]] = {
    "tantivy": _open_tantivy,
    "sqlite": _open_sqlite,
    "http": _open_elastic,
    "https": _open_elastic,
}


def open_index(url: str, data_dir: str | Path = ".", tokenizer: Tokenizer | None = None,
               **options) -> Index:
    """Return the index adapter for ``url`` (see the module docstring)."""
    scheme = urlsplit(url).scheme
    opener = _SCHEMES.get(scheme)
    if opener is None:
        raise IndexError_(f"index URL {url!r}: unknown scheme {scheme!r}; use one of {sorted(_SCHEMES)}")
    return opener(url, Path(data_dir), tokenizer or tokenize_for_index, dict(options))
