"""Route (a) of issue 17, as a benchmark prototype: SQLite FTS5 used as intended.

* contentless FTS5 (``content=''``, ``detail=column``): the text is stored
  once, in the document JSON; deleting an old version re-tokenises it to
  feed FTS5's ``'delete'`` command (only on replays);
* the rowid *is* the effective time (epoch microseconds, bumped by one on a
  collision), so newest-first is FTS5's own rowid order read backwards with
  ``LIMIT`` (early termination), and a time range is a rowid range;
* totals are capped (``CAP``, shown as "10,000+" the way the big engines do);
* one connection per thread (WAL), no lock around reads.

Only what ``bench_index.py`` asks of it; not a full adapter (no exact totals,
no other sorts than time).
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from contracts.messages import ScoredDocument
from pipeline.index.base import (
    Hit,
    SearchQuery,
    SearchResult,
    document_tokens,
    effective_time,
    query_tokenizer,
)
from pipeline.index.highlight import (
    Tokenizer,
    highlights_for,
    match_terms,
    query_tokens,
)
from pipeline.index.sqlite_fts import QUARTER_US, epoch_us

CAP = 10_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
    channel TEXT NOT NULL, source_id TEXT NOT NULL, level TEXT, negativity REAL NOT NULL);
CREATE TABLE IF NOT EXISTS doc_units (unit_id TEXT NOT NULL, rowid INTEGER NOT NULL,
    PRIMARY KEY (unit_id, rowid)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, text, content='', detail=column,
    tokenize='unicode61 remove_diacritics 0');
"""


def _phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


class LeanFts5:
    def __init__(self, path: str | Path, tokenizer: Tokenizer) -> None:
        self.path = Path(path)
        self.tokenizer = tokenizer
        self._query_tokens = query_tokenizer(tokenizer)
        self._local = threading.local()
        conn = self._conn()
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def upsert(self, docs: Sequence[ScoredDocument]) -> None:
        rows = []
        for doc in docs:
            title, text = (" ".join(t) for t in document_tokens(doc, self.tokenizer))
            rows.append((doc, title, text))
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for doc, title, text in rows:
                old = conn.execute("SELECT rowid, doc FROM docs WHERE id = ?", (doc.id,)).fetchone()
                if old is not None:
                    before = ScoredDocument.model_validate_json(old[1])
                    t, x = (" ".join(t) for t in document_tokens(before, self.tokenizer))
                    conn.execute("INSERT INTO fts (fts, rowid, title, text) VALUES ('delete', ?, ?, ?)", (old[0], t, x))
                    conn.execute("DELETE FROM docs WHERE rowid = ?", (old[0],))
                    conn.execute("DELETE FROM doc_units WHERE rowid = ?", (old[0],))
                rowid = epoch_us(effective_time(doc))
                while conn.execute("SELECT 1 FROM docs WHERE rowid = ?", (rowid,)).fetchone():
                    rowid += 1
                conn.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (rowid, doc.id, doc.model_dump_json(), doc.channel.value, doc.source_id,
                              doc.level.value if doc.level else None, doc.negativity))
                conn.execute("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)", (rowid, title, text))
                conn.executemany("INSERT OR IGNORE INTO doc_units VALUES (?, ?)",
                                 [(u.unit_id, rowid) for u in doc.units])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _where(self, query: SearchQuery, tokens: list[str]) -> tuple[str, list]:
        clauses: list[str] = []
        params: list[str | int] = []
        if tokens:
            clauses.append("fts MATCH ?")
            params.append(" AND ".join(_phrase(t) for t in match_terms(tokens)))
        if query.start is not None:
            clauses.append("fts.rowid >= ?")
            params.append(epoch_us(query.start))
        if query.end is not None:
            clauses.append("fts.rowid < ?")
            params.append(epoch_us(query.end))
        join = ""
        if query.levels or query.channels:
            join = " CROSS JOIN docs d ON d.rowid = fts.rowid"  # CROSS: FTS5 drives, in rowid order
            for column, values in (("d.level", [lv.value for lv in query.levels]),
                                   ("d.channel", [c.value for c in query.channels])):
                if values:
                    clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                    params += values
        if query.units:
            # Probed per match, not a list of every document of the unit.
            clauses.append(f"EXISTS (SELECT 1 FROM doc_units u WHERE u.rowid = fts.rowid AND u.unit_id IN "
                           f"({', '.join('?' * len(query.units))}))")
            params += list(query.units)
        return f"FROM fts{join} WHERE {' AND '.join(clauses) or '1'}", params

    def search(self, query: SearchQuery) -> SearchResult:
        tokens = query_tokens(query.text, self._query_tokens)
        sql, params = self._where(query, tokens)
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 {sql} LIMIT {CAP + 1})", params).fetchone()[0]
        rowids = [r[0] for r in conn.execute(f"SELECT fts.rowid {sql} ORDER BY fts.rowid DESC LIMIT ? OFFSET ?",
                                             [*params, query.limit, query.offset])]
        hits = []
        for rowid in rowids:
            doc = ScoredDocument.model_validate_json(
                conn.execute("SELECT doc FROM docs WHERE rowid = ?", (rowid,)).fetchone()[0])
            hits.append(Hit(doc=doc, highlights=highlights_for(doc.title, doc.text, tokens)))
        return SearchResult(total=total, hits=hits)

    def counts_by_quarter(self, query: SearchQuery) -> dict[int, int]:
        tokens = query_tokens(query.text, self._query_tokens)
        sql, params = self._where(query, tokens)
        rows = self._conn().execute(f"SELECT fts.rowid / {QUARTER_US} AS k, count(*) {sql} GROUP BY k", params)
        return dict(rows.fetchall())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
