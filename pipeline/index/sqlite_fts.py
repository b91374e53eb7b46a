"""The embedded index before tantivy: SQLite (WAL) with FTS5 over jieba tokens.

Kept for data directories written before tantivy became the default
(``yuqing reindex`` reads them through ``documents()``) and as the baseline of
``bench/bench_index.py``: every search joins all matches to ``docs`` before
filtering and sorting, so a term in a year of documents costs a second; see
bench/README.md.

How the contract of ``pipeline.index.base`` is met:

* ``docs`` keeps each document's JSON and the columns filters need
  (effective time in epoch microseconds, channel, source, level, negativity);
  ``doc_units`` maps documents to matched units; ``docs_fts`` holds the
  title and text *tokens* joined by spaces (tokenized here, in Python, with
  the same tokenizer as queries), so each jieba token is one FTS token.
  Documents that are not Chinese get plain word tokens in the same columns
  (``document_tokens`` in base.py), never jieba's.
* ``upsert`` replaces the row, its FTS row and its units in one
  ``BEGIN IMMEDIATE`` transaction, committed with ``synchronous=FULL`` by
  default: when it returns the write is durable and visible to every
  process on the file. Replaying a document replaces it (idempotent by id).
* ``prune`` deletes the documents, their FTS rows and units in one such
  transaction, then runs ``PRAGMA incremental_vacuum`` (files created since
  auto-vacuum was switched on; older ones: ``yuqing vacuum --full``).
* Query tokens are ANDed as quoted FTS5 phrases, so user input (quotes,
  ``*``, ``AND``, parentheses) is only ever text, never query syntax.
* ``counts(by="day")`` groups in SQL by 15-minute UTC buckets and names the
  local day in Python: every current time zone offset and DST switch falls on
  a quarter hour, so the buckets are exact for any ``tz`` and few enough
  (96 a day) to stay cheap.

Several processes may open the same file (WAL readers never block; writers
wait up to ``busy_timeout`` seconds). One connection per instance, guarded by
a lock, so the console may share an instance between threads.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

SCHEMA_VERSION = 1
QUARTER_US = 15 * 60 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TITLE_WEIGHT = 3.0  # a match in the title counts three times one in the text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, eff_us INTEGER NOT NULL,
    channel TEXT NOT NULL, source_id TEXT NOT NULL, level TEXT, negativity REAL NOT NULL);
CREATE INDEX IF NOT EXISTS docs_eff ON docs (eff_us);
CREATE TABLE IF NOT EXISTS doc_units (doc_id TEXT NOT NULL, unit_id TEXT NOT NULL, PRIMARY KEY (doc_id, unit_id));
CREATE INDEX IF NOT EXISTS doc_units_unit ON doc_units (unit_id, doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title_tokens, text_tokens, tokenize = 'unicode61 remove_diacritics 0');
"""

_SORTS = {
    "relevance": "score, d.eff_us DESC, d.id",
    "time_desc": "d.eff_us DESC, d.id",
    "time_asc": "d.eff_us ASC, d.id",
    "negativity_desc": "d.negativity DESC, d.eff_us DESC, d.id",
}


def epoch_us(dt: datetime) -> int:
    """Exact integer microseconds since the epoch (floats would blur range edges)."""
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    # IMMEDIATE takes the write lock up front, so a busy database makes us wait
    # (busy_timeout) at BEGIN instead of failing mid-transaction on upgrade.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteIndex(Index):
    def __init__(self, path: str | Path, tokenizer: Tokenizer | None = None, tz: str = "Asia/Shanghai",
                 busy_timeout: float = 30.0, synchronous: str = "FULL") -> None:
        from pipeline.index.highlight import tokenize_for_index

        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise IndexError_(f"sqlite index {path}: synchronous must be FULL, NORMAL or EXTRA, got {synchronous!r}")
        self.path = Path(path)
        self.tokenizer = tokenizer or tokenize_for_index
        self._query_tokens = query_tokenizer(self.tokenizer)
        try:
            self.tz = ZoneInfo(tz)
        except (ValueError, ZoneInfoNotFoundError):
            raise IndexError_(f"sqlite index {path}: unknown time zone tz={tz!r}") from None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # new files: prune gives pages back
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            with _write(self._conn):
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._conn.execute(statement)
                self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise IndexError_(f"sqlite index {self.path}: cannot open: {exc}") from exc

    # ------------------------------------------------------------ writing

    def upsert(self, docs: Sequence[ScoredDocument]) -> None:
        # Tokenize before taking the write lock: jieba is the slow part.
        rows = []
        for doc in docs:
            title, text = document_tokens(doc, self.tokenizer)
            rows.append((doc, " ".join(title), " ".join(text)))
        if not rows:
            return
        with self._locked("upsert") as conn, _write(conn):
            for doc, title_tokens, text_tokens in rows:
                old = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc.id,)).fetchone()
                if old is not None:
                    conn.execute("DELETE FROM docs_fts WHERE rowid = ?", old)
                    conn.execute("DELETE FROM docs WHERE rowid = ?", old)
                    conn.execute("DELETE FROM doc_units WHERE doc_id = ?", (doc.id,))
                rowid = conn.execute(
                    "INSERT INTO docs (id, doc, eff_us, channel, source_id, level, negativity)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, doc.model_dump_json(), epoch_us(effective_time(doc)), doc.channel.value,
                     doc.source_id, doc.level.value if doc.level else None, doc.negativity)).lastrowid
                conn.execute("INSERT INTO docs_fts (rowid, title_tokens, text_tokens) VALUES (?, ?, ?)",
                             (rowid, title_tokens, text_tokens))
                conn.executemany("INSERT OR IGNORE INTO doc_units VALUES (?, ?)",
                                 [(doc.id, u.unit_id) for u in doc.units])

    def prune(self, before: datetime, channels: Sequence[Channel] = ()) -> int:
        where = "eff_us < ?"
        params: list[int | str] = [epoch_us(before)]
        if channels:
            where += f" AND channel IN ({', '.join('?' * len(channels))})"
            params += [Channel(c).value for c in channels]
        with self._locked("prune") as conn:
            with _write(conn):
                conn.execute(f"CREATE TEMP TABLE doomed AS SELECT rowid, id FROM docs WHERE {where}",
                             params)
                n = conn.execute("SELECT count(*) FROM doomed").fetchone()[0]
                if n:
                    conn.execute("DELETE FROM docs_fts WHERE rowid IN (SELECT rowid FROM doomed)")
                    conn.execute("DELETE FROM doc_units WHERE doc_id IN (SELECT id FROM doomed)")
                    conn.execute("DELETE FROM docs WHERE rowid IN (SELECT rowid FROM doomed)")
                conn.execute("DROP TABLE doomed")
            if n:
                conn.executescript("PRAGMA incremental_vacuum;")  # execute() would free one page only
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file shrinks now (readers may defer it)
        return n

    # ------------------------------------------------------------ reading

    def get(self, doc_id: str) -> ScoredDocument | None:
        with self._locked("get") as conn:
            row = conn.execute("SELECT doc FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return ScoredDocument.model_validate_json(row[0]) if row else None

    def documents(self, batch: int = 1000) -> Iterator[ScoredDocument]:
        """Every document in write order (for ``yuqing reindex`` out of this index)."""
        last = 0
        while True:
            with self._locked("documents") as conn:
                rows = conn.execute("SELECT rowid, doc FROM docs WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                    (last, batch)).fetchall()
            for rowid, doc_json in rows:
                last = rowid
                yield ScoredDocument.model_validate_json(doc_json)
            if len(rows) < batch:
                return

    def search(self, query: SearchQuery) -> SearchResult:
        tokens = query_tokens(query.text, self._query_tokens)
        where = self._where(query, tokens)
        if where is None:
            return SearchResult(total=0, hits=[])
        sql, params = where
        sort = query.sort if tokens or query.sort != "relevance" else "time_desc"
        rank = f"bm25(docs_fts, {TITLE_WEIGHT}, 1.0)" if tokens else "0.0"
        with self._locked("search") as conn:
            total = conn.execute(f"SELECT count(*) {sql}", params).fetchone()[0]
            rows = conn.execute(f"SELECT d.doc, {rank} AS score {sql} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?",
                                [*params, query.limit, query.offset]).fetchall()
        hits = []
        for doc_json, rank_value in rows:
            doc = ScoredDocument.model_validate_json(doc_json)
            # bm25() is "lower is better"; Hit.score is "higher is better".
            hits.append(Hit(doc=doc, score=-rank_value if tokens else 0.0,
                            highlights=highlights_for(doc.title, doc.text, tokens)))
        return SearchResult(total=total, hits=hits)

    def counts(self, query: SearchQuery, by: CountField) -> dict[str, int]:
        tokens = query_tokens(query.text, self._query_tokens)
        if by == "unit":
            # A document with several units counts once for each of them.
            where = self._where(query, tokens, "doc_units u JOIN docs d ON d.id = u.doc_id")
        else:
            where = self._where(query, tokens)
        if where is None:
            return {}
        sql, params = where
        if by == "day":
            # Floor division that also floors before 1970 (SQLite truncates toward zero).
            bucket = f"(CASE WHEN d.eff_us >= 0 THEN d.eff_us / {QUARTER_US} ELSE (d.eff_us + 1) / {QUARTER_US} - 1 END)"
            select = f"SELECT {bucket} AS k, count(*) {sql} GROUP BY k"
        elif by == "unit":
            select = f"SELECT u.unit_id, count(*) {sql} GROUP BY u.unit_id"
        elif by in ("channel", "level", "source"):
            column = {"channel": "d.channel", "level": "d.level", "source": "d.source_id"}[by]
            select = f"SELECT {column}, count(*) {sql} AND {column} IS NOT NULL GROUP BY {column}"
        else:
            raise IndexError_(f"sqlite index {self.path}: cannot count by {by!r}")
        with self._locked("counts") as conn:
            rows = conn.execute(select, params).fetchall()
        if by != "day":
            return order_counts(dict(rows), by)
        days: dict[str, int] = {}
        for quarter, n in rows:
            day = datetime.fromtimestamp(quarter * 15 * 60, self.tz).strftime("%Y-%m-%d")
            days[day] = days.get(day, 0) + n
        return order_counts(days, by)

    def _where(self, query: SearchQuery, tokens: list[str],
               source: str = "docs d") -> tuple[str, list[str | int | float]] | None:
        """``FROM ... WHERE ...`` and its parameters; None when nothing can match."""
        if query.text and query.text.strip() and not tokens:
            return None  # only punctuation: a text query that no document can match
        sql = f"FROM {source}"
        params: list[str | int | float] = []
        clauses = ["1"]
        if tokens:
            sql += " JOIN docs_fts ON docs_fts.rowid = d.rowid"
            clauses.append("docs_fts MATCH ?")
            params.append(" AND ".join(_phrase(t) for t in match_terms(tokens)))
        if query.start is not None:
            clauses.append("d.eff_us >= ?")
            params.append(epoch_us(query.start))
        if query.end is not None:
            clauses.append("d.eff_us < ?")
            params.append(epoch_us(query.end))
        for column, values in (("d.channel", [c.value for c in query.channels]),
                               ("d.source_id", list(query.sources)),
                               ("d.level", [lv.value for lv in query.levels])):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params += values
        if query.units:
            clauses.append(f"d.id IN (SELECT doc_id FROM doc_units WHERE unit_id IN ({', '.join('?' * len(query.units))}))")
            params += list(query.units)
        if query.min_negativity is not None:
            clauses.append("d.negativity >= ?")
            params.append(query.min_negativity)
        return f"{sql} WHERE {' AND '.join(clauses)}", params

    # ------------------------------------------------------------ lifecycle

    @contextmanager
    def _locked(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise IndexError_(f"sqlite index {self.path}: {what} after close")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise IndexError_(f"sqlite index {self.path}: {what} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
