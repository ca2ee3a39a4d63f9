"""Database engine, sessions and the declarative base shared by every domain's tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: page cache per SQLite connection (KiB), and how much of the file is memory-mapped
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


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


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and a larger cache."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        # Reuse the connection used last: a connection's page cache is only good until
        # another connection writes, so handing requests round the pool (FIFO) made each
        # one start cold and re-read its pages.
        kwargs["pool_use_lifo"] = True
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
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
