"""State stores on SQLite (embedded) or PostgreSQL (shared): one connection API, one migration mechanism.

The alert store (and the other state stores as they move here) write their
SQL once, in the subset both engines speak: ``?`` placeholders, ``INSERT …
ON CONFLICT … DO NOTHING / DO UPDATE``, times as UTC ISO text. ``connect``
picks the adapter from the store's URL:

* ``sqlite:///alerts.db`` (relative to the data directory) or a path — the
  embedded default: ``pipeline.sqlite.open_db`` (WAL, busy timeout), a
  transaction is ``BEGIN IMMEDIATE`` and so serialises every writer;
* ``postgresql://user@host:5432/yuqing`` — psycopg 3 (``pip install
  'yuqing[postgres]'``), imported only then. ``?`` becomes ``%s``; rows are
  read by name and by index like ``sqlite3.Row``; a transaction is a plain
  ``BEGIN`` (READ COMMITTED), so stores add the row locks they need
  (``FOR UPDATE SKIP LOCKED`` to claim, ``lock_key`` for a key that may not
  exist yet). The password, if any, comes from ``PGPASSWORD`` or
  ``~/.pgpass``, never from YAML.

Migrations: versioned SQL files per store and per engine,
``<package>/migrations/<sqlite|postgresql>/NNN_name.sql``, applied in order
at open and recorded in ``schema_migrations (store, version)``; on
PostgreSQL under an advisory lock, so processes starting together migrate
once. A SQLite file from before versioning adopts them: its tables already
exist (``CREATE … IF NOT EXISTS``) and an ``ADD COLUMN`` it already has is
skipped.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.sqlite import open_db

if TYPE_CHECKING:  # imported at run time only for a PostgreSQL URL (an optional extra)
    import psycopg

POSTGRES = ("postgresql://", "postgres://")
Conn = Any  # a sqlite3.Connection or a PgConnection: the same calls on both


def is_postgres(url: str | Path) -> bool:
    return str(url).startswith(POSTGRES)


class Row(tuple):
    """A result row readable by column name and by index (like ``sqlite3.Row``)."""

    _names: dict[str, int]

    def __new__(cls, names: dict[str, int], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


_PLACEHOLDER = re.compile(r"'[^']*'|\?|%")


def to_pyformat(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` outside string literals."""
    return _PLACEHOLDER.sub(lambda m: {"?": "%s", "%": "%%"}.get(m.group(0), m.group(0)), sql)


class PgConnection:
    """The part of ``sqlite3.Connection`` the stores use, over one psycopg connection."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RuntimeError(f"{url.split('@')[-1]}: PostgreSQL needs psycopg: pip install 'yuqing[postgres]'") \
                from e
        self._url = url
        self._psycopg = psycopg
        self._conn = self._open()
        self._sql: dict[str, str] = {}
        self.reconnects = 0
        self._in_transaction = False

    def _open(self) -> psycopg.Connection[Any]:
        conn = self._psycopg.connect(self._url, autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    def _alive(self, sql: str) -> bool:
        """Reconnect when the server dropped the connection (a restart, ``pg_terminate_backend``): the
        statement that saw it failed (``OperationalError``, the store's caller waits and retries); the
        next one gets a new connection. False for a ROLLBACK then: the server already discarded the
        transaction. A new connection that cannot be made raises ``OperationalError`` too."""
        if not self._conn.closed:
            return True
        if sql == "ROLLBACK":
            self._in_transaction = False
            return False
        if self._in_transaction:  # never carry on a broken transaction on a new connection: it is gone
            self._in_transaction = False
            raise self._psycopg.OperationalError("the connection to the alert store was lost inside a transaction")
        self._conn = self._open()
        self.reconnects += 1
        return True

    @staticmethod
    def _rows(cursor):
        names = {c.name: i for i, c in enumerate(cursor.description or ())}
        return lambda values: Row(names, values)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any] | None:
        if sql.startswith("BEGIN"):
            sql = "BEGIN"  # READ COMMITTED; the stores take row locks where they need them
        if not self._alive(sql):
            return None
        query = self._sql.get(sql)
        if query is None:
            query = self._sql[sql] = to_pyformat(sql)
        cur = self._conn.cursor(row_factory=self._rows)
        cur.execute(query, tuple(params) if params else None)
        if sql in ("BEGIN", "COMMIT", "ROLLBACK"):
            self._in_transaction = sql == "BEGIN"
        return cur

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> psycopg.Cursor[Any]:
        self._alive(sql)
        cur = self._conn.cursor()
        cur.executemany(to_pyformat(sql), seq)
        return cur

    def executescript(self, script: str) -> None:
        self._alive(script)
        self._conn.execute(script)  # several statements, no parameters

    def close(self) -> None:
        self._conn.close()


def connect(url: str | Path, data_dir: Path | None = None, *, synchronous: str = "NORMAL"):
    """A connection for the store at ``url`` (``sqlite:///name.db``, a path, or ``postgresql://…``)."""
    text = str(url)
    if is_postgres(text):
        return PgConnection(text)
    path = Path(text.removeprefix("sqlite:///"))
    if data_dir is not None and not path.is_absolute():
        path = data_dir / path
    return open_db(path, synchronous=synchronous)


def unavailable_errors() -> tuple[type[Exception], ...]:
    """What a store raises when it cannot be used for now and a worker should wait and retry: SQLite
    locked, read-only or gone; PostgreSQL down, restarting or the connection dropped."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        return (sqlite3.OperationalError,)
    return (sqlite3.OperationalError, psycopg.OperationalError)


def dialect(conn) -> str:
    return getattr(conn, "dialect", "sqlite")


@contextmanager
def transaction(conn) -> Iterator[Any]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def lock_key(conn, key: str) -> None:
    """Serialise transactions about ``key`` (e.g. an alert id that may not have a row yet) until commit.
    SQLite's ``BEGIN IMMEDIATE`` already serialises every writer."""
    if dialect(conn) == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


def migrate(conn, store: str, folder: Path) -> list[int]:
    """Apply ``folder/<dialect>/NNN_*.sql`` not yet recorded for ``store``; returns the versions applied."""
    files = sorted((folder / dialect(conn)).glob("[0-9][0-9][0-9]_*.sql"))
    applied: list[int] = []
    with transaction(conn):
        # PostgreSQL's IF NOT EXISTS is no guard against another process creating the table at the
        # same moment (a unique violation on pg_type): processes starting together take turns.
        lock_key(conn, "schema_migrations")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (store TEXT NOT NULL, version INTEGER NOT NULL,"
                     " name TEXT NOT NULL, PRIMARY KEY (store, version))")
    with transaction(conn):
        lock_key(conn, f"schema_migrations:{store}")
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations WHERE store=?", (store,))}
        for f in files:
            version = int(f.name[:3])
            if version in done:
                continue
            _apply(conn, f.read_text(encoding="utf-8"))
            conn.execute("INSERT INTO schema_migrations (store, version, name) VALUES (?,?,?)",
                         (store, version, f.stem))
            applied.append(version)
    return applied


def _apply(conn, script: str) -> None:
    if dialect(conn) == "postgresql":
        conn.executescript(script)
        return
    # sqlite3's executescript would COMMIT the open transaction: run statement by statement.
    for statement in (s.strip() for s in script.split(";")):
        if not statement or all(line.lstrip().startswith("--") for line in statement.splitlines()):
            continue
        try:
            conn.execute(statement)
        except sqlite3.OperationalError as e:
            if "duplicate column name" not in str(e):  # a file from before versioning already has it
                raise
