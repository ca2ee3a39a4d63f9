"""POST /api/sync/push over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import msgspec

from shared.sync import MAX_PUSH_BATCH, PushResponse
from tests.support import Tenant
from tests.sync.calls import (
    TRACKING_A,
    TRACKING_B,
    mutation,
    new_order,
    order_of,
    pull_all,
    push,
    walk_to_ready,
)


def test_each_mutation_gets_its_own_result_in_the_order_sent(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        line = order_of(client, order_id)["order"]["lines"][0]
        results = push(
            client,
            mutation(order_id, "start_processing"),
            mutation(order_id, "start_processing"),
            mutation(order_id, "pick", line_id=line["id"], quantity=line["quantity"] + 1),
            mutation(order_id, "ship", carrier="demo", tracking_number=TRACKING_A),
            mutation(order_id, "pick", line_id="no-such-line"),
        )
    assert [r["status"] for r in results] == ["applied", "merged", "merged", "merged", "rejected"]
    assert results[1]["code"] == "already_done"
    assert results[2]["code"] == "over_pick"
    assert results[4]["code"] == "unknown_line"
    assert "no-such-line" in results[4]["message"]
    assert results[0]["version"] == results[2]["version"] > 0  # one new version per batch


def test_a_retried_batch_gets_the_recorded_results_and_changes_nothing(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        line = order_of(client, order_id)["order"]["lines"][0]
        batch = [
            mutation(order_id, "start_processing"),
            mutation(order_id, "pick", line_id=line["id"]),
            mutation(order_id, "add_note", kind="team_message", text="mind the handle"),
        ]
        first = push(client, *batch)
        after_first = order_of(client, order_id)
        again = push(client, *batch)  # the response was lost: the device sends it again
        after_again = order_of(client, order_id)
    assert again == first
    assert after_again["order"] == after_first["order"]
    assert after_again["order"]["lines"][0]["picked"] == 1
    assert len(after_again["notes"]) == 1
    assert len(after_again["timeline"]) == len(after_first["timeline"])


def test_a_mutation_id_repeated_in_one_batch_is_answered_from_the_first(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        push(client, mutation(order_id, "start_processing"))
        line = order_of(client, order_id)["order"]["lines"][0]
        scan = mutation(order_id, "pick", mid="scan-1", line_id=line["id"])
        results = push(client, scan, scan)
        assert results[0] == results[1]
        assert order_of(client, order_id)["order"]["lines"][0]["picked"] == 1


def test_the_timeline_names_the_signed_in_user_and_the_device(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        claimed = mutation(order_id, "start_processing", device="phone-7")
        claimed["user_id"] = "somebody-else"
        push(client, claimed, device="phone-7")
        entry = order_of(client, order_id)["timeline"][-2]  # start, then the status change
        me = client.get("/api/me").json()
    assert entry["kind"] == "start_processing"
    assert entry["source"] == "device"
    assert entry["device_id"] == "phone-7"
    assert entry["actor_id"] == me["user"]["id"]
    assert entry["actor_id"] != "somebody-else"


def test_ship_after_cancel_is_taken_and_the_conflict_is_recorded_and_pulled(
    tenant: Tenant,
) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as picker, tenant.client("owner") as seller:
        walk_to_ready(picker, order_id)
        push(
            picker,
            mutation(order_id, "print_label"),
            mutation(order_id, "attach_label"),
        )
        # The seller cancels on the dashboard's device while the picker hands the parcel over.
        cancelled = push(seller, mutation(order_id, "cancel", device="desk"), device="desk")
        shipped = push(
            picker, mutation(order_id, "ship", carrier="demo", tracking_number=TRACKING_A)
        )
        detail = order_of(seller, order_id)
        changes, _ = pull_all(seller)
    assert cancelled[0]["status"] == "applied"
    assert shipped[0]["status"] == "merged"
    assert shipped[0]["code"] == "ship_vs_cancel"
    assert detail["order"]["status"] == "shipped"
    assert [k["kind"] for k in detail["conflicts"]] == ["ship_vs_cancel"]
    assert detail["conflicts"][0]["device_id"] == "dev-a"
    pulled = next(ch for ch in changes if ch["order"]["id"] == order_id)
    assert [k["kind"] for k in pulled["conflicts"]] == ["ship_vs_cancel"]
    assert any(e["kind"] == "conflict" for e in detail["timeline"])


def test_a_settled_conflict_leaves_the_order_and_the_feed(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("owner") as client:
        walk_to_ready(client, order_id)
        push(
            client,
            mutation(order_id, "print_label"),
            mutation(order_id, "attach_label"),
            mutation(order_id, "ship", carrier="demo", tracking_number=TRACKING_A),
        )
        _, cursor = pull_all(client)
        push(client, mutation(order_id, "cancel", device="desk"), device="desk")
        conflict = order_of(client, order_id)["conflicts"][0]
        r = client.post(
            f"/api/sync/conflicts/{conflict['id']}/resolve", json={"note": "return arranged"}
        )
        assert r.status_code == 200, r.text
        detail = order_of(client, order_id)
        changes, _ = pull_all(client, cursor)
        again = client.post(f"/api/sync/conflicts/{conflict['id']}/resolve", json={})
        missing = client.post("/api/sync/conflicts/nope/resolve", json={})
    assert detail["conflicts"] == []
    assert detail["timeline"][-1]["kind"] == "conflict_resolved"
    assert [ch["conflicts"] for ch in changes if ch["order"]["id"] == order_id][-1] == []
    assert again.status_code == 200
    assert missing.status_code == 404


def test_a_second_tracking_number_is_rejected_and_recorded(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        walk_to_ready(client, order_id)
        push(client, mutation(order_id, "print_label"), mutation(order_id, "attach_label"))
        results = push(
            client,
            mutation(order_id, "ship", device="dev-a", carrier="demo", tracking_number=TRACKING_A),
            mutation(order_id, "ship", device="dev-a", carrier="demo", tracking_number=TRACKING_B),
        )
        detail = order_of(client, order_id)
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["code"] == "tracking_mismatch"
    assert detail["order"]["tracking_number"] == TRACKING_A
    assert [k["kind"] for k in detail["conflicts"]] == ["tracking_mismatch"]


def test_shipping_takes_the_units_off_the_shelf(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("owner") as client:
        before = client.get("/api/inventory/MUG-1").json()
        walk_to_ready(client, order_id)
        push(
            client,
            mutation(order_id, "print_label"),
            mutation(order_id, "attach_label"),
            mutation(order_id, "ship", carrier="demo", tracking_number=TRACKING_A),
        )
        after = client.get("/api/inventory/MUG-1").json()
    assert after["on_hand"] == before["on_hand"] - 2
    assert after["reserved"] == before["reserved"] - 2


def test_another_vendors_order_is_rejected_as_not_found(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = new_order(other_tenant)
    with tenant.client("staff") as client:
        results = push(client, mutation(theirs, "start_processing"))
    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "not_found"
    with other_tenant.client("owner") as client:
        assert order_of(client, theirs)["order"]["status"] == "new"


def test_messagepack_in_and_out(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    body = {"device_id": "dev-a", "mutations": [mutation(order_id, "start_processing")]}
    with tenant.client("staff") as client:
        r = client.post(
            "/api/sync/push",
            content=msgspec.msgpack.encode(body),
            headers={"Content-Type": "application/msgpack", "Accept": "application/msgpack"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/msgpack")
    assert r.headers["server-timing"].startswith("app;dur=")
    result = msgspec.msgpack.decode(r.content, type=PushResponse)
    assert result.results[0].status == "applied"


# ---------------------------------------------------------------- bad input


def _post(
    client: httpx.Client, body: object, content_type: str = "application/json"
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return client.post("/api/sync/push", content=raw, headers={"Content-Type": content_type})


def test_wrong_types_are_a_400_naming_the_field(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    bad = mutation(order_id, "pick", line_id="x", quantity="many")
    with tenant.client("staff") as client:
        r = _post(client, {"device_id": "dev-a", "mutations": [bad]})
    assert r.status_code == 400
    assert "$.mutations[0].command.quantity" in r.json()["detail"]


def test_a_time_without_a_timezone_is_a_400_naming_the_field(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    naive = mutation(order_id, "start_processing")
    naive["client_time"] = "2026-03-02T14:00:00"
    note = mutation(order_id, "add_note", kind="follow_up", text="x", due_at="2026-03-03T09:00")
    with tenant.client("staff") as client:
        first = _post(client, {"device_id": "dev-a", "mutations": [naive]})
        second = _post(client, {"device_id": "dev-a", "mutations": [note]})
    assert first.status_code == 400
    assert "$.mutations[0].client_time" in first.json()["detail"]
    assert second.status_code == 400
    assert "$.mutations[0].command.due_at" in second.json()["detail"]


def test_an_unknown_mutation_kind_is_a_400(tenant: Tenant) -> None:
    with tenant.client("staff") as client:
        r = _post(client, {"device_id": "d", "mutations": [mutation("o", "teleport")]})
    assert r.status_code == 400
    assert "teleport" in r.json()["detail"]


def test_a_batch_over_the_limit_is_refused_whole(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    many = [mutation(order_id, "add_note", kind="team_message", text="x")] * (MAX_PUSH_BATCH + 1)
    with tenant.client("staff") as client:
        r = _post(client, {"device_id": "dev-a", "mutations": many})
        notes = order_of(client, order_id)["notes"]
    assert r.status_code == 400
    assert f"length <= {MAX_PUSH_BATCH}" in r.json()["detail"]
    assert notes == []


def test_a_body_that_is_not_json_or_another_type_is_refused(tenant: Tenant) -> None:
    with tenant.client("staff") as client:
        garbled = _post(client, b"{not json")
        xml = _post(client, b"<push/>", "application/xml")
        packed_garbage = _post(client, b"\xc1\xc1", "application/x-msgpack")
    assert garbled.status_code == 400
    assert "not valid JSON" in garbled.json()["detail"]
    assert xml.status_code == 415
    assert packed_garbage.status_code == 400


def test_a_mutation_of_another_device_in_the_batch_is_a_400_and_nothing_is_written(
    tenant: Tenant,
) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        r = _post(
            client,
            {
                "device_id": "dev-a",
                "mutations": [
                    mutation(order_id, "start_processing", device="dev-a"),
                    mutation(order_id, "hold", device="dev-b"),
                ],
            },
        )
        status = order_of(client, order_id)["order"]["status"]
    assert r.status_code == 400
    assert "mutations[1].device_id" in r.json()["detail"]
    assert status == "new"


def test_push_needs_a_signed_in_user(tenant: Tenant) -> None:
    r = httpx.post(f"{tenant.base_url}/api/sync/push", json={"device_id": "d", "mutations": []})
    assert r.status_code == 401


def test_a_body_over_the_size_limit_is_a_413(tenant: Tenant) -> None:
    with tenant.client("staff") as client:
        r = _post(client, b"[" + b" " * (3 * 1024 * 1024) + b"]")
    assert r.status_code == 413


def test_two_vendors_devices_with_the_same_ids_each_get_their_own_conflict(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # Device and mutation ids are the client's choice: another vendor's device may reuse
    # them. The conflict each push records must not clash with the other vendor's.
    results = []
    for who in (tenant, other_tenant):
        order_id = new_order(who)
        with who.client("staff") as client:
            walk_to_ready(client, order_id)
            push(client, mutation(order_id, "print_label"), mutation(order_id, "attach_label"))
            results += push(
                client,
                mutation(
                    order_id, "ship", mid="same-id-1", carrier="demo", tracking_number=TRACKING_A
                ),
                mutation(
                    order_id, "ship", mid="same-id-2", carrier="demo", tracking_number=TRACKING_B
                ),
            )
            detail = order_of(client, order_id)
            assert [k["kind"] for k in detail["conflicts"]] == ["tracking_mismatch"]
    assert [r["status"] for r in results] == ["applied", "rejected"] * 2
