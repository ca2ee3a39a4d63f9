"""The order screen's "Out of stock" card: which line is short, calling or emailing the
customer, and the resolution (alternative, refund, cancel) recorded on the device — also
offline — and synced, with the server's refunds and stock figures following."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from mobile.session import Session
from mobile.store import actions
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.outofstock import OutOfStockViewModel, tel_url
from mobile.workspace import Workspace
from shared.types import OrderStatus
from tests.app.conftest import WorkspaceFactory
from tests.app.test_orders_list import add_order, synced
from tests.support import Tenant, free_port


async def short_tote(workspace: Workspace, tenant: Tenant, **overrides: object) -> str:
    """A paid order in Processing whose tote the picker reported out of stock on the device."""
    order_id = add_order(tenant, **overrides)["order_id"]
    await synced(workspace)
    workspace.act(actions.start_processing, order_id)
    order = workspace.store.order(order_id)
    assert order is not None
    tote = next(ln.id for ln in order.lines if ln.sku == "TOTE-2")
    workspace.act(actions.mark_short, order_id, tote)
    return order_id


async def card(workspace: Workspace, session: Session, order_id: str) -> OutOfStockViewModel:
    """The order screen showing ``order_id`` and its out-of-stock card."""
    detail = OrderDetailViewModel(workspace, session.calendar)
    vm = OutOfStockViewModel(detail, seller="Test Shop")
    await detail.load(order_id)
    return vm


def stock(tenant: Tenant, sku: str) -> tuple[int, int]:
    """On hand and reserved, as the server counts them."""
    item = tenant.get(f"/api/inventory/{sku}").json()
    return item["on_hand"], item["reserved"]


def server_detail(tenant: Tenant, order_id: str) -> dict[str, object]:
    """The order and its timeline, as the server has them."""
    detail: dict[str, object] = tenant.get(f"/api/orders/{order_id}").json()
    return detail


async def test_the_card_shows_only_for_an_order_on_hold_out_of_stock_and_names_the_line(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    calm = add_order(tenant)["order_id"]
    await synced(workspace)
    assert not (await card(workspace, session, calm)).visible

    order_id = await short_tote(workspace, tenant)
    vm = await card(workspace, session, order_id)
    assert vm.visible and vm.active and vm.title == "Out of stock: 1 item"
    assert vm.detail.order is not None and vm.detail.order.status is OrderStatus.ON_HOLD
    [line] = vm.lines
    assert line.text == "Linen tote (TOTE-2): 1 of 1 out of stock" and line.refund == "$25.00"
    assert line.remove.enabled and vm.cancel.enabled
    # The alternative needs its SKU before it can be sent.
    assert not line.alternative.enabled and line.alternative.reason.startswith("Type the")
    vm.set_alternative(line.id, "RARE-3")
    assert vm.lines[0].alternative.enabled


async def test_call_and_email_name_the_order_and_the_item_or_say_why_they_are_missing(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    reachable = await short_tote(
        workspace,
        tenant,
        customer={"name": "Ava Adams", "email": "ava@example.com", "phone": "+1 (555) 010-2030"},
    )
    vm = await card(workspace, session, reachable)
    call, email = vm.contacts
    assert (call.label, call.value, call.url) == ("Call", "+1 (555) 010-2030", "tel:+15550102030")
    assert email.enabled and email.url.startswith("mailto:ava@example.com?")
    query = parse_qs(urlsplit(email.url).query)
    number = vm.detail.order.number  # type: ignore[union-attr]
    assert query["subject"] == [f"Your order {number}: Linen tote is out of stock"]
    assert "Hello Ava Adams" in query["body"][0] and "Test Shop" in query["body"][0]
    assert unquote(email.url).count(number) >= 2

    silent = await short_tote(workspace, tenant, customer={"name": "No Contact"})
    vm = await card(workspace, session, silent)
    call, email = vm.contacts
    assert not call.enabled and call.reason == "No phone number on this order."
    assert not email.enabled and email.reason == "No email address on this order."
    assert tel_url("ext. only") == ""


async def test_refunding_the_short_item_is_recorded_offline_and_the_server_refunds_it(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    online = open_workspace()
    order_id = await short_tote(online, tenant)
    await synced(online)
    await online.close()

    offline = open_workspace(url=f"http://127.0.0.1:{free_port()}")
    vm = await card(offline, session, order_id)
    [line] = vm.lines
    assert await vm.refund_line(line.id)
    assert vm.message == "Linen tote removed from the order; $25.00 refunded."
    order = vm.detail.order
    assert order is not None and order.status is OrderStatus.PROCESSING
    assert not vm.active and vm.lines == [] and vm.pending_text == "1 change waiting to sync"
    status = await offline.sync_and_wait()
    assert not status.online and status.pending == 1
    vm.dispose()
    await offline.close()

    back = open_workspace()
    assert (await synced(back)).pending == 0
    detail = server_detail(tenant, order_id)
    server_order = detail["order"]
    assert isinstance(server_order, dict) and server_order["status"] == "processing"
    tote = next(ln for ln in server_order["lines"] if ln["sku"] == "TOTE-2")
    assert tote["removed"] is True
    kinds = [e["kind"] for e in detail["timeline"]]  # type: ignore[attr-defined]
    assert kinds.count("resolve") == 1 and "refund" in kinds


async def test_an_alternative_replaces_the_line_and_the_server_reserves_its_stock(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    order_id = await short_tote(workspace, tenant)
    await synced(workspace)
    before = stock(tenant, "RARE-3")
    vm = await card(workspace, session, order_id)
    [line] = vm.lines
    vm.set_alternative(line.id, "RARE-3", "Rare mug")

    assert await vm.send_alternative(line.id)

    order = vm.detail.order
    assert order is not None and order.status is OrderStatus.PROCESSING
    replaced = next(ln for ln in order.lines if ln.id == line.id)
    assert (replaced.sku, replaced.name, replaced.short, replaced.picked) == (
        "RARE-3",
        "Rare mug",
        0,
        0,
    )
    await synced(workspace)
    assert stock(tenant, "RARE-3") == (before[0], before[1] + 1)
    server_order = server_detail(tenant, order_id)["order"]
    assert isinstance(server_order, dict) and server_order["status"] == "processing"


async def test_cancel_asks_once_more_then_cancels_the_order_for_out_of_stock(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    order_id = await short_tote(workspace, tenant)
    vm = await card(workspace, session, order_id)
    assert not await vm.cancel_order()
    assert vm.confirm_cancel and vm.cancel.label == "Tap again to cancel the order"
    vm.keep_order()
    assert vm.detail.order is not None and vm.detail.order.status is OrderStatus.ON_HOLD
    assert not await vm.cancel_order()

    assert await vm.cancel_order()

    order = vm.detail.order
    assert order is not None and order.status is OrderStatus.CANCELLED
    assert vm.visible and not vm.active  # the card stays to say what happened
    await synced(workspace)
    server_order = server_detail(tenant, order_id)["order"]
    assert isinstance(server_order, dict)
    assert (server_order["status"], server_order["cancel_reason"]) == ("cancelled", "out_of_stock")


async def test_refunding_the_only_item_left_is_disabled_with_the_reason(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    order_id = await short_tote(
        workspace, tenant, lines=[{"sku": "TOTE-2", "quantity": 1, "unit_price_minor": 2500}]
    )
    vm = await card(workspace, session, order_id)
    [line] = vm.lines
    assert not line.remove.enabled
    assert line.remove.reason == "This is the only item left: cancel the order instead."
    assert not await vm.refund_line(line.id)
    assert vm.error == "This is the only item left: cancel the order instead."
    assert vm.cancel.enabled
