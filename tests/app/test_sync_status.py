"""The sync bar, the sync panel's conflicts, the sign-out guard, and where stores live."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile.session import Session
from mobile.storage import safe_name, served_store_dir, store_path
from mobile.store import actions
from mobile.viewmodels.issues import IssueKind
from mobile.viewmodels.sync import SyncViewModel
from mobile.workspace import Workspace
from shared.types import NoteKind
from tests.app.conftest import WorkspaceFactory
from tests.app.test_orders_list import add_order, synced
from tests.builders import UPS_TRACKING
from tests.support import Tenant, free_port


async def test_the_bar_says_online_waiting_and_when_it_last_synced(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    vm = SyncViewModel(workspace, session.calendar)
    assert vm.summary == "Online · All synced · Never synced"
    await synced(workspace)
    assert vm.online_text == "Online" and vm.pending_text == "All synced"
    assert vm.last_synced_text.startswith("Synced ")
    workspace.act(actions.start_processing, made["order_id"])
    assert vm.pending_text == "1 waiting to sync"  # told at once, no reload needed
    assert vm.summary.startswith("Online · 1 waiting to sync · Synced ")
    await synced(workspace)
    assert vm.pending_text == "All synced" and vm.error == ""


async def test_the_bar_says_offline_when_the_server_cannot_be_reached(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    made = add_order(tenant)
    await synced(open_workspace())
    offline = open_workspace(url=f"http://127.0.0.1:{free_port()}")
    vm = SyncViewModel(offline, session.calendar)
    offline.act(actions.start_processing, made["order_id"])
    await offline.sync_and_wait()
    assert vm.online_text == "Offline" and not vm.online
    assert vm.pending_text == "1 waiting to sync"
    assert vm.error == "The server cannot be reached: your work is kept on this device."


async def test_a_conflict_is_listed_with_what_happened_and_what_to_do(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    order_id = tenant.order("ready_to_ship")
    await synced(workspace)
    vm = SyncViewModel(workspace, session.calendar)
    workspace.act(actions.print_label, order_id, "UPS", "", UPS_TRACKING)
    workspace.act(actions.attach_label, order_id)
    workspace.act(actions.mark_shipped, order_id, "UPS", UPS_TRACKING)
    # The package left on this device while someone cancelled the order on the server.
    assert tenant.act(order_id, {"action": "cancel"}).status_code == 200
    await synced(workspace)

    conflicts = [i for i in vm.issues if i.kind is IssueKind.CONFLICT]
    assert len(conflicts) == 1, vm.issues
    conflict = conflicts[0]
    assert conflict.title.startswith("Shipped and cancelled at once on order ")
    assert conflict.what_happened.endswith(".")
    assert conflict.next_step.startswith("The package may already be with the carrier")
    vm.dismiss(conflict)
    assert conflict not in vm.issues
    assert workspace.store.conflicts(include_dismissed=True)


async def test_sign_out_with_nothing_waiting_goes_ahead(
    session: Session, workspace: Workspace
) -> None:
    vm = SyncViewModel(workspace, session.calendar)
    assert vm.ask_sign_out()
    assert not vm.confirming_sign_out


async def test_sign_out_with_changes_waiting_asks_and_sync_now_sends_them_first(
    tenant: Tenant, session: Session, workspace: Workspace
) -> None:
    made = add_order(tenant)
    await synced(workspace)
    vm = SyncViewModel(workspace, session.calendar)
    workspace.act(actions.start_processing, made["order_id"])
    assert not vm.ask_sign_out()
    assert vm.confirming_sign_out
    assert vm.sign_out_message.startswith("1 change made on this device is still waiting")
    assert await vm.sync_then_sign_out()
    assert workspace.store.pending_count() == 0
    assert tenant.get(f"/api/orders/{made['order_id']}").json()["order"]["status"] == "processing"


async def test_signing_out_anyway_keeps_the_changes_for_the_next_sign_in_here(
    tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    made = add_order(tenant)
    await synced(open_workspace())
    offline = open_workspace(url=f"http://127.0.0.1:{free_port()}")
    vm = SyncViewModel(offline, session.calendar)
    offline.act(actions.start_processing, made["order_id"])
    offline.act(actions.add_note, made["order_id"], NoteKind.TEAM_MESSAGE, "Ask Sam")
    assert not vm.ask_sign_out()
    assert vm.sign_out_message.startswith("2 changes made on this device are still waiting")
    assert not await vm.sync_then_sign_out()  # the server cannot be reached
    assert vm.confirming_sign_out
    assert "could not be sent" in vm.sign_out_message
    await offline.close()  # "Sign out anyway": the store file stays, with its outbox

    again = open_workspace()  # the same person signs in on the same device
    assert again.store.pending_count() == 2
    await synced(again)
    assert again.store.pending_count() == 0
    server = tenant.get(f"/api/orders/{made['order_id']}").json()
    assert server["order"]["status"] == "processing"
    assert [n["text"] for n in server["notes"]] == ["Ask Sam"]


def test_each_person_on_each_device_has_a_store_file_of_their_own(tmp_path: Path) -> None:
    first = store_path(tmp_path, "app-1", "user-a")
    assert first == tmp_path / "app-1" / "user-a.sqlite" and first.parent.is_dir()
    assert store_path(tmp_path, "app-1", "user-b") != first
    assert store_path(tmp_path, "app-2", "user-a") != first
    # Ids come from the client's storage: they can never point outside the folder.
    escaped = store_path(tmp_path, "../../etc", "a/b")
    assert escaped.resolve().is_relative_to(tmp_path.resolve())
    with pytest.raises(ValueError):
        safe_name("..")


def test_served_stores_live_under_the_configured_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHIPFLOOR_DEVICE_DIR", raising=False)
    monkeypatch.delenv("SHIPFLOOR_DATA_DIR", raising=False)
    assert served_store_dir() == Path("var") / "devices"
    monkeypatch.setenv("SHIPFLOOR_DATA_DIR", "/srv/shipfloor")
    assert served_store_dir() == Path("/srv/shipfloor/devices")
    monkeypatch.setenv("SHIPFLOOR_DEVICE_DIR", "/data/devices")
    assert served_store_dir() == Path("/data/devices")
