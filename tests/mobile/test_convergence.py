"""Twenty devices working the same orders through a bad network converge with the server.

The real client code (store, sync client, scheduler, httpx) and the real server over HTTP
on 127.0.0.1, through a fault-injecting proxy that drops requests, drops answers after
the server committed, cuts bodies and delays; the server is restarted twice mid-run.
Orders keep arriving by intake meanwhile. Once the network heals, every device must hold
exactly the server's state, and every mutation must have been taken exactly once or
refused with a reason the device keeps.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.sync import Backoff, SyncScheduler
from server.app import create_app
from server.settings import Settings
from tests import support
from tests.faultproxy import FaultProxy, Faults
from tests.mobile.devices import (
    Device,
    assert_each_taken_once_or_refused,
    device_view,
    open_device,
    replay,
    same_notes,
    seed_orders,
    seller,
    server_view,
    sessions,
)
from tests.mobile.helpers import poll_until
from tests.mobile.workload import act_randomly
from tests.support import ServerThread, free_port, intake_order

DEVICES = 20
MUTATIONS = 200
#: pickers work zones: two devices per zone, and a fifth of each one's work anywhere
ZONES = 10
FAULTS = Faults(
    drop_request=0.04, cut_request=0.03, drop_response=0.06, cut_response=0.03, delay=0.2
)


class RestartableServer:
    """The API server on a fixed port that can be stopped and started again mid-test."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.thread: ServerThread | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        """Base URL (same across restarts)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RestartableServer:
        """A fresh app (new engine, nothing kept in memory) on the same port and database."""
        app = create_app(self.settings)
        self.thread = ServerThread(app, port=self.port, settings=self.settings).start()
        return self

    def stop(self) -> None:
        """Stop it (in-flight requests finish; new connections are refused)."""
        assert self.thread is not None
        self.thread.stop()
        self.thread = None

    def restart(self, pause: float = 0.5) -> None:
        """Stop, stay down a moment, start again."""
        self.stop()
        time.sleep(pause)
        self.start()
        self.restarts += 1


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[RestartableServer]:
    """A restartable server over the session's database."""
    running = RestartableServer(support.test_settings(database_url, tmp_path / "data")).start()
    yield running
    if running.thread is not None:
        running.stop()


async def _until_synced(devices: list[Device], seconds: float) -> None:
    """Every outbox empty (the schedulers do the work)."""
    try:
        await poll_until(
            lambda: not any(d.store.pending_count() for d in devices), seconds, every=0.05
        )
    except AssertionError:
        stuck = {d.name: d.client.status() for d in devices if d.store.pending_count()}
        raise AssertionError(f"devices did not finish syncing: {stuck}") from None


async def _settle(device: Device) -> None:
    """One complete cycle with the network healed (retrying a cycle a restart cut short)."""
    for _ in range(20):
        try:
            await device.client.sync()
            return
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError(f"{device.name}: {device.client.status()}")


async def test_twenty_devices_converge_through_faults_and_server_restarts(
    server: RestartableServer, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(2026)
    # Set up in a thread: the helpers run event loops of their own.
    shop = await asyncio.to_thread(seller, server.url, database_url, server.settings)
    order_ids = await asyncio.to_thread(seed_orders, shop, 30, processing=18)
    proxy = await FaultProxy(server.port, FAULTS, seed=7).start()
    devices = [
        open_device(tmp_path / f"d{i:02d}.db", proxy.url, session, name=f"d{i:02d}", timeout=30)
        for i, session in enumerate(
            sessions(database_url, server.settings, shop.staff_email, DEVICES)
        )
    ]
    schedulers = [
        SyncScheduler(
            d.client,
            interval=5.0,
            debounce=0.3,
            max_debounce=2.0,
            backoff=Backoff(base=0.05, cap=1.0, rng=random.Random(i)),
        )
        for i, d in enumerate(devices)
    ]
    for s in schedulers:
        s.start()  # the first cycle is the initial sync
    await asyncio.sleep(0.5)

    made = 0
    total = DEVICES * MUTATIONS

    async def work(device: Device, scheduler: SyncScheduler, seed: int) -> None:
        nonlocal made
        local = random.Random(seed)
        # Wait for its initial sync, which may still be fighting the network.
        await poll_until(lambda: device.store.order_count() >= 30, seconds=60, every=0.05)
        zone = int(device.name[1:]) % ZONES
        for _ in range(MUTATIONS):
            known = sorted(
                oid for (oid,) in device.store.conn.execute("SELECT id FROM orders").fetchall()
            )
            home = [oid for i, oid in enumerate(known) if i % ZONES == zone]
            device.made.append(act_randomly(device.store, known, local, home).mutation)
            made += 1
            scheduler.local_change()
            await asyncio.sleep(local.uniform(0, 0.05))

    async def restarts() -> None:
        for share in (0.35, 0.7):
            await poll_until(lambda s=share: made >= total * s, seconds=120, every=0.02)  # type: ignore[misc]
            # Blocking stop/start in a thread: the devices keep working meanwhile.
            await asyncio.to_thread(server.restart)

    async def intake() -> None:
        while made < total * 0.9:
            await asyncio.sleep(0.4)
            try:
                r = await asyncio.to_thread(shop.intake, intake_order())
            except Exception:
                continue  # the server is restarting
            assert r.status_code == 201, r.text
            order_ids.append(r.json()["order_id"])

    await asyncio.gather(
        *(work(d, s, rng.randrange(10**9)) for d, s in zip(devices, schedulers, strict=True)),
        restarts(),
        intake(),
    )
    worked = time.monotonic() - started
    proxy.heal()
    await _until_synced(devices, seconds=60)
    drained = time.monotonic() - started
    for s in schedulers:
        await s.stop()
    # Everyone's changes are on the server now; one more cycle each brings them all in.
    for device in devices:
        await _settle(device)
    settled = time.monotonic() - started

    assert server.restarts == 2
    faults = {k: v for k, v in proxy.stats.items() if k not in ("pass", "delay")}
    assert sum(faults.values()) >= 30, proxy.stats
    assert sum(len(d.made) for d in devices) == total

    expected = server_view(shop, order_ids)
    for device in devices:
        assert device.store.order_count() == len(order_ids)
        mine = device_view(device.store, order_ids)
        for oid, (order, notes) in expected.items():
            assert mine[oid][0] == order, (device.name, oid)
            assert device.store.base_order(oid) == order, (device.name, oid)
            assert same_notes(mine[oid][1], notes), (device.name, oid)
        assert device.store.pending_count() == 0
    conflicts = {k.conflict.id for k in devices[0].store.conflicts(include_dismissed=True)}
    for device in devices[1:]:
        assert {k.conflict.id for k in device.store.conflicts(include_dismissed=True)} == conflicts

    compared = time.monotonic() - started
    refused = 0
    before = server_view(shop, order_ids)
    for device in devices:
        results = await replay(device, server.url)
        assert_each_taken_once_or_refused(device, results)
        refused += sum(1 for r in results.values() if r.status == "rejected")
    assert server_view(shop, order_ids) == before, "a replayed mutation was taken again"
    await proxy.stop()
    for device in devices:
        await device.close()
    print(
        f"\nconvergence: {total} mutations, {refused} refused, {len(conflicts)} conflicts, "
        f"{len(order_ids)} orders, faults {dict(proxy.stats)}; seconds: worked {worked:.1f}, "
        f"drained {drained:.1f}, settled {settled:.1f}, compared {compared:.1f}, "
        f"total {time.monotonic() - started:.1f}; cycles {[s.cycles for s in schedulers]}"
    )
