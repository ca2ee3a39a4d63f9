"""Fixtures of the hardening tests: a server of their own, seeded, on each backend.

Fuzzers and throttle tests fail many sign-ins from 127.0.0.1; on the session's shared
server those failures would count against the address every other test signs in from.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.app import create_app
from server.migrate import upgrade_sync
from server.settings import Settings
from tests.support import ServerThread, Tenant, fresh_database, make_tenant, test_settings

#: for building the app without starting it: the engine is made but never connects
UNUSED_DATABASE = f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / 'shipfloor-unused.db'}"


@dataclass
class Seeded:
    """A server over its own database, with a vendor whose orders are in every status."""

    server: ServerThread
    database_url: str
    settings: Settings
    tenant: Tenant
    orders: dict[str, str]


@pytest.fixture(scope="module")
def own_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this module only, migrated to head."""
    with fresh_database(backend, tmp_path_factory.mktemp(f"own-{backend}")) as url:
        upgrade_sync(url)
        yield url


@pytest.fixture(scope="module")
def seeded(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A server on the module's database with a vendor and orders (so ids exist)."""
    settings = test_settings(own_database, tmp_path_factory.mktemp("data"))
    server = ServerThread(create_app(settings), settings=settings).start()
    try:
        tenant = make_tenant(server.url, own_database, settings=settings)
        orders = {status: tenant.order(status) for status in ("new", "processing", "shipped")}
        yield Seeded(server, own_database, settings, tenant, orders)
    finally:
        server.stop()
