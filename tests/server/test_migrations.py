"""Migrations build the whole schema from empty, tear it down, and match the models exactly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from server.db import create_engine
from server.migrate import (
    MIGRATIONS,
    alembic_config,
    downgrade_sync,
    include_object_for,
    upgrade_sync,
)
from server.models import Base
from tests.support import fresh_database

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, of the backend under test; dropped afterwards."""
    with fresh_database(backend, tmp_path) as url:
        yield url


def on_connection(url: str, work: Any) -> Any:
    """Run ``work(sync_connection)`` on the database and return its result."""

    async def run() -> Any:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def tables(url: str) -> set[str]:
    """The tables the database holds."""
    return set(on_connection(url, lambda conn: inspect(conn).get_table_names()))


def revision(url: str) -> str | None:
    """The Alembic revision the database is at."""
    current: str | None = on_connection(
        url, lambda conn: MigrationContext.configure(conn).get_current_revision()
    )
    return current


def head() -> str:
    """The newest migration."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    current = script.get_current_head()
    assert current is not None
    return current


def schema_diff(conn: Connection) -> list[Any]:
    """What autogenerate would write to make the database match the models."""
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "render_as_batch": conn.dialect.name == "sqlite",
            "include_object": include_object_for(conn.dialect.name),
        },
    )
    return list(compare_metadata(context, Base.metadata))


def test_the_migrations_are_one_unbranched_line() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_an_empty_database_is_migrated_to_head_with_every_table(empty_database: str) -> None:
    assert tables(empty_database) == set()
    upgrade_sync(empty_database)
    assert tables(empty_database) == MODEL_TABLES | {"alembic_version"}
    assert revision(empty_database) == head()


def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    upgrade_sync(empty_database)
    assert on_connection(empty_database, schema_diff) == []


def test_downgrading_to_base_removes_everything_and_upgrading_again_rebuilds_it(
    empty_database: str,
) -> None:
    upgrade_sync(empty_database)
    downgrade_sync(empty_database, "base")
    assert tables(empty_database) <= {"alembic_version"}
    assert revision(empty_database) is None
    upgrade_sync(empty_database)
    assert tables(empty_database) == MODEL_TABLES | {"alembic_version"}
    assert on_connection(empty_database, schema_diff) == []


def test_upgrading_a_database_already_at_head_changes_nothing(empty_database: str) -> None:
    upgrade_sync(empty_database)
    upgrade_sync(empty_database)
    assert revision(empty_database) == head()
