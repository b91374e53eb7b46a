"""The index port: every scored document, searchable by analysts.

Delivery contract (every adapter, embedded or Elasticsearch):

* ``upsert`` is idempotent by document id: writing the same document twice
  leaves one copy, the later write wins. When ``upsert`` returns, the
  documents are durable and visible to ``search``/``get``/``counts``.
  A failed upsert raises ``IndexError_`` and the caller must not commit the
  bus offsets of those documents (they will be replayed).
* ``search`` and ``counts`` accept the same ``SearchQuery``; filters combine
  with AND, values inside one filter with OR.
* Full text is matched on tokens of title and text; a query phrase
  matches documents that contain all of its tokens. Chinese documents
  (``language`` zh…, or substantially Han text: contracts/language.py) are
  tokenized by the index's tokenizer (jieba); every other document by plain
  lower-cased words, with only its Han runs (a quoted name) through the
  tokenizer. A query with Han characters is tokenized by the tokenizer, any
  other by words, so English words find English and Chinese documents alike
  (jieba keeps ASCII words whole).
* Day buckets in ``counts(by="day")`` are calendar days in ``tz``
  (Asia/Shanghai by default), keyed ``YYYY-MM-DD``.
* Unit filters match any of the document's matched units; level filters
  match the document-wide level.
* ``prune(before, channels)`` deletes every document whose effective time
  (published, else crawled) is before ``before`` — of ``channels`` only, or
  of every channel when none are given — and returns how many it deleted.
  When it returns the deletion is durable and no search, count or ``get``
  sees those documents; the space they took is given back (tantivy drops
  emptied segments and garbage-collects files; SQLite runs an incremental
  vacuum; Elasticsearch deletes by query and its merges reclaim the space).
  Pruning is idempotent (a second call deletes nothing) and safe while
  others search; a failure raises ``IndexError_`` and deletes nothing or
  part, so the caller simply prunes again later. ``prunable`` counts what
  ``prune`` would delete, deleting nothing (``yuqing prune --dry-run``).
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from contracts.language import has_han, is_chinese, word_tokens
from contracts.messages import Channel, Level, ScoredDocument

CountField = Literal["day", "unit", "channel", "level", "source"]
SortOrder = Literal["relevance", "time_desc", "time_asc", "negativity_desc"]


class IndexError_(RuntimeError):
    """The index could not do what was asked; the message says what and where."""


class SearchFilters(BaseModel):
    """What a search is narrowed to; shared by ``SearchQuery`` and the console's search form."""

    units: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    min_negativity: float | None = None

    def filters(self) -> dict:
        """These fields as keyword arguments for another ``SearchFilters`` (a query from a form)."""
        return {name: getattr(self, name) for name in SearchFilters.model_fields}


class SearchQuery(SearchFilters):
    text: str | None = None
    start: AwareDatetime | None = None  # published_at >= start (crawled_at when unknown)
    end: AwareDatetime | None = None  # published_at < end
    sort: SortOrder = "time_desc"
    offset: int = Field(0, ge=0)
    limit: int = Field(20, ge=0, le=1000)


class Hit(BaseModel):
    doc: ScoredDocument
    score: float = 0.0
    # field name ("title" / "text") -> fragments with matches wrapped in <em></em>
    highlights: dict[str, list[str]] = Field(default_factory=dict)


class SearchResult(BaseModel):
    total: int
    hits: list[Hit]


def effective_time(doc: ScoredDocument) -> datetime:
    """The time a document is filed under: published, else crawled."""
    return doc.published_at or doc.crawled_at


def document_tokens(doc: ScoredDocument, tokenizer: Callable[[str], list[str]]) -> tuple[list[str], list[str]]:
    """Title and text tokens to index, by the document's language (see above)."""
    if is_chinese(doc.language, doc.title, doc.text):
        return tokenizer(doc.title), tokenizer(doc.text)
    return word_tokens(doc.title, tokenizer), word_tokens(doc.text, tokenizer)


def query_tokenizer(tokenizer: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """How an adapter tokenizes query text: ``tokenizer`` when it has Han
    characters (as before, for Chinese documents), words otherwise."""
    def tokens(text: str) -> list[str]:
        return tokenizer(text) if has_han(text) else word_tokens(text)
    return tokens


class Index(abc.ABC):
    @abc.abstractmethod
    def upsert(self, docs: Sequence[ScoredDocument]) -> None: ...

    @abc.abstractmethod
    def get(self, doc_id: str) -> ScoredDocument | None: ...

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abc.abstractmethod
    def counts(self, query: SearchQuery, by: CountField) -> dict[str, int]: ...

    @abc.abstractmethod
    def prune(self, before: datetime, channels: Sequence[Channel] = ()) -> int: ...

    def prunable(self, before: datetime, channels: Sequence[Channel] = ()) -> int:
        """How many documents ``prune(before, channels)`` would delete now."""
        return self.search(SearchQuery(end=before, channels=list(channels), limit=0)).total

    def close(self) -> None:
        """Release connections."""
