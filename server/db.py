"""Database engine, sessions and the declarative base shared by every domain's tables."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

import aiosqlite
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    MetaData,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    event,
    insert,
)
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.util.concurrency import await_only

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")

#: page cache per SQLite connection (KiB), and how much of the file is memory-mapped
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
#: WAL pages (4 KiB) after which a commit checkpoints
SQLITE_CHECKPOINT_PAGES = 4000
#: PostgreSQL connections each server process keeps open, and how many more a burst may open
PG_POOL_SIZE = 20
PG_MAX_OVERFLOW = 10
#: a PostgreSQL connection is replaced after this long (before firewalls' idle timeouts)
PG_POOL_RECYCLE_SECONDS = 1800


class Base(DeclarativeBase):
    """Base of every table; constraint names are stable so migrations match on both engines."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, one step from an aware datetime to SQLite's stored text.

        SQLAlchemy would call :meth:`process_bind_param` and then SQLite's own ``DATETIME``
        formatter, three Python calls and a dict per value; a sync batch binds thousands of
        timestamps. The text is exactly what ``DATETIME`` stores
        (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), so rows read and compare as before.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        texts: dict[datetime, str] = {}

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            text = texts.get(value)  # a batch binds the same few instants many times
            if text is not None:
                return text
            zone = value.tzinfo
            if zone is None:
                raise ValueError("naive datetime given to a UTC column")
            utc = value if zone is UTC else value.astimezone(UTC)
            # The first 26 characters of the ISO form (it ends in "+00:00") are exactly
            # DATETIME's "%04d-%02d-%02d %02d:%02d:%02d.%06d".
            text = utc.isoformat(" ", "microseconds")[:26]
            if len(texts) >= 1024:
                texts.clear()
            texts[value] = text  # equal instants give the same UTC text, whatever the zone
            return text

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _SQLiteConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection, which also works on aiosqlite's own thread.

    aiosqlite runs every call on the connection's thread and makes the event loop wait for
    it: creating a cursor, executing, fetching and closing are each a round trip between
    the two threads (3–4 per statement). Code that already runs on that thread (see
    :func:`on_database_thread`) is given the plain ``sqlite3`` cursor instead, so its
    statements cost no round trip at all.
    """

    __slots__ = ()

    def _on_own_thread(self) -> bool:
        thread: threading.Thread | None = getattr(self._connection, "_thread", None)
        return thread is not None and thread.ident == threading.get_ident()

    def cursor(self, server_side: bool = False) -> Any:
        if self._on_own_thread():
            return _DirectCursor(self._connection._conn)
        return super().cursor(server_side)


class _DirectCursor:
    """A ``sqlite3`` cursor used on its connection's thread, shaped like SQLAlchemy's adapter.

    Like the adapter, it fetches every row when it executes; it also closes the ``sqlite3``
    cursor right away, so the result can be read and closed from any thread afterwards.
    """

    __slots__ = ("_connection", "_rows", "description", "lastrowid", "rowcount")

    arraysize = 1
    server_side = False

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._done(self._connection.execute(operation, () if parameters is None else parameters))

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._done(self._connection.executemany(operation, seq_of_parameters))

    def _done(self, cursor: sqlite3.Cursor) -> None:
        self.description = cursor.description
        self._rows = deque(cursor.fetchall()) if cursor.description else deque()
        self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
        cursor.close()

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's asyncio layer calls after executing: the rows are all here."""

    def close(self) -> None:
        self._rows.clear()

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class _SQLiteDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, handing out :class:`_SQLiteConnection`."""

    def connect(self, *arg: Any, **kw: Any) -> _SQLiteConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        # As SQLAlchemy does: the connection's thread never holds up the process's exit.
        thread = connection if isinstance(connection, threading.Thread) else connection._thread
        thread.daemon = True
        return _SQLiteConnection(self, await_only(connection))


def _direct_capable(connection: Any) -> bool:
    """Whether aiosqlite's private parts :func:`on_database_thread` relies on are there."""
    return all(hasattr(connection, name) for name in ("_thread", "_tx", "_conn", "_running"))


async def on_database_thread(
    session: AsyncSession, work: Callable[[], Coroutine[Any, Any, T]]
) -> T:
    """Run ``work()`` on the thread of the session's SQLite connection, in one round trip.

    The session's statements then go straight to ``sqlite3`` (see :class:`_SQLiteConnection`):
    a sync batch of ~10 statements costs one hand-over between the event loop and the
    database thread instead of ~40. ``work`` is a coroutine that must never wait for
    anything but this session's statements (which, there, complete without waiting): it is
    driven to its end in one step, and one that tries to suspend fails loudly. It must not
    commit or roll back either — the session hands its connection back to the pool at
    commit, which only the event loop may do — so the caller commits afterwards.

    On PostgreSQL, or an engine not made by :func:`create_engine`, ``work()`` is simply
    awaited. The session's transaction must already be open (:func:`begin_write`).
    """
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).dbapi_connection
    aio = getattr(raw, "_connection", None)
    if not isinstance(raw, _SQLiteConnection) or not _direct_capable(aio):
        return await work()
    assert isinstance(aio, aiosqlite.Connection)
    if not aio._running or aio._connection is None:
        raise sqlite3.OperationalError("connection closed")
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    # The request's context (contextvars) goes along, as it would to an awaited coroutine.
    run = partial(contextvars.copy_context().run, _drive, work)
    aio._tx.put_nowait((future, run))
    # The database thread uses the session until it is done: a cancelled request waits for
    # it (and then is cancelled), so nobody rolls back or closes the session meanwhile.
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return future.result()


def _drive(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine that never suspends to its end, here and now."""
    coroutine = work()
    try:
        step = coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError(f"{work!r} waited for {step!r} on the database thread")


class _CompiledInsert(NamedTuple):
    """An INSERT as the driver takes it: its SQL, a row's values, their converters."""

    sql: str
    values: Callable[[dict[str, Any]], tuple[Any, ...]]
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]


_compiled_inserts: dict[tuple[Table, tuple[str, ...], str, str], _CompiledInsert] = {}


def _insert_of(table: Table, columns: tuple[str, ...], dialect: Dialect) -> _CompiledInsert:
    """``INSERT INTO table (columns) VALUES (…)`` in the driver's SQL, and the columns whose
    values the driver cannot take as they are (timestamps), with their converters."""
    key = (table, columns, dialect.name, dialect.driver)
    found = _compiled_inserts.get(key)
    if found is not None:
        return found
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = list(compiled.positiontup or ())  # the table's column order
    if sorted(order) != sorted(columns):  # a parameter per column given, nothing else
        raise RuntimeError(f"unexpected parameters for {table.name}: {order}")
    converters = []
    for i, name in enumerate(order):
        convert = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters.append((i, convert))
    name = order[0]
    values = itemgetter(*order) if len(order) > 1 else (lambda row: (row[name],))
    found = _CompiledInsert(compiled.string, values, tuple(converters))
    _compiled_inserts[key] = found
    return found


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) with one executemany, in the session's
    transaction.

    What ``session.execute(insert(table), rows)`` does, without its per-row work: SQLAlchemy
    builds each row's parameters one value at a time (about twice the cost of SQLite
    inserting the row); here the SQL is compiled once per table, columns and database, and
    each row becomes the tuple the driver takes, converting only the values whose type needs
    it (timestamps, with the same converters SQLAlchemy would use). No defaults are applied:
    every column must be given.
    """
    if not rows:
        return

    def run(sync_session: Session) -> None:
        connection = sync_session.connection()
        statement = _insert_of(table, tuple(rows[0]), connection.dialect)
        values = statement.values
        if statement.converters:
            params = []
            for row in rows:
                one = list(values(row))
                for i, convert in statement.converters:
                    one[i] = convert(one[i])
                params.append(tuple(one))
        else:
            params = [values(row) for row in rows]
        connection.exec_driver_sql(statement.sql, params)

    await session.run_sync(run)


def in_values(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN (:name…)``, the list given as parameter ``name``.

    On PostgreSQL ``= ANY(:name)`` with the list as one array: one prepared statement
    whatever its length (an expanding ``IN`` is a new statement for every length). SQLite
    keeps the expanding ``IN``: its one-parameter form, ``IN (SELECT value FROM
    json_each(?))``, cuts strings at a NUL character, so a client's id holding one would no
    longer match its own record.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String())))
    return column.in_(bindparam(name, expanding=True))


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and a larger cache."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        # Reuse the connection used last: a connection's page cache is only good until
        # another connection writes, so handing requests round the pool (FIFO) made each
        # one start cold and re-read its pages.
        kwargs["pool_use_lifo"] = True
        if url.startswith("sqlite+aiosqlite"):
            kwargs["module"] = _SQLiteDBAPI(aiosqlite, sqlite3)
    else:
        # No pre-ping: it cost every request three round trips (asyncpg's ping is a
        # transaction around an empty query) and ~10% of the server's CPU under load. A
        # connection the database dropped fails its request once instead, answered 503
        # with Retry-After (server/errors.py), and SQLAlchemy then replaces the whole pool;
        # pool_recycle retires connections before an idle timeout in between can.
        # A pool of 20 kept open: overflow connections closed after every burst and opened
        # again for the next showed up in the profile (connect, TLS probe).
        kwargs.update(
            pool_size=PG_POOL_SIZE,
            max_overflow=PG_MAX_OVERFLOW,
            pool_pre_ping=False,
            pool_recycle=PG_POOL_RECYCLE_SECONDS,
        )
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # SQLite's default page cache (2 MiB a connection) is smaller than the index
            # pages a sync batch touches once the database holds some history (random
            # mutation ids, order ids): every batch re-read ~1,800 pages from the OS. Pages
            # are only taken as used; the memory map lets reads of the main file skip the
            # copy, shared by all connections through the OS cache.
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            # Checkpoint (copy the WAL back into the database) every 16 MiB of WAL rather
            # than SQLite's 4 MiB: the pages every write touches (table ends, the vendor's
            # sequence, stock) are copied once per checkpoint, so fewer, larger ones cost
            # less in all; a sync batch's commit took ~0.5 ms less on average.
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
            cursor.close()
            # Let SQLAlchemy's "begin" event below decide how each transaction starts.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the write lock up front (BEGIN IMMEDIATE): a deferred
            # transaction that reads first and then writes can fail with "database is
            # locked" when another writer got in between, and busy_timeout cannot help.
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session per request; the handler's service commits, anything else rolls back."""
    async with factory() as session:
        yield session


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a writer (SQLite: BEGIN IMMEDIATE).

    A read-only transaction already open (say, the API key was looked up) is ended first,
    since a transaction cannot change how it began.
    """
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write after unflushed changes")
        await session.commit()
    await session.connection(execution_options={"write": True})
