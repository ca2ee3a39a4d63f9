"""The order list over the device store: chips, search, paging, badges, scans, the first
sync's progress, and the list following changes made here and pulled from the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from mobile.session import Session
from mobile.store import actions
from mobile.sync import SyncStatus
from mobile.viewmodels.orders import WAITING, OrdersViewModel
from mobile.workspace import Workspace
from shared.deadlines import Urgency
from shared.types import OPEN_STATUSES, OrderStatus
from tests.app.conftest import WorkspaceFactory
from tests.mobile.helpers import poll_until
from tests.support import Tenant, free_port, intake_order


def add_order(tenant: Tenant, **overrides: object) -> dict[str, str]:
    """Post a paid order through intake and return the intake result."""
    r = tenant.intake(intake_order(**overrides))
    assert r.status_code == 201, r.text
    result: dict[str, str] = r.json()
    return result


def customer(name: str) -> dict[str, str]:
    """A customer block for intake."""
    return {"name": name, "email": "someone@example.com"}


def orders_vm(
    workspace: Workspace,
    session: Session,
    page_size: int = 50,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> OrdersViewModel:
    """The list's view model over the device store, with a short search pause to wait out."""
    return OrdersViewModel(
        workspace, session.calendar, clock=clock, page_size=page_size, debounce_seconds=0.05
    )


async def synced(workspace: Workspace) -> SyncStatus:
    """One sync cycle, which must succeed."""
    status = await workspace.sync_and_wait()
    assert status.last_error is None, status.last_error
    return status


async def test_chips_count_every_status_and_filter_the_list(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    first = add_order(tenant)
    gone = add_order(tenant)
    add_order(tenant)
    add_order(tenant)
    assert tenant.act(first["order_id"], {"action": "start_processing"}).status_code == 200
    assert tenant.act(gone["order_id"], {"action": "cancel"}).status_code == 200
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    chips = {chip.label: chip.count for chip in vm.chips}
    assert chips == {
        "Open": 3,
        "All": 4,
        "New": 2,
        "Processing": 1,
        "Ready to ship": 0,
        "Shipped": 0,
        "Delivered": 0,
        "On hold": 0,
        "Cancelled": 1,
    }
    # The work still to do is what the list opens with.
    assert [chip.label for chip in vm.chips if chip.selected] == ["Open"]
    assert len(vm.rows) == 3 and gone["order_id"] not in {r.id for r in vm.rows}

    await vm.select("all")
    assert len(vm.rows) == 4

    await vm.select("processing")
    assert [r.id for r in vm.rows] == [first["order_id"]]
    assert vm.rows[0].status_label == "Processing"
    assert [chip.label for chip in vm.chips if chip.selected] == ["Processing"]

    await vm.select("shipped")
    assert vm.rows == [] and vm.empty_text == "No orders are shipped."


async def test_search_by_customer_name_waits_for_typing_to_pause(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ava = add_order(tenant, customer=customer("Ava Adams"))
    add_order(tenant, customer=customer("Ben Brown"))
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    assert len(vm.rows) == 2

    vm.search("a")
    vm.search("ad")
    vm.search("ADA")  # case does not matter
    assert len(vm.rows) == 2  # nothing searched yet: still typing
    await vm.settle()
    assert [r.customer_name for r in vm.rows] == ["Ava Adams"]
    assert vm.rows[0].id == ava["order_id"]
    assert vm.total == 1  # the chips count under the search too

    await vm.search_now("zzz")
    assert vm.rows == [] and vm.empty_text == "No orders match “zzz”."


async def test_search_by_part_of_an_order_number(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    add_order(tenant, number="NB-7001")
    wanted = add_order(tenant, number="NB-7002")
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.search_now("7002")
    assert [r.id for r in vm.rows] == [wanted["order_id"]]
    assert vm.rows[0].number == "NB-7002"


async def test_the_list_pages_lazily_in_ship_by_order(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    for i in range(7):
        add_order(tenant, paid_at=(start + timedelta(hours=7 * i)).isoformat())
    await synced(workspace)
    vm = orders_vm(workspace, session, page_size=3)
    await vm.load()
    assert len(vm.rows) == 3 and vm.has_more
    await vm.load_more()
    assert len(vm.rows) == 6 and vm.has_more
    await vm.load_more()
    assert len(vm.rows) == 7 and not vm.has_more
    await vm.load_more()  # nothing left: nothing happens
    assert len(vm.rows) == 7 and len({r.id for r in vm.rows}) == 7
    deadlines = [workspace.store.order(r.id).ship_by for r in vm.rows]  # type: ignore[union-attr]
    assert deadlines == sorted(deadlines)  # type: ignore[type-var]
    assert all(r.ship_by.startswith("Ship by ") for r in vm.rows)


async def test_badges_say_late_due_today_or_due_in_hours(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    paid = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # a Monday; ship by end of Thursday, New York
    made = add_order(tenant, paid_at=paid.isoformat())
    cancelled = add_order(tenant, paid_at=paid.isoformat())
    assert tenant.act(cancelled["order_id"], {"action": "cancel"}).status_code == 200
    await synced(workspace)
    order = workspace.store.order(made["order_id"])
    assert order is not None and order.ship_by is not None
    ship_by = order.ship_by

    for now, expected in [
        (ship_by + timedelta(hours=1), ("late", Urgency.LATE)),
        (ship_by - timedelta(hours=2), ("due today", Urgency.DUE_TODAY)),
        (ship_by - timedelta(hours=30), ("due in 30 h", Urgency.ON_TRACK)),
    ]:
        vm = orders_vm(workspace, session, clock=lambda now=now: now)  # type: ignore[misc]
        await vm.select("all")
        row = next(r for r in vm.rows if r.id == made["order_id"])
        assert (row.badge, row.urgency) == expected, now
        gone = next(r for r in vm.rows if r.id == cancelled["order_id"])
        assert gone.badge == "" and gone.urgency is None  # cancelled: no deadline
        vm.dispose()


async def test_a_scanned_slip_barcode_opens_exactly_that_order(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    add_order(tenant, number="SC-1010")  # contains the scanned code, but is another order
    wanted = add_order(tenant, number="SC-101")
    await synced(workspace)
    vm = orders_vm(workspace, session)
    assert await vm.open_code(" sc-101 ") == wanted["order_id"]
    assert vm.scan_message is None
    assert await vm.open_code("SC-999") is None
    assert vm.scan_message == "No order SC-999."
    assert await vm.open_code("  ") is None
    assert vm.scan_message == "Scan or type an order number."


async def test_the_first_sync_fills_the_list_open_work_first_with_progress(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    shipped = [tenant.order("shipped") for _ in range(3)]
    open_ids = [
        add_order(tenant, paid_at=(start + timedelta(hours=i)).isoformat())["order_id"]
        for i in range(3)
    ]
    workspace = open_workspace(pull_limit=2)  # pages of two orders: several pages
    vm = orders_vm(workspace, session)
    await vm.select("all")
    assert vm.rows == [] and vm.empty_text == "Your orders have not been downloaded yet."
    seen: list[tuple[str, list[OrderStatus]]] = []
    vm.subscribe(lambda: seen.append((vm.progress_text, [r.status for r in vm.rows])))

    workspace.start()
    await poll_until(lambda: vm.total == 6 and not vm.sync.syncing, seconds=15)
    assert {r.id for r in vm.rows} == set(shipped + open_ids)
    assert vm.progress_text == "" and not vm.downloading
    # While it ran, the list said so and filled in as pages arrived, open work first.
    assert any(text.startswith("Downloading your orders… 2 orders so far") for text, _ in seen)
    first_filled = next(statuses for _, statuses in seen if statuses)
    assert first_filled and all(s in OPEN_STATUSES for s in first_filled)


async def test_the_list_follows_local_changes_and_pulled_ones(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    mine = add_order(tenant)
    theirs = add_order(tenant)
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    assert vm.count(vm.filter) == 2

    # A step taken here: the row moves and is marked until the server has it.
    workspace.act(actions.start_processing, mine["order_id"])
    row = next(r for r in vm.rows if r.id == mine["order_id"])
    assert row.status is OrderStatus.PROCESSING and row.pending
    assert row.semantics.endswith(f", {WAITING}")
    assert vm.counts["processing"] == 1

    # Someone else cancels the other order on the server: the next sync brings it.
    assert tenant.act(theirs["order_id"], {"action": "cancel"}).status_code == 200
    await synced(workspace)
    assert [r.id for r in vm.rows] == [mine["order_id"]]
    assert not vm.rows[0].pending  # pushed and confirmed
    assert vm.counts["cancelled"] == 1


async def test_offline_the_list_reads_and_records_and_the_changes_sync_later(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    made = add_order(tenant)
    online = open_workspace()
    await synced(online)
    await online.close()

    # The same device store with the server out of reach.
    offline = open_workspace(url=f"http://127.0.0.1:{free_port()}")
    vm = orders_vm(offline, session)
    await vm.load()
    assert [r.id for r in vm.rows] == [made["order_id"]]
    offline.act(actions.start_processing, made["order_id"])
    status = await offline.sync_and_wait()
    assert not status.online and status.pending == 1
    assert vm.rows[0].pending and vm.rows[0].status is OrderStatus.PROCESSING
    await offline.close()

    back = open_workspace()
    status = await synced(back)
    assert status.online and status.pending == 0
    assert tenant.get(f"/api/orders/{made['order_id']}").json()["order"]["status"] == "processing"


async def test_the_scheduler_pushes_soon_after_a_local_change(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    workspace.start()
    await poll_until(lambda: workspace.store.order(made["order_id"]) is not None, seconds=10)
    workspace.act(actions.start_processing, made["order_id"])
    assert workspace.status().pending == 1
    await poll_until(lambda: workspace.status().pending == 0, seconds=10)
    assert tenant.get(f"/api/orders/{made['order_id']}").json()["order"]["status"] == "processing"
