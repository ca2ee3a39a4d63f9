"""Run Alembic migrations programmatically (``shipfloor migrate`` and the test fixtures)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking; must not run inside an event loop)."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` from async code (Alembic runs its own loop)."""
    await asyncio.to_thread(upgrade_sync, database_url, revision)


def downgrade_sync(database_url: str, revision: str = "base") -> None:
    """Take the database back to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def include_object_for(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Autogenerate's filter: leave out what the models create only on another database.

    Alembic ignores ``Index(...).ddl_if(dialect=...)``, so without this a PostgreSQL-only
    index (the trigram search index) shows up as missing on SQLite.
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        wanted = getattr(condition, "dialect", None)
        if wanted is None:
            return True
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include
