"""The sync client against the real server over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from mobile.store import PulledPage
from mobile.store import actions as act
from mobile.sync import SyncError, Unreachable
from mobile.sync.wire import JSON
from shared.sync import ConflictKind
from shared.types import NoteKind, OrderStatus
from tests.mobile.devices import (
    Device,
    device_view,
    open_device,
    same_notes,
    seed_orders,
    seller,
    server_view,
    sessions,
)
from tests.support import ServerThread, Tenant, intake_order

MakeDevice = Callable[..., Device]


@pytest.fixture
def shop(api: ServerThread, database_url: str) -> Tenant:
    """A vendor with plenty of stock on the session's server."""
    assert api.settings is not None
    return seller(api.url, database_url, api.settings)


@pytest.fixture
async def make_device(
    api: ServerThread, database_url: str, shop: Tenant, tmp_path: Path
) -> AsyncIterator[MakeDevice]:
    """Opens devices of the shop's staff member, each with its own sign-in."""
    assert api.settings is not None
    made: list[Device] = []

    def make(name: str, url: str | None = None, **kw: object) -> Device:
        [session] = sessions(database_url, api.settings, shop.staff_email, 1)  # type: ignore[arg-type]
        device = open_device(tmp_path / f"{name}.db", url or api.url, session, name=name, **kw)  # type: ignore[arg-type]
        made.append(device)
        return device

    yield make
    for device in made:
        await device.close()


def _assert_same_as_server(device: Device, shop: Tenant, order_ids: list[str]) -> None:
    server = server_view(shop, order_ids)
    mine = device_view(device.store, order_ids)
    for order_id in order_ids:
        assert mine[order_id][0] == server[order_id][0], order_id
        assert same_notes(mine[order_id][1], server[order_id][1]), order_id
        assert device.store.order(order_id) == device.store.base_order(order_id)


async def test_the_first_sync_brings_every_order_with_its_lines_and_notes(
    shop: Tenant, make_device: MakeDevice
) -> None:
    ids = seed_orders(shop, 6, processing=2)
    r = shop.act(ids[0], {"action": "add_note", "kind": "team_message", "text": "Fragile"})
    assert r.status_code == 200, r.text
    device = make_device("A")
    report = await device.client.sync()
    assert report.pulled == 6
    assert device.store.order_count() == 6
    assert device.store.cursor
    assert device.store.last_synced_at() is not None
    _assert_same_as_server(device, shop, ids)
    assert [n.text for n in device.store.order_detail(ids[0]).notes] == ["Fragile"]  # type: ignore[union-attr]


async def test_a_step_taken_offline_reaches_the_server_once(
    shop: Tenant, make_device: MakeDevice
) -> None:
    [oid] = seed_orders(shop, 1, processing=1)
    device = make_device("A")
    await device.client.sync()
    act.scan_item(device.store, oid, "4006381333931")
    act.add_note(device.store, oid, NoteKind.PACKAGING_INSTRUCTION, "Blue box")
    report = await device.client.sync()
    assert (report.pushed, report.applied) == (2, 2)
    assert device.store.pending_count() == 0
    _assert_same_as_server(device, shop, [oid])
    assert device.store.order(oid).lines[0].picked == 1  # type: ignore[union-attr]

    again = await device.client.sync()
    assert (again.pushed, again.pulled) == (0, 0)
    assert device.store.order(oid).lines[0].picked == 1  # type: ignore[union-attr]


async def test_json_works_as_well_as_messagepack(shop: Tenant, make_device: MakeDevice) -> None:
    [oid] = seed_orders(shop, 1, processing=1)
    device = make_device("A")
    device.transport.media_type = JSON
    await device.client.sync()
    act.scan_item(device.store, oid, "TOTE-2")
    await device.client.sync()
    _assert_same_as_server(device, shop, [oid])


async def test_changes_made_through_the_api_and_intake_arrive_in_the_next_pull(
    shop: Tenant, make_device: MakeDevice
) -> None:
    ids = seed_orders(shop, 2)
    device = make_device("A")
    await device.client.sync()
    assert shop.act(ids[0], {"action": "start_processing"}).status_code == 200
    r = shop.intake(intake_order())
    assert r.status_code == 201
    ids.append(r.json()["order_id"])
    report = await device.client.sync()
    assert report.pulled == 2
    assert device.store.order(ids[0]).status is OrderStatus.PROCESSING  # type: ignore[union-attr]
    _assert_same_as_server(device, shop, ids)


async def test_a_pending_scan_is_rebased_on_another_devices_scan(
    shop: Tenant, make_device: MakeDevice
) -> None:
    [oid] = seed_orders(shop, 1, processing=1)
    a, b = make_device("A"), make_device("B")
    await a.client.sync()
    await b.client.sync()
    act.scan_item(a.store, oid, "4006381333931")  # a mug, on A (not sent yet)
    act.scan_item(b.store, oid, "4006381333948")  # the tote, on B
    await b.client.sync()

    # A pulls B's scan first (as if its push had failed), keeping its own on top.
    page = await a.transport.pull(a.store.cursor, 100, (await a.client.tokens.access_token()) or "")
    a.store.apply_pull_page(page)
    assert [ln.picked for ln in a.store.order(oid).lines] == [1, 1]  # type: ignore[union-attr]
    assert a.store.pending_count() == 1

    await a.client.sync()
    await b.client.sync()
    for device in (a, b):
        assert [ln.picked for ln in device.store.order(oid).lines] == [1, 1]  # type: ignore[union-attr]
        _assert_same_as_server(device, shop, [oid])


async def test_a_step_the_server_refuses_is_kept_with_its_reason_and_the_conflict_shown(
    shop: Tenant, make_device: MakeDevice
) -> None:
    [oid] = seed_orders(shop, 1, processing=1)
    a, b = make_device("A"), make_device("B")
    await a.client.sync()
    await b.client.sync()
    walk: list[tuple[str, dict[str, object]]] = [
        ("pick", {"line_id": None, "code": "MUG-1", "quantity": 2}),
        ("pick", {"code": "TOTE-2"}),
        ("inspect", {}),
        ("pack", {"package_type": "box", "weight_grams": 500}),
        ("print_slip", {}),
        ("print_label", {}),
        ("attach_label", {}),
        ("ship", {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}),
    ]
    for action, args in walk:
        assert shop.act(oid, {"action": action, **args}).status_code == 200
    act.cancel(a.store, oid)  # A never heard: it cancels a parcel already gone
    report = await a.client.sync()
    assert report.rejected == 1
    [rejected] = a.store.rejected()
    assert rejected.code and rejected.message
    assert a.store.order(oid).status is OrderStatus.SHIPPED  # type: ignore[union-attr]
    kinds = {k.conflict.kind for k in a.store.conflicts()}
    assert ConflictKind.SHIP_VS_CANCEL in kinds
    assert a.client.status().rejected == 1
    _assert_same_as_server(a, shop, [oid])


async def test_an_interrupted_first_sync_resumes_where_it_stopped(
    shop: Tenant, make_device: MakeDevice
) -> None:
    ids = seed_orders(shop, 9)
    device = make_device("A", pull_limit=2)
    real_pull = device.transport.pull
    calls = 0

    async def failing_third_page(cursor: str, limit: int, token: str) -> PulledPage:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Unreachable("Wi-Fi dropped")
        return await real_pull(cursor, limit, token)

    device.transport.pull = failing_third_page  # type: ignore[method-assign,assignment]
    with pytest.raises(SyncError):
        await device.client.sync()
    assert device.store.order_count() == 4  # two pages filed, with their cursor
    report = await device.client.sync()
    assert report.pages == 3  # the rest (5 orders in pages of 2), nothing twice
    assert report.pulled == 5
    _assert_same_as_server(device, shop, ids)


async def test_a_cursor_the_server_refuses_starts_a_first_sync_again(
    shop: Tenant, make_device: MakeDevice
) -> None:
    ids = seed_orders(shop, 3, processing=1)
    device = make_device("A")
    await device.client.sync()
    act.scan_item(device.store, ids[0], "MUG-1")
    device.store.set_meta("cursor", "c1.not-a-cursor-of-this-server")
    report = await device.client.sync()
    assert report.pulled == 3
    assert device.store.cursor.startswith("c1.")
    assert device.store.pending_count() == 0
    _assert_same_as_server(device, shop, ids)
