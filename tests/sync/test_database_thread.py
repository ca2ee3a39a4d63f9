"""A push's statements run on SQLite's own thread in one hand-over (``on_database_thread``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write, create_engine, on_database_thread, session_factory


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    """A write transaction on a new SQLite file holding one empty table."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'thread.db'}")
    try:
        async with session_factory(engine)() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
            await session.commit()
            await begin_write(session)
            yield session
    finally:
        await engine.dispose()


async def test_work_runs_on_the_connections_thread_and_commits_with_the_session(
    session: AsyncSession,
) -> None:
    async def work() -> tuple[str, list[int]]:
        await session.execute(text("INSERT INTO t VALUES (1), (2)"))
        await session.execute(text("INSERT INTO t VALUES (:x)"), [{"x": 3}, {"x": 4}])
        rows = await session.execute(text("SELECT x FROM t ORDER BY x"))
        return threading.current_thread().name, list(rows.scalars())

    thread, seen = await on_database_thread(session, work)
    await session.commit()

    assert "_connection_worker_thread" in thread  # aiosqlite's thread, not the event loop's
    assert seen == [1, 2, 3, 4]
    assert list(await session.scalars(text("SELECT x FROM t ORDER BY x"))) == [1, 2, 3, 4]


async def test_work_that_waits_for_anything_else_fails_and_the_session_rolls_back(
    session: AsyncSession,
) -> None:
    async def work() -> None:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        await asyncio.sleep(0)  # the event loop's business: not possible on that thread

    with pytest.raises(RuntimeError, match="on the database thread"):
        await on_database_thread(session, work)
    await session.rollback()

    assert list(await session.scalars(text("SELECT x FROM t"))) == []
