"""GET /api/sync/pull over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import msgspec

from shared.sync import MAX_PULL_LIMIT, PullResponse
from tests.support import Tenant
from tests.sync.calls import mutation, new_order, pull, pull_all, push


def _paid(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def test_a_first_sync_brings_open_work_first_soonest_ship_by_first(tenant: Tenant) -> None:
    # Paid earlier means due earlier; the two cancelled ones are history.
    late = new_order(tenant, paid_at=_paid(6))
    soon = new_order(tenant, paid_at=_paid(3))
    later = new_order(tenant, paid_at=_paid(1))
    unpaid = new_order(tenant, payment_status="pending")
    gone = [new_order(tenant, paid_at=_paid(9)), new_order(tenant, paid_at=_paid(8))]
    with tenant.client("owner") as client:
        for order_id in gone:
            push(client, mutation(order_id, "cancel", device="desk"), device="desk")
        changes, _ = pull_all(client, limit=2)
    ids = [ch["order"]["id"] for ch in changes]
    assert ids[:4] == [late, soon, later, unpaid]  # no ship-by yet (unpaid): last of open
    assert sorted(ids[4:]) == sorted(gone)
    assert len(ids) == len(set(ids)) == 6


def test_asking_again_with_the_same_cursor_gives_the_same_page(tenant: Tenant) -> None:
    for _ in range(5):
        new_order(tenant)
    with tenant.client("staff") as client:
        first = pull(client, limit=2)
        second = pull(client, first["cursor"], limit=2)
        again = pull(client, first["cursor"], limit=2)  # the connection dropped: retry
    assert second["changes"] == again["changes"]
    assert second["cursor"] == again["cursor"]
    assert {c["order"]["id"] for c in first["changes"]}.isdisjoint(
        {c["order"]["id"] for c in second["changes"]}
    )


def test_pages_say_has_more_until_caught_up_then_only_new_changes_come(tenant: Tenant) -> None:
    ids = [new_order(tenant) for _ in range(3)]
    with tenant.client("staff") as client:
        page = pull(client, limit=2)
        assert page["has_more"] is True and len(page["changes"]) == 2
        changes, cursor = pull_all(client, page["cursor"], limit=2)
        assert {c["order"]["id"] for c in page["changes"] + changes} == set(ids)
        quiet = pull(client, cursor)
        assert quiet["changes"] == [] and quiet["has_more"] is False
        # A change through the REST API and one through intake both reach the feed.
        r = client.post(f"/api/orders/{ids[1]}/actions", json={"action": "start_processing"})
        assert r.status_code == 200, r.text
        fresh = new_order(tenant)
        live = pull(client, quiet["cursor"])
    got = [(c["order"]["id"], c["order"]["status"]) for c in live["changes"]]
    assert got == [(ids[1], "processing"), (fresh, "new")]
    assert live["changes"][0]["order"]["version"] < live["changes"][1]["order"]["version"]


def test_a_note_added_on_another_device_is_pulled_with_its_order(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        _, cursor = pull_all(client)
        push(
            client,
            mutation(order_id, "add_note", note_id="n-1", kind="team_message", text="fragile"),
        )
        changes, _ = pull_all(client, cursor)
    assert [n["text"] for n in changes[0]["notes"]] == ["fragile"]


def test_messagepack_pull_decodes_into_the_wire_types(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        r = client.get("/api/sync/pull", headers={"Accept": "application/msgpack"})
        as_json = pull(client)
    assert r.status_code == 200
    page = msgspec.msgpack.decode(r.content, type=PullResponse)
    assert [ch.order.id for ch in page.changes] == [order_id]
    assert page.changes[0].order.version == as_json["changes"][0]["order"]["version"] > 0
    assert msgspec.to_builtins(page.changes[0].order) == as_json["changes"][0]["order"]


def test_a_damaged_or_foreign_cursor_is_a_400(tenant: Tenant, other_tenant: Tenant) -> None:
    new_order(other_tenant)
    with other_tenant.client("staff") as client:
        foreign = pull(client)["cursor"]
    with tenant.client("staff") as client:
        # well formed, ours, but with a ship-by time that has no timezone
        body = [tenant.vendor_id[:8], "open", 1, "2026-03-02T10:00:00", "x", 0]
        naive = "c1." + base64.urlsafe_b64encode(msgspec.json.encode(body)).decode()
        for cursor in ["garbage", "c1.!!!", "c1." + "A" * 40, foreign, naive]:
            r = client.get("/api/sync/pull", params={"cursor": cursor})
            assert r.status_code == 400, cursor
            assert r.json()["detail"].startswith("cursor:")
        too_many = client.get("/api/sync/pull", params={"limit": MAX_PULL_LIMIT + 1})
        assert too_many.status_code == 400
        assert "limit" in too_many.text


def test_pull_needs_a_signed_in_user(tenant: Tenant) -> None:
    import httpx

    assert httpx.get(f"{tenant.base_url}/api/sync/pull").status_code == 401
