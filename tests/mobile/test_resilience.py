"""Nothing lost, nothing twice: a killed client, an expiring token, a month offline."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from mobile.store import actions as act
from mobile.sync import AccessExpired, StoredTokens, Tokens
from server.accounts.security import ALGORITHM
from shared.sync import ConflictKind, Mutation, PushRequest, PushResponse
from shared.types import NoteKind
from tests.faultproxy import FaultProxy, Faults, ProxyThread
from tests.mobile.devices import (
    Device,
    device_view,
    open_device,
    reopen,
    replay_changes_nothing,
    same_notes,
    seller,
    server_view,
    sessions,
)
from tests.support import ServerThread, Tenant, intake_order

ROOT = Path(__file__).resolve().parents[2]
#: enough of each item that every pick of the test has room, and a double one would show
BIG_LINES = [
    {"sku": "MUG-1", "quantity": 30, "unit_price_minor": 1500},
    {"sku": "TOTE-2", "quantity": 20, "unit_price_minor": 2500},
]


@pytest.fixture
def shop(api: ServerThread, database_url: str) -> Tenant:
    """A vendor with plenty of stock on the session's server."""
    assert api.settings is not None
    return seller(api.url, database_url, api.settings)


def _big_orders(shop: Tenant, count: int) -> list[str]:
    """Orders of 30 mugs and 20 totes, in processing."""
    ids = []
    for _ in range(count):
        r = shop.intake(intake_order(lines=BIG_LINES))
        assert r.status_code == 201, r.text
        ids.append(r.json()["order_id"])
    with shop.client() as c:
        r = c.post(
            "/api/orders/bulk", json={"order_ids": ids, "command": {"action": "start_processing"}}
        )
        assert r.status_code == 200 and r.json()["failed"] == 0, r.text
    return ids


def _device(api: ServerThread, database_url: str, shop: Tenant, path: Path, url: str) -> Device:
    assert api.settings is not None
    [session] = sessions(database_url, api.settings, shop.staff_email, 1)
    return open_device(path, url, session, name=path.stem)


async def _sync_until_done(device: Device, attempts: int = 50) -> None:
    for _ in range(attempts):
        try:
            await device.client.sync()
        except Exception:
            continue
        if device.store.pending_count() == 0:
            return
    raise AssertionError(f"{device.name} did not finish syncing: {device.client.status()}")


def _record_picks_and_notes(device: Device, ids: list[str], notes_each: int) -> None:
    """Every unit of every order scanned (one mutation each), plus some notes."""
    rng = random.Random(5)
    work: list[tuple[str, str]] = []
    for oid in ids:
        work += [(oid, "4006381333931")] * 30 + [(oid, "TOTE-2")] * 20
        work += [(oid, "")] * notes_each
    rng.shuffle(work)
    for oid, code in work:
        if code:
            device.made.append(act.scan_item(device.store, oid, code).mutation)
        else:
            change = act.add_note(device.store, oid, NoteKind.TEAM_MESSAGE, f"n{rng.random()}")
            device.made.append(change.mutation)


def _assert_all_picked_exactly(shop: Tenant, ids: list[str], device: Device) -> None:
    """Each unit counted once: picked equals ordered, no over-pick anywhere, notes once."""
    server = server_view(shop, ids)
    mine = device_view(device.store, ids)
    for oid in ids:
        order, notes = server[oid]
        assert [(ln.picked, ln.quantity) for ln in order.lines] == [(30, 30), (20, 20)]
        assert mine[oid][0] == order
        assert same_notes(mine[oid][1], notes)
    assert device.store.conflicts() == []
    with shop.client() as c:
        for oid in ids:
            timeline = c.get(f"/api/orders/{oid}").json()["timeline"]
            assert sum(1 for e in timeline if e["kind"] == "pick") == 50, oid


# ---------------------------------------------------------------------- SIGKILL


def _pending_in(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        conn.close()


def _start_client(path: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.mobile.sync_device", str(path), url, "10"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_client_killed_mid_sync_loses_nothing_and_sends_nothing_twice(
    api: ServerThread, database_url: str, shop: Tenant, tmp_path: Path
) -> None:
    ids = _big_orders(shop, 6)
    path = tmp_path / "phone.db"

    async def prepare() -> list[Mutation]:
        device = _device(api, database_url, shop, path, api.url)
        try:
            await _sync_until_done(device)
            _record_picks_and_notes(device, ids, notes_each=5)
            assert device.store.pending_count() == len(device.made) == 330
            return device.made
        finally:
            await device.close()

    made = asyncio.run(prepare())

    # A slow network, so that each push takes a while and a kill lands in the middle.
    proxy = ProxyThread(FaultProxy(api.port, Faults(delay=1.0, max_delay=0.03), seed=3)).start()
    rng = random.Random(11)
    kills = 0
    try:
        while kills < 4 and _pending_in(path):
            before = _pending_in(path)
            client = _start_client(path, proxy.proxy.url)
            deadline = time.monotonic() + 30
            while _pending_in(path) == before and client.poll() is None:
                assert time.monotonic() < deadline, "the client made no progress"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.25))
            client.send_signal(signal.SIGKILL)
            client.wait(10)
            kills += client.returncode == -signal.SIGKILL
            assert _pending_in(path) < before
        assert kills >= 3, "the client finished before it could be killed"
        finish = _start_client(path, proxy.proxy.url)
        output, _ = finish.communicate(timeout=120)
        assert finish.returncode == 0, output.decode()
    finally:
        proxy.stop()

    async def check() -> None:
        device = reopen(path, api.url, made)
        try:
            assert device.store.pending_count() == 0
            assert device.store.rejected() == []
            _assert_all_picked_exactly(shop, ids, device)
            await replay_changes_nothing(device, api.url, shop, ids)
        finally:
            await device.close()

    asyncio.run(check())


# ---------------------------------------------------------------------- expiring token


@pytest.fixture
async def slow_proxy(api: ServerThread) -> AsyncIterator[FaultProxy]:
    """A network where each request waits up to 80 ms."""
    proxy = await FaultProxy(api.port, Faults(delay=1.0, max_delay=0.08), seed=5).start()
    yield proxy
    await proxy.stop()


async def test_a_token_expiring_during_a_push_loses_and_repeats_nothing(
    api: ServerThread, database_url: str, shop: Tenant, tmp_path: Path, slow_proxy: FaultProxy
) -> None:
    assert api.settings is not None
    ids = _big_orders(shop, 4)
    device = _device(api, database_url, shop, tmp_path / "phone.db", slow_proxy.url)
    device.client.push_batch = 4
    await _sync_until_done(device)
    _record_picks_and_notes(device, ids, notes_each=2)

    tokens = StoredTokens(device.store, device.transport)
    saved = tokens.current()
    assert saved is not None
    # The same access token, but running out in a second or two: mid-way through the outbox.
    claims: dict[str, Any] = jwt.decode(saved.access_token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) + 2
    short = jwt.encode(claims, api.settings.secret_key, algorithm=ALGORITHM)
    tokens.save(Tokens(access_token=short, refresh_token=saved.refresh_token))

    expired: list[int] = []
    real_push = device.transport.push

    async def watching(request: PushRequest, token: str) -> PushResponse:
        try:
            return await real_push(request, token)
        except AccessExpired:
            expired.append(len(request.mutations))
            raise

    device.transport.push = watching  # type: ignore[method-assign,assignment]
    report = await device.client.sync()
    assert expired == [4], "the token should run out once, with a batch on its way"
    assert report.pushed == len(device.made) == 208
    renewed = tokens.current()
    assert renewed is not None and renewed.refresh_token != saved.refresh_token
    _assert_all_picked_exactly(shop, ids, device)
    await replay_changes_nothing(device, api.url, shop, ids)
    await device.close()


# ---------------------------------------------------------------------- a month offline


async def test_a_device_offline_for_thirty_days_syncs_a_thousand_changes_without_a_reset(
    api: ServerThread, database_url: str, shop: Tenant, tmp_path: Path
) -> None:
    ids = _big_orders(shop, 20)
    device = _device(api, database_url, shop, tmp_path / "phone.db", api.url)
    device.client.push_batch = 100
    await _sync_until_done(device)
    cursor = device.store.cursor

    # The phone goes into a drawer for a month, with work recorded on it before that.
    month_ago = datetime.now(UTC) - timedelta(days=30)
    device.store.clock = lambda: month_ago
    rng = random.Random(30)
    for oid in ids:
        codes = ["4006381333931"] * 25 + ["TOTE-2"] * 20
        rng.shuffle(codes)
        for code in codes:
            device.made.append(act.scan_item(device.store, oid, code).mutation)
        for _ in range(5):
            change = act.add_note(device.store, oid, NoteKind.FOLLOW_UP, "called back")
            device.made.append(change.mutation)
    assert device.store.pending_count() == 1000

    # Meanwhile the shop went on: others picked on some of the same orders, new orders came.
    for oid in ids[:5]:
        assert (
            shop.act(oid, {"action": "pick", "code": "TOTE-2", "quantity": 20}).status_code == 200
        )
    new = [shop.intake(intake_order()).json()["order_id"] for _ in range(15)]

    report = await device.client.sync()
    assert report.pushed == 1000
    assert device.store.cursor != cursor
    assert report.pulled == len(ids) + len(new)  # only what changed, from the old cursor
    assert device.store.pending_count() == 0
    server = server_view(shop, ids + new)
    mine = device_view(device.store, ids + new)
    for oid in ids + new:
        assert mine[oid][0] == server[oid][0]
        assert same_notes(mine[oid][1], server[oid][1])
    # The totes others picked meanwhile make this device's 20 tote scans too many there:
    # taken up to the ordered quantity, the excess reported (merged, not lost).
    over = {k.conflict.order_id for k in device.store.conflicts()}
    assert over == set(ids[:5])
    assert all(k.conflict.kind is ConflictKind.OVER_PICK for k in device.store.conflicts())
    for oid in ids:
        assert [ln.picked for ln in server[oid][0].lines] == [25, 20]
    await replay_changes_nothing(device, api.url, shop, ids + new)
    await device.close()
