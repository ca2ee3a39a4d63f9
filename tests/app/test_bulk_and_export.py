"""The dashboard on a tablet or desk: ticking orders for bulk actions (start processing,
print slips, print labels — online and offline), the current filter as CSV, and the banner
announcing orders a sync brought."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx

from mobile.session import Session
from mobile.store import OrderListItem, actions
from mobile.viewmodels.bulk import BulkViewModel
from mobile.viewmodels.documents import ServerDocumentOpener
from mobile.viewmodels.export import COLUMNS, orders_csv
from mobile.viewmodels.orders import OrdersViewModel
from mobile.viewmodels.steps.printing import Document, DocumentUnavailable
from mobile.workspace import Workspace
from shared.types import OrderStatus
from tests.app.conftest import WorkspaceFactory
from tests.app.test_orders_list import add_order, customer, orders_vm, synced
from tests.support import Tenant, free_port


class Launcher:
    """The platform's URL opener: remembers what it was asked to open."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def __call__(self, url: str) -> None:
        self.urls.append(url)


class ShelfOpener:
    """A bulk opener without a server: "opens" documents while ``online``."""

    def __init__(self, online: bool = True) -> None:
        self.online = online
        self.opened: list[tuple[Document, list[str]]] = []

    async def open_bulk(self, order_ids: Sequence[str], kind: Document) -> None:
        if not self.online:
            raise DocumentUnavailable("offline")
        self.opened.append((kind, list(order_ids)))


def server_opener(session: Session, workspace: Workspace, launch: Launcher) -> ServerDocumentOpener:
    """The opener the app uses: signed links from the real server, labels after a push."""

    async def push() -> None:
        await workspace.sync_and_wait()

    return ServerDocumentOpener(
        session.api,
        launch=launch,
        connected=lambda: workspace.status().online,
        before_label=push,
    )


def server_order(tenant: Tenant, order_id: str) -> dict[str, object]:
    """The order as the server has it."""
    order: dict[str, object] = tenant.get(f"/api/orders/{order_id}").json()["order"]
    return order


def make_ready_to_ship(tenant: Tenant, order_id: str) -> None:
    """Work an order on the server up to Ready to ship (label not printed)."""
    for body in (
        {"action": "start_processing"},
        {"action": "pick", "code": "MUG-1", "quantity": 2},
        {"action": "pick", "code": "TOTE-2", "quantity": 1},
        {"action": "inspect"},
        {"action": "pack", "package_type": "box", "weight_grams": 900},
        {"action": "print_slip"},
    ):
        r = tenant.act(order_id, body)
        assert r.status_code == 200, r.text
    assert server_order(tenant, order_id)["status"] == "ready_to_ship"


# ---------------------------------------------------------------- selection


async def test_ticking_orders_counts_them_and_a_filter_change_clears_the_ticks(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ids = [add_order(tenant)["order_id"] for _ in range(3)]
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    assert vm.selected_count == 0 and vm.selection_text == "" and not vm.selecting
    vm.toggle(ids[0])
    vm.toggle(ids[1])
    vm.toggle(ids[0])
    assert list(vm.selected) == [ids[1]] and vm.selection_text == "1 selected"
    # A phone's long press starts selection mode with the pressed order ticked.
    vm.start_selecting(ids[2])
    assert vm.selecting and vm.is_selected(ids[2]) and vm.selected_count == 2
    vm.select_all()
    assert set(vm.selected) == set(ids)
    await vm.select("processing")
    assert vm.selected_count == 0 and not vm.selecting


# ---------------------------------------------------------------- start processing


async def test_bulk_start_processing_records_one_step_per_eligible_order_and_skips_the_rest(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ready = [add_order(tenant)["order_id"] for _ in range(2)]
    unpaid = add_order(tenant, payment_status="pending")["order_id"]
    busy = add_order(tenant)["order_id"]
    assert tenant.act(busy, {"action": "start_processing"}).status_code == 200
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    vm.select_all()
    bulk = BulkViewModel(workspace, ShelfOpener())

    result = await bulk.start_processing(list(vm.selected))

    assert sorted(result.done) == sorted(ready)
    assert {s.order_id for s in result.skipped} == {unpaid, busy}
    assert all(s.reason for s in result.skipped)
    assert bulk.message is not None and "2 orders done, 2 skipped" in bulk.message
    # One mutation per started order, shown at once, waiting to sync.
    assert workspace.store.pending_count() == 2
    rows = {r.id: r for r in vm.rows}
    assert all(rows[i].status is OrderStatus.PROCESSING and rows[i].pending for i in ready)
    assert rows[unpaid].status is OrderStatus.NEW and not rows[unpaid].pending
    await synced(workspace)
    assert [server_order(tenant, i)["status"] for i in ready] == ["processing"] * 2
    bulk.dispose()


async def test_bulk_start_processing_works_offline_and_syncs_later(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    ids = [add_order(tenant)["order_id"] for _ in range(2)]
    online = open_workspace()
    await synced(online)
    await online.close()

    offline = open_workspace(url=f"http://127.0.0.1:{free_port()}")
    bulk = BulkViewModel(offline, ShelfOpener(online=False))
    result = await bulk.start_processing(ids)
    assert sorted(result.done) == sorted(ids) and not result.skipped
    status = await offline.sync_and_wait()
    assert not status.online and status.pending == 2
    bulk.dispose()
    await offline.close()

    back = open_workspace()
    assert (await synced(back)).pending == 0
    assert {server_order(tenant, i)["status"] for i in ids} == {"processing"}


# ---------------------------------------------------------------- printing


async def test_bulk_print_slips_records_each_step_and_opens_one_pdf_of_every_slip(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    new = add_order(tenant)["order_id"]
    processing = add_order(tenant)["order_id"]
    shipped_gone = add_order(tenant)["order_id"]
    assert tenant.act(processing, {"action": "start_processing"}).status_code == 200
    assert tenant.act(shipped_gone, {"action": "cancel"}).status_code == 200
    await synced(workspace)
    launch = Launcher()
    bulk = BulkViewModel(workspace, server_opener(session, workspace, launch))

    result = await bulk.print_slips([new, processing, shipped_gone])

    assert result.done == [new, processing] and result.opened
    assert [s.order_id for s in result.skipped] == [shipped_gone]
    assert len(launch.urls) == 1 and bulk.waiting == []
    async with httpx.AsyncClient() as client:
        pdf = await client.get(launch.urls[0])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    await synced(workspace)
    assert all(server_order(tenant, i)["slip_printed_at"] for i in (new, processing))

    # A reprint records nothing more and opens the PDF again.
    again = await bulk.print_slips([new])
    assert again.done == [new] and again.opened and workspace.store.pending_count() == 0
    bulk.dispose()


async def test_bulk_labels_are_issued_by_the_server_once_and_skip_orders_not_ready_to_ship(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ready = [add_order(tenant)["order_id"] for _ in range(2)]
    for order_id in ready:
        make_ready_to_ship(tenant, order_id)
    not_yet = add_order(tenant)["order_id"]
    await synced(workspace)
    launch = Launcher()
    bulk = BulkViewModel(workspace, server_opener(session, workspace, launch), api=session.api)

    result = await bulk.print_labels([*ready, not_yet])

    assert result.done == ready and result.opened
    assert [s.order_id for s in result.skipped] == [not_yet]
    # The labels' steps reached the server before the PDF was asked for: it issued them.
    assert workspace.store.pending_count() == 0
    for order_id in ready:
        detail = tenant.get(f"/api/orders/{order_id}").json()
        order = detail["order"]
        assert order["label_printed_at"] and order["carrier"] == "demo"
        assert str(order["tracking_number"]).startswith("SFD")
        assert [e["kind"] for e in detail["timeline"]].count("print_label") == 1
        # The issued number is on the device too, ready for the ship step.
        assert workspace.store.order(order_id).tracking_number == order["tracking_number"]  # type: ignore[union-attr]
    async with httpx.AsyncClient() as client:
        pdf = await client.get(launch.urls[0])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bulk.dispose()


async def test_offline_bulk_printing_records_the_steps_and_the_pdf_waits_for_the_network(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ids = [add_order(tenant)["order_id"] for _ in range(3)]
    await synced(workspace)
    opener = ShelfOpener(online=False)
    bulk = BulkViewModel(workspace, opener)

    result = await bulk.print_slips(ids)

    assert result.done == ids and not result.opened
    assert bulk.message is not None and "waits for the network" in bulk.message
    assert bulk.waiting_text == "3 packing slips waiting for the network"
    assert workspace.store.pending_count() == 3 and opener.opened == []
    # Nothing opens while still offline; once back, one PDF of the three.
    assert await bulk.network_back() == 0
    opener.online = True
    assert await bulk.network_back() == 1
    assert opener.opened == [(Document.PACKING_SLIP, ids)] and bulk.waiting == []
    bulk.dispose()


# ---------------------------------------------------------------- CSV


def item(number: str, customer_name: str, **overrides: object) -> OrderListItem:
    """A list row as the store reads it."""
    values: dict[str, object] = {
        "id": number.lower(),
        "number": number,
        "status": OrderStatus.READY_TO_SHIP,
        "customer_name": customer_name,
        "item_count": 3,
        "total_minor": 5999,
        "currency": "USD",
        "created_at": datetime(2026, 1, 13, 9, 0, tzinfo=UTC),
        "ship_by": datetime(2026, 1, 14, 23, 0, tzinfo=UTC),
        "carrier": "ups",
        "tracking_number": "1Z999AA10123456784",
        "version": 1,
        "pending": False,
    }
    values.update(overrides)
    return OrderListItem(**values)  # type: ignore[arg-type]


def test_the_csv_has_the_columns_a_seller_wants_in_the_vendors_time_zone() -> None:
    text = orders_csv(
        [
            item("SF10001", "Ava Adams, Jr."),
            item("SF10002", "=HYPERLINK(1)", ship_by=None, carrier="", tracking_number=""),
            item("SF10003", "Kenji", currency="JPY", total_minor=4200),
        ],
        ZoneInfo("America/New_York"),
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(COLUMNS)
    assert rows[1] == [
        "SF10001",
        "Ready to ship",
        "Ava Adams, Jr.",
        "2026-01-14 18:00",
        "3",
        "59.99",
        "USD",
        "ups",
        "1Z999AA10123456784",
    ]
    # A name a spreadsheet would run as a formula stays text.
    assert rows[2][2] == "'=HYPERLINK(1)" and rows[2][3] == "" and rows[2][8] == ""
    assert rows[3][5:7] == ["4200", "JPY"]
    assert text.endswith("\r\n")


async def test_the_export_holds_every_order_of_the_current_filter_and_search(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    kept = [add_order(tenant, customer=customer(f"Harper Quinn {i}"))["order_id"] for i in range(3)]
    add_order(tenant, customer=customer("Someone Else"))
    started = add_order(tenant, customer=customer("Harper Quinn 9"))["order_id"]
    assert tenant.act(started, {"action": "start_processing"}).status_code == 200
    await synced(workspace)
    vm = OrdersViewModel(
        workspace,
        session.calendar,
        clock=lambda: datetime(2026, 11, 26, 17, 5, tzinfo=UTC),
        page_size=2,  # more orders match than the list has loaded: all are exported
        debounce_seconds=0.05,
    )
    await vm.select("new")
    await vm.search_now("harper")
    assert len(vm.rows) == 2

    name, data = vm.export_csv()

    assert name.startswith("orders-new-2026-11-26") and name.endswith(".csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    numbers = {workspace.store.order(i).number for i in kept}  # type: ignore[union-attr]
    assert {r["Order number"] for r in rows} == numbers
    assert {r["Status"] for r in rows} == {"New"}
    assert all(r["Customer"].startswith("Harper Quinn") for r in rows)
    assert all(r["Items"] == "3" and r["Total"] == "59.99" for r in rows)


# ---------------------------------------------------------------- new-order banner


async def test_orders_a_sync_brings_show_a_banner_and_show_filters_to_new(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    add_order(tenant)
    await synced(workspace)
    vm = orders_vm(workspace, session)
    await vm.load()
    assert vm.new_orders == 0 and vm.banner_text == ""

    fresh = [add_order(tenant)["order_id"] for _ in range(2)]
    await synced(workspace)

    assert sorted(vm.new_order_ids) == sorted(fresh)
    assert vm.banner_text == "2 new orders arrived"
    await vm.show_new_orders()
    assert vm.filter.key == "new" and vm.new_orders == 0
    assert set(fresh) <= {r.id for r in vm.rows}

    # Dismissed, the banner stays away until another order arrives.
    another = add_order(tenant)["order_id"]
    await synced(workspace)
    assert vm.new_order_ids == [another]
    vm.dismiss_new_orders()
    assert vm.banner_text == ""
    vm.dispose()


async def test_no_banner_for_the_first_download_nor_for_changes_made_on_the_device(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    first = [add_order(tenant)["order_id"] for _ in range(3)]
    vm = orders_vm(workspace, session)
    await vm.load()
    await synced(workspace)  # the first sync fills the device: nothing to announce
    assert vm.total == 3 and vm.new_orders == 0

    workspace.act(actions.start_processing, first[0])
    await synced(workspace)
    # An order changed elsewhere (not new to the device) is no news either.
    assert tenant.act(first[1], {"action": "start_processing"}).status_code == 200
    await synced(workspace)
    assert vm.new_orders == 0
    # Only orders in New are announced.
    gone = add_order(tenant)["order_id"]
    assert tenant.act(gone, {"action": "cancel"}).status_code == 200
    await synced(workspace)
    assert vm.new_orders == 0
    vm.dispose()


async def test_offline_labels_wait_and_are_issued_by_the_server_once_the_network_is_back(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    ids = [add_order(tenant)["order_id"] for _ in range(2)]
    for order_id in ids:
        make_ready_to_ship(tenant, order_id)
    await synced(workspace)
    opener = ShelfOpener(online=False)
    bulk = BulkViewModel(workspace, opener, api=session.api)

    result = await bulk.print_labels(ids)

    assert result.done == ids and result.to_issue == ids and not result.opened
    assert bulk.waiting_text == "2 shipping labels waiting for the network"
    assert all(not server_order(tenant, i)["label_printed_at"] for i in ids)
    opener.online = True
    assert await bulk.network_back() == 1
    assert opener.opened == [(Document.LABEL, ids)] and bulk.waiting == []
    for order_id in ids:
        assert server_order(tenant, order_id)["label_printed_at"]
        assert workspace.store.order(order_id).tracking_number.startswith("SFD")  # type: ignore[union-attr]
    bulk.dispose()
