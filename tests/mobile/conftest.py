"""Fixtures of the device tests: a real store file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.store import Store
from tests.mobile.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    """The store's clock."""
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    """An empty device store on disk, signed in as a staff member."""
    s = Store(tmp_path / "device.db", device_id="device-A", clock=clock)
    s.set_user("user-1", "Sid Staff", "vendor-1")
    yield s
    s.close()
