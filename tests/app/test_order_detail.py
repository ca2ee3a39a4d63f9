"""One order from the device store: what it shows, steps recorded here, and how it follows
the server (pulled changes, refused steps, conflicts)."""

from __future__ import annotations

from mobile.session import Session
from mobile.store import actions
from mobile.viewmodels.issues import IssueKind
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.workspace import Workspace
from shared.types import NoteKind
from tests.app.test_orders_list import add_order, customer, synced
from tests.support import Tenant


async def test_the_order_screen_shows_items_address_and_why_steps_wait(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant, customer=customer("Casey Jones"))
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])
    assert vm.error is None and vm.title == f"Order {made['number']}"
    assert vm.status_label == "New"
    assert vm.customer[0] == "Casey Jones"
    assert vm.address == ["Casey Customer", "12 Elm St", "Springfield IL 62701", "US"]
    assert vm.address_problems == []
    assert [(ln.sku, ln.progress) for ln in vm.lines] == [
        ("MUG-1", "0 / 2 picked"),
        ("TOTE-2", "0 / 1 picked"),
    ]
    actions_now = {a.action: a for a in vm.actions}
    assert actions_now["start_processing"].enabled
    assert "inspect" not in actions_now  # a step of a later stage: not shown yet
    assert "add_note" not in actions_now
    assert vm.pending == 0 and vm.pending_text == ""


async def test_a_step_is_recorded_here_at_once_and_synced_after(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])

    assert await vm.run("start_processing")
    assert vm.status_label == "Processing"  # shown at once, before any network
    assert vm.message == "Start processing: done."
    assert vm.pending_text == "1 change waiting to sync"
    actions_now = {a.action: a for a in vm.actions}
    assert "start_processing" not in actions_now
    assert actions_now["pick"].allowed and not actions_now["pick"].one_tap  # the pick step's
    assert not actions_now["inspect"].allowed
    assert actions_now["inspect"].reason == "Pick every item first (3 still to pick)."
    assert tenant.get(f"/api/orders/{made['order_id']}").json()["order"]["status"] == "new"

    await synced(workspace)
    assert vm.pending == 0 and vm.status_label == "Processing"
    assert tenant.get(f"/api/orders/{made['order_id']}").json()["order"]["status"] == "processing"


async def test_a_step_the_lifecycle_refuses_says_why_and_records_nothing(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])
    assert not await vm.run("inspect")
    assert vm.message == "Cannot inspect: the order is New; this needs Processing."
    assert workspace.store.pending_count() == 0
    assert not await vm.run("no_such_action")


async def test_the_open_order_follows_changes_pulled_from_the_server(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])
    redraws: list[str] = []
    vm.subscribe(lambda: redraws.append(vm.status_label))
    assert tenant.act(made["order_id"], {"action": "start_processing"}).status_code == 200
    r = tenant.act(
        made["order_id"], {"action": "add_note", "kind": "team_message", "text": "Gift wrap"}
    )
    assert r.status_code == 200, r.text
    await synced(workspace)
    assert vm.status_label == "Processing" and "Processing" in redraws
    assert [(n.text, n.pending) for n in vm.notes] == [("Gift wrap", False)]


async def test_a_note_added_offline_shows_as_waiting_until_synced(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])
    workspace.act(actions.add_note, made["order_id"], NoteKind.PACKAGING_INSTRUCTION, "Bubble wrap")
    assert [(n.text, n.kind, n.pending) for n in vm.notes] == [
        ("Bubble wrap", "Packaging instruction", True)
    ]
    await synced(workspace)
    assert [(n.text, n.pending) for n in vm.notes] == [("Bubble wrap", False)]


async def test_a_step_the_server_refuses_is_shown_with_what_to_do_until_dismissed(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    detail = OrderDetailViewModel(workspace, session.calendar)
    sync = SyncViewModel(workspace, session.calendar)
    await detail.load(made["order_id"])
    assert await detail.run("start_processing")
    # Meanwhile another device cancels the order on the server.
    assert tenant.act(made["order_id"], {"action": "cancel"}).status_code == 200
    await synced(workspace)

    assert detail.status_label == "Cancelled"  # the server's state, the refused step gone
    assert detail.pending == 0
    [issue] = sync.issues
    assert issue.kind is IssueKind.REJECTED and issue.order_id == made["order_id"]
    assert issue.title == f"Start processing on order {made['number']} was not accepted"
    assert issue.what_happened.endswith(".") and "Cancelled" in issue.what_happened
    assert issue.next_step == "The order moved on elsewhere: open it to see where it stands now."
    assert detail.issues == [issue]  # the order screen shows it too
    assert "1 problem" in sync.summary

    sync.dismiss(issue)
    assert sync.issues == [] and "problem" not in sync.summary
    assert detail.issues == []
    # Kept on file, just not shown.
    assert len(workspace.store.rejected(include_dismissed=True)) == 1


async def test_an_order_not_on_this_device_says_so(session: Session, workspace: Workspace) -> None:
    await synced(workspace)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load("no-such-order")
    assert vm.order is None and not vm.loading
    assert vm.error is not None and vm.error.startswith("This order is not on this device")


async def test_a_deep_link_opened_during_the_first_sync_lands_when_the_order_arrives(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    vm = OrderDetailViewModel(workspace, session.calendar)
    await vm.load(made["order_id"])
    assert vm.order is None and vm.loading and vm.error is None  # still downloading
    await synced(workspace)
    assert vm.order is not None and vm.order.id == made["order_id"] and not vm.loading
