"""A backup taken while the server runs restores into a fresh database that devices sync with.

On SQLite (online backup API) and PostgreSQL (``pg_dump``/``pg_restore``), through the
real commands (``python -m server.cli backup`` / ``restore``):

1. A server runs; a device syncs and works; the backup is taken while intake keeps
   writing.
2. After the backup the device works on (its cursor moves past anything the backup
   holds) and records one more change offline.
3. The backup is restored into a new database; a server starts on it and, before the
   device comes back, takes more changes than the device saw after the backup: without
   the restore's renumbering, those would reuse the sequence values the device has seen,
   and it would silently keep states of orders the server no longer has.
4. The device syncs: its store equals the restored server's state (what it saw after the
   backup is replaced, its offline change is pushed). A new device's first sync gives the
   same state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.app import create_app
from server.migrate import upgrade_sync
from shared import commands as c
from shared.types import NoteKind
from tests import support
from tests.mobile.devices import (
    Device,
    device_view,
    open_device,
    seed_orders,
    seller,
    server_view,
    sessions,
)
from tests.scale.instances import ROOT
from tests.support import ServerThread, Tenant, db_value, fresh_database, intake_order

ORDERS = 12
SEQ = "SELECT change_seq FROM vendors WHERE id = :v"


def cli(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m server.cli …`` against a database, as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "SHIPFLOOR_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def source(backend: str, tmp_path: Path) -> Iterator[str]:
    """The database the running server uses (and the backup is taken of)."""
    (tmp_path / "source").mkdir()
    with fresh_database(backend, tmp_path / "source") as url:
        upgrade_sync(url)
        yield url


@pytest.fixture
def target(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database to restore into (created now, dropped afterwards)."""
    (tmp_path / "target").mkdir()
    with fresh_database(backend, tmp_path / "target") as url:
        yield url


def assert_same_as_server(device: Device, tenant: Tenant, order_ids: list[str]) -> None:
    """The device shows exactly the server's orders and notes, with nothing pending."""
    expected = server_view(tenant, order_ids)
    mine = device_view(device.store, order_ids)
    assert device.store.pending_count() == 0
    for oid, (order, notes) in expected.items():
        assert mine[oid][0] == order, (device.name, oid)
        assert device.store.base_order(oid) == order, (device.name, oid)
        assert sorted((n.id, n.text) for n in mine[oid][1]) == sorted(
            (n.id, n.text) for n in notes
        ), (device.name, oid)


def take_many(device: Device, order_ids: list[str], label: str) -> None:
    """Record a note on every order (each one a change of the server's sequence)."""
    for oid in order_ids:
        device.store.record(oid, c.AddNote(kind=NoteKind.TEAM_MESSAGE, text=f"{label} {oid[:6]}"))


async def test_a_backup_restores_into_a_fresh_database_and_devices_sync_with_it(
    backend: str, source: str, target: str, tmp_path: Path
) -> None:
    settings = support.test_settings(source, tmp_path / "data")
    first = ServerThread(create_app(settings), settings=settings).start()
    try:
        shop = await asyncio.to_thread(seller, first.url, source, settings)
        order_ids = seed_orders(shop, ORDERS, processing=ORDERS // 2)
        diverged, untouched = order_ids[: ORDERS // 2], order_ids[ORDERS // 2 :]
        (login,) = sessions(source, settings, shop.staff_email, 1)
        device = open_device(tmp_path / "a.db", first.url, login, name="a")
        await device.client.sync()
        take_many(device, order_ids[: ORDERS // 2], "before")
        await device.client.sync()

        # The backup, while intake keeps writing.
        written: list[str] = []
        stop = threading.Event()

        def keep_taking_orders() -> None:
            while not stop.is_set():
                r = shop.intake(intake_order())
                assert r.status_code == 201, r.text
                written.append(r.json()["order_id"])

        writer = threading.Thread(target=keep_taking_orders)
        writer.start()
        try:
            backup_file = tmp_path / "shipfloor.backup"
            done = cli(source, tmp_path / "data", "backup", str(backup_file))
        finally:
            stop.set()
            writer.join(30)
        assert done.returncode == 0, done.stderr
        assert backup_file.stat().st_size > 0
        # Orders taken while the backup ran may or may not be in it; the device gets them.
        await device.client.sync()

        # After the backup: the device works on and its cursor moves past the backup.
        take_many(device, diverged, "after")
        await device.client.sync()
        cursor_after = device.store.cursor
        seen_seq = await asyncio.to_thread(db_value, source, SEQ, v=shop.vendor_id)
        device.store.record(
            order_ids[0],
            c.AddNote(kind=NoteKind.TEAM_MESSAGE, text="offline, never pushed to the old server"),
        )
    finally:
        first.stop()

    # Restoring over a database that has data is refused (unless --force).
    refused = cli(source, tmp_path / "data", "restore", str(backup_file))
    assert refused.returncode == 1 and "restore failed" in refused.stderr, refused

    done = cli(target, tmp_path / "data", "restore", str(backup_file))
    assert done.returncode == 0, done.stderr
    assert "renumbered" in done.stdout

    restored_settings = support.test_settings(
        target, tmp_path / "data2", secret_key=settings.secret_key
    )
    second = ServerThread(create_app(restored_settings), settings=restored_settings).start()
    try:
        shop2 = dataclasses.replace(shop, base_url=second.url)
        known = server_known(shop2, order_ids + written)
        assert set(order_ids) <= set(known)
        # More changes than the device saw after the backup, before it comes back.
        logins = sessions(target, restored_settings, shop.staff_email, 2)
        other = open_device(tmp_path / "b.db", second.url, logins[0], name="b")
        await other.client.sync()
        # Only on the orders the device did not change after the backup: the others keep
        # their restored sequence values, and only renumbering brings them to the device.
        rounds = 0
        while (
            rounds < 2
            or await asyncio.to_thread(db_value, target, SEQ, v=shop.vendor_id) <= seen_seq
        ):
            take_many(other, untouched, f"restored {rounds}")
            await other.client.sync()
            rounds += 1

        device.transport.base_url = second.url
        await device.client.sync()
        await device.client.sync()  # the pull after its own push is in too
        assert device.store.cursor != cursor_after
        assert_same_as_server(device, shop2, known)
        texts = {n.text for n in server_view(shop2, [order_ids[0]])[order_ids[0]][1]}
        assert "offline, never pushed to the old server" in texts
        assert not any(t.startswith("after ") for t in texts), (
            "the restore keeps the backup's state"
        )

        await other.client.sync()
        assert_same_as_server(other, shop2, known)
        fresh = open_device(tmp_path / "c.db", second.url, logins[1], name="c")
        await fresh.client.sync()
        assert fresh.store.order_count() == len(known)
        assert_same_as_server(fresh, shop2, known)
        for d in (device, other, fresh):
            await d.close()
    finally:
        second.stop()


def server_known(tenant: Tenant, order_ids: list[str]) -> list[str]:
    """Those of the orders the server has."""
    with tenant.client() as client:
        return [oid for oid in order_ids if client.get(f"/api/orders/{oid}").status_code == 200]
