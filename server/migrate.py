"""Run Alembic migrations programmatically (``shipfloor migrate`` and the test fixtures)."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
