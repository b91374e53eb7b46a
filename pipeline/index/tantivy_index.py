"""The embedded index: tantivy (the Rust Lucene-class engine) in a directory.

How the contract of ``pipeline.index.base`` is met:

* Each document is one tantivy document: its JSON, stored once (compressed by
  tantivy's document store), plus indexed fields for what queries need:
  ``title``/``text`` hold the tokens from the index's tokenizer (rjieba search
  mode from the composition root) joined by spaces and split again by
  tantivy's whitespace analyser, so each jieba token is one term; ``id``,
  ``channel``, ``source``, ``level`` and the multi-valued ``unit`` are exact
  terms; ``eff_us`` (effective time), ``negativity``, ``neg_time`` (for the
  negativity sort, ties newest first) and ``day`` are columnar fast fields.
  Postings keep frequencies, not positions: queries AND terms, never phrases.
* ``upsert`` deletes the batch's ids (one query) and adds, then commits
  (tantivy fsyncs the new segment and its meta file before ``commit``
  returns), then reloads: when it returns the write is durable and visible
  to every instance, in any process (a reader reloads before a read when
  meta.json changed). A failure rolls back and raises ``IndexError_``.
  Replaying a document replaces it.
* ``prune`` deletes by query (effective time before, channels) under the
  writer, commits, then garbage-collects the files of segments the deletion
  emptied (tantivy drops fully deleted segments at commit; partly deleted
  ones shrink when its merge policy merges them).
* One writer at a time per directory (tantivy's lock file): the index role.
  An instance takes the writer on its first ``upsert`` and keeps it; another
  process's writer makes it wait up to ``busy_timeout`` seconds, then fail
  (so a replay follows). Readers (the console) never take it. Searches from
  many threads run in parallel.
* Sorting by time or negativity is a top-k over a fast field, never a sort
  of every match; totals are exact (tantivy counts matches without loading
  them). Equal sort keys keep tantivy's document order, stable for a given
  set of segments (the SQLite adapter breaks such ties by id).
* ``Hit.score`` is BM25 (title matches weighted ×3) for ``sort="relevance"``,
  0 for the other orders.
* ``counts(by="day")``: ``day`` is the calendar day in the time zone the
  index was created with (kept in ``yuqing-index.json``); an instance opened
  with another ``tz`` counts 15-minute buckets of ``eff_us`` and names the
  local day in Python, which is exact for every current offset.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tantivy
from tantivy import FieldType, Occur, Order, Query

from contracts.messages import Channel, ScoredDocument
from pipeline.index.base import (
    CountField,
    Hit,
    Index,
    IndexError_,
    SearchQuery,
    SearchResult,
    document_tokens,
    effective_time,
    query_tokenizer,
)
from pipeline.index.highlight import Tokenizer, highlights_for, match_terms, order_counts, query_tokens

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_FILE = "yuqing-index.json"
TITLE_WEIGHT = 3.0  # a match in the title counts three times one in the text
QUARTER_US = 15 * 60 * 1_000_000
MAX_BUCKETS = 60_000  # tantivy refuses aggregations over 65,000 buckets
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ANALYZER = "yuqing_tokens"
_EXACT = {"channel": "channel", "source": "source", "level": "level", "unit": "unit"}


def epoch_us(dt: datetime) -> int:
    """Exact integer microseconds since the epoch (floats would blur range edges)."""
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw", index_option="basic")
    sb.add_bytes_field("doc", stored=True)
    sb.add_text_field("title", tokenizer_name=_ANALYZER, index_option="freq")
    sb.add_text_field("text", tokenizer_name=_ANALYZER, index_option="freq")
    for name in _EXACT.values():
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_integer_field("eff_us", fast=True)
    sb.add_integer_field("day", fast=True)
    sb.add_integer_field("neg_time", fast=True)
    sb.add_float_field("negativity", fast=True)
    return sb.build()


def _neg_time(negativity: float, eff_us: int) -> int:
    # Negativity to 1e-6, then seconds since the epoch: one i64 that sorts
    # by negativity and, among equals, newest first.
    seconds = min(max(eff_us // 1_000_000, 0), 10**12 - 1)
    return round(min(max(negativity, 0.0), 1.0) * 1_000_000) * 10**12 + seconds


class TantivyIndex(Index):
    def __init__(self, path: str | Path, tokenizer: Tokenizer | None = None, tz: str = "Asia/Shanghai",
                 busy_timeout: float = 30.0, writer_heap_mb: int = 64) -> None:
        from pipeline.index.highlight import tokenize_for_index

        self.path = Path(path)
        self.tokenizer = tokenizer or tokenize_for_index
        self._query_tokens = query_tokenizer(self.tokenizer)
        try:
            self.tz = ZoneInfo(tz)
        except (ValueError, ZoneInfoNotFoundError):
            raise IndexError_(f"tantivy index {path}: unknown time zone tz={tz!r}") from None
        self.busy_timeout = busy_timeout
        self.writer_heap = max(writer_heap_mb, 16) * 1_000_000
        self._write_lock = threading.Lock()
        self._writer: Any = None
        self._closed = False
        self._seen_meta: tuple[int, ...] | None = None  # meta.json as of the last reload
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.day_tz = ZoneInfo(self._meta(tz)["day_tz"])
            self._index = tantivy.Index(_schema(), path=str(self.path), reuse=True)
            self._index.register_tokenizer(_ANALYZER, tantivy.TextAnalyzerBuilder(
                tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build())
        except (OSError, ValueError, KeyError) as exc:
            raise IndexError_(f"tantivy index {self.path}: cannot open: {exc}") from exc
        self._schema = self._index.schema

    def _meta(self, tz: str) -> dict:
        """The index's own settings; the first instance to open a new directory writes them."""
        meta_path = self.path / META_FILE
        try:
            fd = os.open(meta_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("schema_version") != SCHEMA_VERSION:
                raise IndexError_(f"tantivy index {self.path}: schema version {meta.get('schema_version')}, "
                                  f"this program writes {SCHEMA_VERSION}: rebuild it (yuqing reindex)") from None
            return meta
        meta = {"schema_version": SCHEMA_VERSION, "day_tz": tz}
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        return meta

    # ------------------------------------------------------------ writing

    def upsert(self, docs: Sequence[ScoredDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # a repeated id in one batch: the last wins
        if not latest:
            return
        # Build documents (tokenizing) before taking the writer.
        built = [self._document(doc) for doc in latest.values()]
        # One delete operation for the batch (applied to every segment at
        # commit), not one per id: tantivy looks each operation up in each segment.
        replaced = Query.term_set_query(self._schema, "id", list(latest))
        with self._write_lock, self._writing("upsert") as writer:
            writer.delete_documents_by_query(replaced)
            for document in built:
                writer.add_document(document)
            writer.commit()
        self._index.reload()

    def prune(self, before: datetime, channels: Sequence[Channel] = ()) -> int:
        q = self._query(SearchQuery(end=before, channels=list(channels)), [])
        assert q is not None  # no text: something can always match
        with self._write_lock:
            with self._writing("prune") as writer:
                self._index.reload()
                # tantivy.pyi (0.27) leaves out SearchResult.count, which the extension has
                doomed = self._index.searcher().search(q, 1, count=True).count or 0  # type: ignore[attr-defined]
                if not doomed:
                    return 0
                writer.delete_documents_by_query(q)
                writer.commit()
            try:
                writer.garbage_collect_files()  # the files of the segments the deletion emptied
            except ValueError as exc:  # space comes back at the next commit's collection then
                log.warning("tantivy index %s: garbage collection after prune failed: %s", self.path, exc)
        self._index.reload()
        return doomed

    def _document(self, doc: ScoredDocument) -> tantivy.Document:
        title_tokens, text_tokens = document_tokens(doc, self.tokenizer)
        eff = effective_time(doc)
        eff_us = epoch_us(eff)
        d = tantivy.Document()
        d.add_text("id", doc.id)
        d.add_bytes("doc", doc.model_dump_json().encode("utf-8"))
        d.add_text("title", " ".join(title_tokens))
        d.add_text("text", " ".join(text_tokens))
        d.add_text("channel", doc.channel.value)
        d.add_text("source", doc.source_id)
        if doc.level is not None:
            d.add_text("level", doc.level.value)
        for unit in dict.fromkeys(u.unit_id for u in doc.units):
            d.add_text("unit", unit)
        d.add_integer("eff_us", eff_us)
        d.add_integer("day", eff.astimezone(self.day_tz).date().toordinal())
        d.add_integer("neg_time", _neg_time(doc.negativity, eff_us))
        d.add_float("negativity", float(doc.negativity))
        return d

    def _take_writer(self) -> Any:
        if self._closed:
            raise IndexError_(f"tantivy index {self.path}: upsert after close")
        deadline = time.monotonic() + self.busy_timeout
        while self._writer is None:
            try:
                # One indexing thread: the index role is one core's worth of work.
                self._writer = self._index.writer(self.writer_heap, 1)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() >= deadline:
                    raise IndexError_(f"tantivy index {self.path}: cannot take the writer: {exc}") from exc
                time.sleep(0.05)  # another process is writing; wait for it (busy_timeout)
        return self._writer

    @contextmanager
    def _writing(self, what: str) -> Iterator[Any]:
        """The writer (call with the write lock held); a failure inside rolls it back, and a
        tantivy or file error is raised as IndexError_ naming ``what``."""
        writer = self._take_writer()
        try:
            yield writer
        except (ValueError, OSError) as exc:
            self._rollback(writer)
            raise IndexError_(f"tantivy index {self.path}: {what} failed: {exc}") from exc
        except BaseException:
            self._rollback(writer)
            raise

    def _rollback(self, writer: Any) -> None:
        try:
            writer.rollback()
        except ValueError:  # a writer that cannot roll back is dropped; the next upsert takes a new one
            self._writer = None

    # ------------------------------------------------------------ reading

    def _searcher(self, what: str) -> tantivy.Searcher:
        if self._closed:
            raise IndexError_(f"tantivy index {self.path}: {what} after close")
        try:
            self._reload_if_committed()
            return self._index.searcher()
        except ValueError as exc:
            raise IndexError_(f"tantivy index {self.path}: {what} failed: {exc}") from exc

    def _reload_if_committed(self) -> None:
        """See other processes' commits. Every commit replaces meta.json (a new
        file renamed over the old one), so a stat (~2 µs) tells whether to
        reload, which reads and parses it (0.1–0.5 ms)."""
        try:
            st = os.stat(self.path / "meta.json")
            seen: tuple[int, ...] | None = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        except OSError:
            seen = None  # let reload say what is wrong
        if seen is None or seen != self._seen_meta:
            self._index.reload()
            self._seen_meta = seen

    def get(self, doc_id: str) -> ScoredDocument | None:
        searcher = self._searcher("get")
        hits = searcher.search(Query.term_query(self._schema, "id", doc_id), 1, count=False).hits
        return self._load(searcher, hits[0][1]) if hits else None

    def search(self, query: SearchQuery) -> SearchResult:
        tokens = query_tokens(query.text, self._query_tokens)
        terms = match_terms(tokens)
        q = self._query(query, terms)
        if q is None:
            return SearchResult(total=0, hits=[])
        searcher = self._searcher("search")
        sort = query.sort if terms or query.sort != "relevance" else "time_desc"
        limit = max(query.limit, 1)  # tantivy needs a positive limit; the extra hit is dropped
        result: Any
        try:
            if sort == "relevance":
                result = searcher.search(q, limit, count=True, offset=query.offset)
            else:
                field, order = {"time_desc": ("eff_us", Order.Desc), "time_asc": ("eff_us", Order.Asc),
                                "negativity_desc": ("neg_time", Order.Desc)}[sort]
                result = searcher.search(q, limit, count=True, order_by_field=field, offset=query.offset,
                                         order=order)
        except ValueError as exc:
            raise IndexError_(f"tantivy index {self.path}: search failed: {exc}") from exc
        hits = []
        for key, addr in result.hits[:query.limit]:
            doc = self._load(searcher, addr)
            hits.append(Hit(doc=doc, score=float(key) if sort == "relevance" else 0.0,
                            highlights=highlights_for(doc.title, doc.text, tokens)))
        return SearchResult(total=result.count or 0, hits=hits)

    def counts(self, query: SearchQuery, by: CountField) -> dict[str, int]:
        if by not in ("day", *_EXACT):
            raise IndexError_(f"tantivy index {self.path}: cannot count by {by!r}")
        q = self._query(query, match_terms(query_tokens(query.text, self._query_tokens)))
        if q is None:
            return {}
        searcher = self._searcher("counts")
        if by == "day":
            return order_counts(self._days(searcher, q), by)
        agg = {"k": {"terms": {"field": _EXACT[by], "size": MAX_BUCKETS}}}
        buckets = self._aggregate(searcher, q, agg)["k"]["buckets"]
        return order_counts({b["key"]: b["doc_count"] for b in buckets}, by)

    def _days(self, searcher: tantivy.Searcher, q: Query) -> dict[str, int]:
        if self.day_tz.key == self.tz.key:
            agg = {"k": {"terms": {"field": "day", "size": MAX_BUCKETS}}}
            return {datetime.fromordinal(int(b["key"])).strftime("%Y-%m-%d"): b["doc_count"]
                    for b in self._aggregate(searcher, q, agg)["k"]["buckets"]}
        # Another time zone than the index's days: 15-minute buckets, at most
        # MAX_BUCKETS per aggregation, named by local day here.
        stats = self._aggregate(searcher, q, {"s": {"stats": {"field": "eff_us"}}})["s"]
        if not stats.get("count"):
            return {}
        lo = int(stats["min"]) // QUARTER_US * QUARTER_US
        hi = int(stats["max"])
        days: dict[str, int] = {}
        while lo <= hi:
            upto = lo + MAX_BUCKETS * QUARTER_US
            window = Query.boolean_query([(Occur.Must, q), (Occur.Must, Query.range_query(
                self._schema, "eff_us", FieldType.Integer, lo, upto, True, False))])
            agg = {"k": {"histogram": {"field": "eff_us", "interval": QUARTER_US}}}
            for b in self._aggregate(searcher, window, agg)["k"]["buckets"]:
                if b["doc_count"]:
                    day = datetime.fromtimestamp(int(b["key"]) // 1_000_000, self.tz).strftime("%Y-%m-%d")
                    days[day] = days.get(day, 0) + b["doc_count"]
            lo = upto
        return days

    def _aggregate(self, searcher: tantivy.Searcher, q: Query, agg: dict) -> dict:
        try:
            return searcher.aggregate(q, agg)
        except ValueError as exc:
            raise IndexError_(f"tantivy index {self.path}: counts failed: {exc}") from exc

    def _load(self, searcher: tantivy.Searcher, addr: Any) -> ScoredDocument:
        stored = searcher.doc(addr).get_first("doc")
        if stored is None:
            raise IndexError_(f"tantivy index {self.path}: a document without its stored JSON")
        return ScoredDocument.model_validate_json(stored)

    def _any_of(self, field: str, values: Sequence[str]) -> Query:
        """Documents with any of ``values`` in ``field``: term queries, which
        walk the values' postings (a term-set query on a fast field reads the
        column of every document: 2-5× slower at 50,000 documents, linear in
        the collection)."""
        terms = [Query.term_query(self._schema, field, v) for v in dict.fromkeys(values)]
        return terms[0] if len(terms) == 1 else Query.boolean_query([(Occur.Should, t) for t in terms])

    def _query(self, query: SearchQuery, terms: list[str]) -> Query | None:
        """The tantivy query for ``query``; None when nothing can match."""
        if query.text and query.text.strip() and not terms:
            return None  # only punctuation: a text query that no document can match
        s = self._schema
        must: list[Query] = []
        for term in terms:
            # Each term in the title or the text; the title's weight counts for relevance.
            must.append(Query.boolean_query([
                (Occur.Should, Query.boost_query(Query.term_query(s, "title", term), TITLE_WEIGHT)),
                (Occur.Should, Query.term_query(s, "text", term))]))
        if query.start is not None or query.end is not None:
            must.append(Query.range_query(
                s, "eff_us", FieldType.Integer,
                epoch_us(query.start) if query.start is not None else None,
                epoch_us(query.end) if query.end is not None else None, True, query.end is None))
        for field, values in (("channel", [c.value for c in query.channels]), ("source", list(query.sources)),
                              ("level", [lv.value for lv in query.levels]), ("unit", list(query.units))):
            if values:
                must.append(self._any_of(field, values))
        if query.min_negativity is not None:
            must.append(Query.range_query(s, "negativity", FieldType.Float, float(query.min_negativity), None))
        if not must:
            return Query.all_query()
        if len(must) == 1:
            return must[0]
        # Filters are scored too; constant ones add nothing to the BM25 order.
        return Query.boolean_query([(Occur.Must, m if i < len(terms) else Query.const_score_query(m, 0.0))
                                    for i, m in enumerate(must)])

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
            self._writer = None  # dropping the writer releases tantivy's lock file
