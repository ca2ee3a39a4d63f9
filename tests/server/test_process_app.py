"""The app as a server process runs it (``server.cli run``): its startup heap is frozen."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import create_app, create_process_app
from server.migrate import upgrade_sync
from server.settings import Settings
from tests.support import ServerThread, fresh_database
from tests.support import test_settings as server_settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # this test process builds many more apps


@contextmanager
def serving(factory: Callable[[Settings], Any], tmp_path: Path) -> Iterator[ServerThread]:
    """The app ``factory`` builds, over a new SQLite file, serving on 127.0.0.1."""
    with fresh_database("sqlite", tmp_path) as url:
        upgrade_sync(url)
        settings = server_settings(url, tmp_path / "data")
        server = ServerThread(factory(settings), settings=settings).start()
        try:
            yield server
        finally:
            server.stop()


def test_a_served_process_freezes_its_startup_heap(tmp_path: Path, unfrozen: None) -> None:
    with serving(create_process_app, tmp_path) as server:
        # Full collections no longer walk the modules, routes and caches of startup.
        assert gc.get_freeze_count() > 10_000
        assert httpx.get(f"{server.url}/health/ready").status_code == 200


def test_an_app_built_in_process_leaves_the_collector_alone(tmp_path: Path, unfrozen: None) -> None:
    with serving(create_app, tmp_path) as server:
        assert httpx.get(f"{server.url}/health/ready").status_code == 200
        assert gc.get_freeze_count() == 0
