"""Fixtures: every server test runs against SQLite and PostgreSQL, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.app import create_app
from server.migrate import upgrade_sync
from tests.support import ServerThread, Tenant, fresh_database, make_tenant, test_settings

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine under test."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database, migrated to head by Alembic (the only way the schema is made)."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        upgrade_sync(url)
        yield url


@pytest.fixture(scope="session")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The API server on 127.0.0.1 over the session's database."""
    settings = test_settings(database_url, tmp_path_factory.mktemp("data"))
    server = ServerThread(create_app(settings), settings=settings).start()
    yield server
    server.stop()


@pytest.fixture
def tenant(api: ServerThread, database_url: str) -> Tenant:
    """A new vendor (owner, staff, intake key, stock) for one test."""
    return make_tenant(api.url, database_url, settings=api.settings)


@pytest.fixture
def other_tenant(api: ServerThread, database_url: str) -> Tenant:
    """A second, unrelated vendor."""
    return make_tenant(api.url, database_url, label="Other", settings=api.settings)


def pytest_configure(config: pytest.Config) -> None:
    """Keep test artefacts out of the repo."""
    Path(".pytest_cache").mkdir(exist_ok=True)
