"""The app as a server process runs it (``server.cli run``): its startup heap is frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.app import create_app, create_process_app
from server.migrate import upgrade_sync
from tests.support import ServerThread, fresh_database
from tests.support import test_settings as server_settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # this test process builds many more apps


def test_a_served_process_freezes_its_startup_heap(tmp_path: Path, unfrozen: None) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        upgrade_sync(url)
        settings = server_settings(url, tmp_path / "data")
        server = ServerThread(create_process_app(settings), settings=settings).start()
        try:
            # Full collections no longer walk the modules, routes and caches of startup.
            assert gc.get_freeze_count() > 10_000
            assert httpx.get(f"{server.url}/health/ready").status_code == 200
        finally:
            server.stop()


def test_an_app_built_in_process_leaves_the_collector_alone(tmp_path: Path, unfrozen: None) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        upgrade_sync(url)
        settings = server_settings(url, tmp_path / "data")
        server = ServerThread(create_app(settings), settings=settings).start()
        try:
            assert httpx.get(f"{server.url}/health/ready").status_code == 200
            assert gc.get_freeze_count() == 0
        finally:
            server.stop()
