"""Copying one index into another: ``yuqing reindex``.

The embedded default moved from SQLite FTS5 (``sqlite:///index.db``) to
tantivy (``tantivy:///index``). A data directory written before holds every
document in ``index.db``; nothing reads it once settings point elsewhere, so
the index role warns at start until it has been copied, and ``yuqing
reindex`` copies it: every stored document is upserted into the configured
index (re-tokenised by the current tokenizer), in batches, idempotently, so an
interrupted copy is simply run again. The source is never changed; a marker
file beside it (``index.db.reindexed``) records the copy and silences the
warning.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from contracts.messages import ScoredDocument
from pipeline.index.base import Index

log = logging.getLogger(__name__)

LEGACY_FILE = "index.db"  # the embedded index's file before tantivy
MARKER_SUFFIX = ".reindexed"


def legacy_index(data_dir: Path, url: str) -> Path | None:
    """The old SQLite index in ``data_dir`` that was never copied into the
    index at ``url``, or None (also when ``url`` is that SQLite index)."""
    path = data_dir / LEGACY_FILE
    if url.startswith("sqlite:") or not path.exists() or marker(path).exists():
        return None
    return path


def marker(path: Path) -> Path:
    return path.with_name(path.name + MARKER_SUFFIX)


def copy_documents(documents: Iterable[ScoredDocument], target: Index, batch: int = 1000,
                   progress: Callable[[int], None] | None = None) -> int:
    """Upsert every document into ``target``; returns how many."""
    copied, chunk = 0, []
    for doc in documents:
        chunk.append(doc)
        if len(chunk) >= batch:
            target.upsert(chunk)
            copied += len(chunk)
            chunk = []
            if progress:
                progress(copied)
    if chunk:
        target.upsert(chunk)
        copied += len(chunk)
    return copied


def record_copy(source: Path, target_url: str, copied: int) -> None:
    marker(source).write_text(json.dumps({
        "copied_to": target_url, "documents": copied,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}, ensure_ascii=False) + "\n",
        encoding="utf-8")
