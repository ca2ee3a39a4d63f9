"""The orders API: list, search, sort, pages, counts, detail, actions, bulk, notes, stock, CSV."""

from __future__ import annotations

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from server.orders.export import COLUMNS
from server.orders.store import FAR_FUTURE
from shared.deadlines import Calendar, ship_by
from tests.builders import UPS_TRACKING
from tests.support import (
    ServerThread,
    Tenant,
    db_value,
    intake_order,
    make_tenant,
)

NEW_YORK = Calendar("America/New_York", "US")


def ids(page: dict[str, Any]) -> list[str]:
    """The order ids of a list page."""
    return [item["id"] for item in page["items"]]


def listing(tenant: Tenant, **params: Any) -> dict[str, Any]:
    """GET /api/orders with these query parameters (200 expected)."""
    r = tenant.get("/api/orders", **params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def detail(tenant: Tenant, order_id: str) -> dict[str, Any]:
    """GET /api/orders/{id} (200 expected)."""
    r = tenant.get(f"/api/orders/{order_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def stock(tenant: Tenant, sku: str) -> tuple[int, int]:
    """(on hand, reserved) of a SKU."""
    item = tenant.get(f"/api/inventory/{sku}").json()
    return item["on_hand"], item["reserved"]


def ts(text: str) -> datetime:
    """A timestamp from the API."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------ list: filter and search


def test_the_list_filters_by_one_or_several_statuses(tenant: Tenant) -> None:
    made = {status: tenant.order(status) for status in ("new", "processing", "on_hold")}
    assert ids(listing(tenant, status="processing")) == [made["processing"]]
    both = listing(tenant, status=["new", "on_hold"])
    assert sorted(ids(both)) == sorted([made["new"], made["on_hold"]])
    assert len(ids(listing(tenant))) == 3
    assert ids(listing(tenant, status="delivered")) == []


@pytest.fixture(scope="module")
def searchable(api: ServerThread, database_url: str) -> tuple[Tenant, dict[str, str]]:
    """A vendor whose order numbers and customer names exercise the search (read only)."""
    tenant = make_tenant(api.url, database_url, settings=api.settings)
    people = {
        "AB-1001": "Zoë Ångström",
        "AB-2002": "Bob Builder",
        "A_1": "100% Wool Co",
        "AX1": "100 Wool",
        "CD-3003": "Back\\Slash Ltd",
    }
    return tenant, {
        number: tenant.order(number=number, customer={"name": name})
        for number, name in people.items()
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ab-1001", ["AB-1001"]),
        ("ab-", ["AB-1001", "AB-2002"]),
        ("2002", ["AB-2002"]),
        ("  BUILDER ", ["AB-2002"]),
        ("ild", ["AB-2002"]),
        ("ZOË ÅNG", ["AB-1001"]),
        ("100%", ["A_1"]),
        ("%", ["A_1"]),
        ("a_1", ["A_1"]),
        ("_", ["A_1"]),
        ("wool", ["A_1", "AX1"]),
        ("back\\s", ["CD-3003"]),
        ("\\", ["CD-3003"]),
        ("nobody", []),
    ],
)
def test_search_finds_any_part_of_the_number_or_customer_in_any_case_wildcards_literal(
    searchable: tuple[Tenant, dict[str, str]], q: str, expected: list[str]
) -> None:
    tenant, orders = searchable
    found = ids(listing(tenant, q=q))
    assert sorted(found) == sorted(orders[n] for n in expected)


def test_search_and_status_filter_combine(tenant: Tenant) -> None:
    new = tenant.order(number="Q-1")
    tenant.order("processing", number="Q-2")
    assert ids(listing(tenant, q="q-", status="new")) == [new]


# ------------------------------------------------------------------ list: sort and keyset pages

PLACED = [
    # number, placed_at, paid_at (None = payment pending)
    ("P-0005", "2026-11-02T10:00:00+00:00", "2026-11-02T10:00:00+00:00"),
    ("p-0001", "2026-11-02T10:00:00+00:00", "2026-11-02T11:00:00+00:00"),
    ("P-0003", "2026-11-03T09:00:00+00:00", "2026-11-03T09:00:00+00:00"),
    ("P-0002", "2026-11-03T09:00:00+00:00", None),
    ("P-0007", "2026-11-04T12:00:00+00:00", None),
    ("P-0004", "2026-11-01T08:00:00+00:00", "2026-11-03T15:00:00+00:00"),
    ("P-0006", "2026-11-05T12:00:00+00:00", "2026-11-05T12:00:00+00:00"),
]


@pytest.fixture(scope="module")
def sorted_vendor(api: ServerThread, database_url: str) -> tuple[Tenant, list[dict[str, Any]]]:
    """A vendor with seven orders: ties on ship-by and on creation time, two unpaid.

    Shared by the sort and page tests of a module, which only read.
    """
    tenant = make_tenant(api.url, database_url, settings=api.settings)
    made = []
    for number, placed_at, paid_at in PLACED:
        extra: dict[str, Any] = {"number": number, "placed_at": placed_at}
        extra["payment_status"] = "paid" if paid_at else "pending"
        if paid_at:
            extra["paid_at"] = paid_at
        order_id = tenant.order(**extra)
        due = ship_by(datetime.fromisoformat(paid_at), NEW_YORK) if paid_at else FAR_FUTURE
        made.append(
            {
                "id": order_id,
                "number": number.lower(),
                "created_at": datetime.fromisoformat(placed_at),
                "ship_by": due,
            }
        )
    return tenant, made


SORTS = [("ship_by", "ship_by"), ("created_at", "created_at"), ("number", "number")]


@pytest.mark.parametrize(("sort", "field"), SORTS)
@pytest.mark.parametrize("desc", [False, True])
def test_each_sort_orders_by_its_key_then_id(
    sorted_vendor: tuple[Tenant, list[dict[str, Any]]], sort: str, field: str, desc: bool
) -> None:
    tenant, placed = sorted_vendor
    expected = sorted(placed, key=lambda o: (o[field], o["id"]), reverse=desc)
    page = listing(tenant, sort=sort, desc=str(desc).lower(), limit=50)
    assert ids(page) == [o["id"] for o in expected]
    assert page["next_cursor"] is None


@pytest.mark.parametrize(("sort", "field"), SORTS)
@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_keyset_pages_walk_every_order_once_without_gaps(
    sorted_vendor: tuple[Tenant, list[dict[str, Any]]],
    sort: str,
    field: str,
    desc: bool,
    limit: int,
) -> None:
    tenant, placed = sorted_vendor
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(placed) + 1):
        params: dict[str, Any] = {"sort": sort, "desc": str(desc).lower(), "limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = listing(tenant, **params)
        assert len(page["items"]) <= limit
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = sorted(placed, key=lambda o: (o[field], o["id"]), reverse=desc)
    assert seen == [o["id"] for o in expected]


def test_the_default_sort_puts_the_soonest_deadline_first_and_unpaid_orders_last(
    sorted_vendor: tuple[Tenant, list[dict[str, Any]]],
) -> None:
    tenant, _ = sorted_vendor
    items = listing(tenant)["items"]
    assert [i["ship_by"] is None for i in items] == [False] * 5 + [True] * 2
    deadlines = [ts(i["ship_by"]) for i in items[:5]]
    assert deadlines == sorted(deadlines)


def test_a_page_beyond_the_last_order_is_empty(tenant: Tenant) -> None:
    tenant.order()
    tenant.order()
    first = listing(tenant, limit=1)
    second = listing(tenant, limit=1, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    assert len(second["items"]) == 1
    assert ids(first) != ids(second)


def test_a_list_row_carries_what_the_list_screen_shows(tenant: Tenant) -> None:
    order_id = tenant.order("shipped", number="ROW-1", customer={"name": "Row Person"})
    (row,) = listing(tenant)["items"]
    assert row["id"] == order_id
    assert (row["number"], row["status"], row["customer_name"]) == (
        "ROW-1",
        "shipped",
        "Row Person",
    )
    assert (row["item_count"], row["total_minor"], row["currency"]) == (3, 5999, "USD")
    assert (row["carrier"], row["tracking_number"]) == ("ups", UPS_TRACKING)
    assert row["version"] > 0


# ------------------------------------------------------------------ counts


def test_counts_give_every_status_and_the_total_under_the_search(tenant: Tenant) -> None:
    for status in ("new", "new", "processing", "cancelled"):
        tenant.order(status)
    tenant.order(number="ZZ-1")
    counts = tenant.get("/api/orders/counts").json()
    assert counts["counts"] == {
        "new": 3,
        "processing": 1,
        "ready_to_ship": 0,
        "shipped": 0,
        "delivered": 0,
        "on_hold": 0,
        "cancelled": 1,
    }
    assert counts["total"] == 5
    searched = tenant.get("/api/orders/counts", q="zz-").json()
    assert (searched["counts"]["new"], searched["total"]) == (1, 1)


# ------------------------------------------------------------------ detail and timeline


def test_the_detail_has_lines_notes_timeline_and_allowed_actions(tenant: Tenant) -> None:
    order_id = tenant.order()
    tenant.act(order_id, {"action": "start_processing"}, role="staff", device="scanner-7")
    tenant.act(order_id, {"action": "pick", "code": "MUG-1"}, role="staff", device="scanner-7")
    with tenant.client() as c:
        c.post(f"/api/orders/{order_id}/notes", json={"kind": "team_message", "text": "Gift wrap"})
    shown = detail(tenant, order_id)
    assert [(ln["sku"], ln["quantity"], ln["picked"]) for ln in shown["order"]["lines"]] == [
        ("MUG-1", 2, 1),
        ("TOTE-2", 1, 0),
    ]
    assert shown["order"]["lines"][0]["bin_location"] == "A-01-1"  # copied from inventory
    assert [n["text"] for n in shown["notes"]] == ["Gift wrap"]
    steps = [(e["kind"], e["actor_name"], e["device_id"]) for e in shown["timeline"]][-5:]
    assert steps == [
        ("verify_availability", "testmarket", ""),
        ("start_processing", "Sid Staff", "scanner-7"),
        ("status_changed", "Sid Staff", "scanner-7"),
        ("pick", "Sid Staff", "scanner-7"),
        ("add_note", "Olive Owner", ""),
    ]
    pick = shown["timeline"][-2]
    assert pick["detail"]["sku"] == "MUG-1"
    assert pick["source"] == "app"
    assert abs((ts(pick["at"]) - datetime.now(UTC)).total_seconds()) < 60
    actions = {a["action"]: a for a in shown["actions"]}
    assert actions["pick"]["allowed"] is True
    assert (actions["inspect"]["allowed"], actions["inspect"]["code"]) == (False, "not_picked")


def test_a_long_device_id_is_cut_to_64_characters_on_the_timeline(tenant: Tenant) -> None:
    order_id = tenant.order()
    assert tenant.act(order_id, {"action": "print_slip"}, device="d" * 100).status_code == 200
    assert detail(tenant, order_id)["timeline"][-1]["device_id"] == "d" * 64


def test_an_unknown_order_is_not_found(tenant: Tenant) -> None:
    r = tenant.get(f"/api/orders/{uuid.uuid4()}")
    assert r.status_code == 404
    assert "not found" in r.json()["detail"]


# ------------------------------------------------------------------ lifecycle actions


def test_an_order_goes_through_the_whole_lifecycle_by_actions(tenant: Tenant) -> None:
    order_id = tenant.order("shipped")
    r = tenant.act(order_id, {"action": "confirm_delivery"})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "delivered"
    assert r.json()["events"] == ["confirm_delivery", "status_changed"]
    assert r.json()["order"]["payout_due_at"] is not None


def test_an_illegal_step_is_a_409_with_the_reason_and_changes_nothing(tenant: Tenant) -> None:
    order_id = tenant.order()
    before = detail(tenant, order_id)
    r = tenant.act(order_id, {"action": "ship", "carrier": "ups", "tracking_number": UPS_TRACKING})
    assert r.status_code == 409
    assert r.json()["code"] == "wrong_status"
    assert r.json()["detail"] == "Cannot mark shipped: the order is New; this needs Ready to ship."
    after = detail(tenant, order_id)
    assert after["order"]["version"] == before["order"]["version"]
    assert after["timeline"] == before["timeline"]


@pytest.mark.parametrize(
    ("status", "command", "code"),
    [
        ("processing", {"action": "pick", "code": "NOT-HERE"}, "wrong_item"),
        ("processing", {"action": "pick", "code": "MUG-1", "quantity": 3}, "over_pick"),
        ("processing", {"action": "inspect"}, "not_picked"),
        ("ready_to_ship", {"action": "attach_label"}, "label_not_printed"),
        (
            "ready_to_ship",
            {"action": "print_label", "carrier": "ups", "tracking_number": "bad"},
            "invalid_tracking",
        ),
        ("shipped", {"action": "cancel"}, "already_shipped"),
        ("cancelled", {"action": "hold"}, "already_done"),
        ("new", {"action": "resolve"}, "wrong_status"),
    ],
)
def test_refusals_reach_the_client_with_their_code(
    tenant: Tenant, status: str, command: dict[str, Any], code: str
) -> None:
    r = tenant.act(tenant.order(status), command)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == code


def test_shipping_consumes_the_reserved_stock(tenant: Tenant) -> None:
    tenant.order("shipped")
    assert stock(tenant, "MUG-1") == (48, 0)
    assert stock(tenant, "TOTE-2") == (19, 0)


def test_cancelling_releases_the_reserved_stock(tenant: Tenant) -> None:
    order_id = tenant.order("processing")
    assert stock(tenant, "MUG-1") == (50, 2)
    assert tenant.act(order_id, {"action": "cancel"}).status_code == 200
    assert stock(tenant, "MUG-1") == (50, 0)


def test_an_out_of_stock_order_is_verified_once_stock_arrives(tenant: Tenant) -> None:
    r = tenant.intake(intake_order(lines=[{"sku": "RARE-3", "quantity": 2}]))
    order_id = r.json()["order_id"]
    assert tenant.act(order_id, {"action": "resolve"}).json()["order"]["status"] == "new"
    refused = tenant.act(order_id, {"action": "verify_availability"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "out_of_stock"
    assert "RARE-3 short by 1" in refused.json()["detail"]
    with tenant.client() as c:
        c.post("/api/inventory/RARE-3/adjust", json={"delta": 5, "reason": "delivery"})
    ok = tenant.act(order_id, {"action": "verify_availability"})
    assert ok.status_code == 200, ok.text
    assert stock(tenant, "RARE-3") == (6, 2)


# ------------------------------------------------------------------ bulk


def test_a_bulk_action_answers_for_each_order_in_the_order_given(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    new, shipped, theirs = tenant.order(), tenant.order("shipped"), other_tenant.order()
    unknown = str(uuid.uuid4())
    with tenant.client() as c:
        r = c.post(
            "/api/orders/bulk",
            json={"order_ids": [shipped, new, unknown, theirs], "command": {"action": "hold"}},
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["order_id"], x["ok"], x["code"]) for x in body["results"]] == [
        (shipped, False, "already_shipped"),
        (new, True, None),
        (unknown, False, "not_found"),
        (theirs, False, "not_found"),
    ]
    assert body["results"][1]["status"] == "on_hold"
    assert (body["succeeded"], body["failed"]) == (1, 3)
    assert detail(other_tenant, theirs)["order"]["status"] == "new"
    assert detail(tenant, shipped)["order"]["status"] == "shipped"


def test_a_bulk_action_names_each_order_once(tenant: Tenant) -> None:
    order_id = tenant.order()
    with tenant.client() as c:
        body = c.post(
            "/api/orders/bulk",
            json={"order_ids": [order_id, order_id], "command": {"action": "print_slip"}},
        ).json()
    assert [x["order_id"] for x in body["results"]] == [order_id]


# ------------------------------------------------------------------ notes


@pytest.mark.parametrize(
    "kind", ["customer_request", "packaging_instruction", "follow_up", "team_message"]
)
def test_a_note_of_each_kind_is_kept_with_author_and_time(tenant: Tenant, kind: str) -> None:
    order_id = tenant.order()
    note: dict[str, Any] = {"kind": kind, "text": f"About {kind}"}
    if kind == "follow_up":
        note["due_at"] = "2026-12-01T15:00:00+00:00"
    with tenant.client("staff") as c:
        r = c.post(f"/api/orders/{order_id}/notes", json=note)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["kind"], made["text"], made["author_name"]) == (kind, f"About {kind}", "Sid Staff")
    assert abs((ts(made["created_at"]) - datetime.now(UTC)).total_seconds()) < 60
    if kind == "follow_up":
        assert ts(made["due_at"]) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert detail(tenant, order_id)["notes"] == [made]


def test_notes_are_append_only(tenant: Tenant) -> None:
    order_id = tenant.order()
    with tenant.client() as c:
        first = c.post(f"/api/orders/{order_id}/notes", json={"kind": "team_message", "text": "a"})
        c.post(f"/api/orders/{order_id}/notes", json={"kind": "team_message", "text": "b"})
        note_id = first.json()["id"]
        for method in ("PUT", "PATCH", "DELETE"):
            r = c.request(method, f"/api/orders/{order_id}/notes/{note_id}")
            assert r.status_code in (404, 405)
            r = c.request(method, f"/api/orders/{order_id}/notes")
            assert r.status_code == 405
    assert [n["text"] for n in detail(tenant, order_id)["notes"]] == ["a", "b"]


def test_a_retried_note_with_the_same_client_id_is_stored_once(tenant: Tenant) -> None:
    order_id = tenant.order()
    note = {"id": f"n-{uuid.uuid4()}", "kind": "customer_request", "text": "Leave at door"}
    with tenant.client() as c:
        first = c.post(f"/api/orders/{order_id}/notes", json=note)
        again = c.post(f"/api/orders/{order_id}/notes", json={**note, "text": "changed"})
        through_actions = c.post(
            f"/api/orders/{order_id}/actions",
            json={
                "action": "add_note",
                "note_id": note["id"],
                "kind": "customer_request",
                "text": "x",
            },
        )
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert through_actions.status_code == 200
    shown = detail(tenant, order_id)
    assert [n["text"] for n in shown["notes"]] == ["Leave at door"]
    assert [e["kind"] for e in shown["timeline"]].count("add_note") == 1


def test_note_ids_are_per_vendor_so_another_vendors_id_neither_clashes_nor_leaks(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    note = {"id": f"n-{uuid.uuid4()}", "kind": "team_message", "text": "mine"}
    theirs = other_tenant.order()
    with other_tenant.client() as c:
        assert c.post(f"/api/orders/{theirs}/notes", json=note).status_code == 201
    mine = tenant.order()
    with tenant.client() as c:
        r = c.post(f"/api/orders/{mine}/notes", json={**note, "text": "also mine"})
    assert r.status_code == 201, r.text
    assert [n["text"] for n in detail(tenant, mine)["notes"]] == ["also mine"]
    assert [n["text"] for n in detail(other_tenant, theirs)["notes"]] == ["mine"]


def test_a_client_note_id_already_used_on_another_order_is_refused(tenant: Tenant) -> None:
    first, second = tenant.order(), tenant.order()
    note = {"id": f"n-{uuid.uuid4()}", "kind": "team_message", "text": "hello"}
    with tenant.client() as c:
        assert c.post(f"/api/orders/{first}/notes", json=note).status_code == 201
        r = c.post(f"/api/orders/{second}/notes", json=note)
    assert r.status_code == 400
    assert "already used" in r.json()["detail"]
    assert detail(tenant, second)["notes"] == []


def test_a_note_moves_the_order_to_a_new_version_for_sync(tenant: Tenant) -> None:
    order_id = tenant.order()
    before = detail(tenant, order_id)["order"]["version"]
    with tenant.client() as c:
        c.post(f"/api/orders/{order_id}/notes", json={"kind": "team_message", "text": "hi"})
    assert detail(tenant, order_id)["order"]["version"] > before


# ------------------------------------------------------------------ inventory


def test_inventory_lists_skus_alphabetically_and_searches_sku_barcode_and_name(
    tenant: Tenant,
) -> None:
    assert [i["sku"] for i in tenant.get("/api/inventory").json()] == ["MUG-1", "RARE-3", "TOTE-2"]
    assert [i["sku"] for i in tenant.get("/api/inventory", q="tote").json()] == ["TOTE-2"]
    assert [i["sku"] for i in tenant.get("/api/inventory", q="4006381333955").json()] == ["RARE-3"]
    assert [i["sku"] for i in tenant.get("/api/inventory", q="linen").json()] == ["TOTE-2"]
    assert [i["sku"] for i in tenant.get("/api/inventory", limit=1, offset=1).json()] == ["RARE-3"]


def test_a_sku_is_created_and_replaced_keeping_its_reservations(tenant: Tenant) -> None:
    tenant.order()
    with tenant.client() as c:
        made = c.put(
            "/api/inventory/CAP-9", json={"name": "Cap", "barcode": "012345678905", "on_hand": 4}
        )
        assert made.status_code == 200, made.text
        assert made.json()["reserved"] == 0
        replaced = c.put("/api/inventory/MUG-1", json={"name": "Big mug", "on_hand": 10})
    assert replaced.json()["name"] == "Big mug"
    assert (replaced.json()["on_hand"], replaced.json()["reserved"]) == (10, 2)
    assert tenant.get("/api/inventory/CAP-9").json()["barcode"] == "012345678905"


def test_stock_is_adjusted_after_a_count_but_never_below_zero(tenant: Tenant) -> None:
    with tenant.client() as c:
        r = c.post("/api/inventory/TOTE-2/adjust", json={"delta": -5, "reason": "count"})
        assert r.status_code == 200, r.text
        assert r.json()["on_hand"] == 15
        r = c.post("/api/inventory/TOTE-2/adjust", json={"delta": -16, "reason": "count"})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("delta:")
    assert stock(tenant, "TOTE-2") == (15, 0)


def test_concurrent_stock_corrections_all_count(tenant: Tenant) -> None:
    def correct(_: int) -> int:
        with tenant.client() as c:
            r = c.post("/api/inventory/MUG-1/adjust", json={"delta": 1, "reason": "found"})
            return r.status_code

    def receive(_: int) -> int:
        return tenant.intake(intake_order()).status_code

    with ThreadPoolExecutor(8) as pool:
        corrections = pool.map(correct, range(8))
        orders = pool.map(receive, range(4))
        assert (list(corrections), list(orders)) == ([200] * 8, [201] * 4)
    assert stock(tenant, "MUG-1") == (58, 8)


def test_an_unknown_sku_is_not_found(tenant: Tenant) -> None:
    assert tenant.get("/api/inventory/NOPE").status_code == 404
    with tenant.client() as c:
        r = c.post("/api/inventory/NOPE/adjust", json={"delta": 1, "reason": "x"})
    assert r.status_code == 404


# ------------------------------------------------------------------ CSV export


def export(tenant: Tenant, **params: Any) -> tuple[httpx.Response, list[list[str]]]:
    """The export response and its parsed rows (header first)."""
    r = tenant.get("/api/orders/export.csv", **params)
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8-sig")
    return r, list(csv.reader(io.StringIO(text)))


def test_the_export_has_the_bookkeeping_columns_and_one_row_per_order(tenant: Tenant) -> None:
    order_id = tenant.order("shipped", number="CSV-1", customer={"name": "Émile Zola"})
    tenant.order(number="CSV-2")
    r, rows = export(tenant)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="orders-')
    assert r.content.startswith("\ufeff".encode())
    assert rows[0] == COLUMNS
    assert len(rows) == 3
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["order_number"] == "CSV-1"
    assert record["customer_name"] == "Émile Zola"
    assert (record["status"], record["carrier"], record["tracking_number"]) == (
        "Shipped",
        "ups",
        UPS_TRACKING,
    )
    assert (record["items"], record["skus"]) == ("3", "MUG-1 x2; TOTE-2 x1")
    assert (record["subtotal"], record["shipping"], record["total"]) == ("55.00", "4.99", "59.99")
    assert record["ship_to_address"] == "12 Elm St"
    assert order_id and record["shipped_at"].endswith("Z")


def test_the_export_never_hands_a_spreadsheet_a_formula(tenant: Tenant) -> None:
    tenant.order(number="CSV-F", customer={"name": '=HYPERLINK("http://evil.example","Pay")'})
    _, rows = export(tenant)
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["customer_name"] == '\'=HYPERLINK("http://evil.example","Pay")'
    assert record["total"] == "59.99"  # ordinary values are untouched


def test_the_export_follows_the_lists_filter_and_search(tenant: Tenant) -> None:
    tenant.order(number="F-1")
    tenant.order("cancelled", number="F-2")
    tenant.order(number="G-3")
    _, rows = export(tenant, status="new")
    assert sorted(r[0] for r in rows[1:]) == ["F-1", "G-3"]
    _, rows = export(tenant, q="f-")
    assert sorted(r[0] for r in rows[1:]) == ["F-1", "F-2"]
    _, rows = export(tenant, q="f-", status="cancelled")
    assert [r[0] for r in rows[1:]] == ["F-2"]


def test_the_export_is_streamed_not_buffered(tenant: Tenant) -> None:
    tenant.order()
    with tenant.client() as c, c.stream("GET", "/api/orders/export.csv") as r:
        assert r.status_code == 200
        assert r.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in r.headers
        chunks = list(r.iter_raw())
    assert b"".join(chunks).count(b"\n") == 2


def test_an_empty_export_still_has_its_header(tenant: Tenant) -> None:
    _, rows = export(tenant)
    assert rows == [COLUMNS]


def test_another_vendors_orders_never_reach_the_export(
    tenant: Tenant, other_tenant: Tenant, database_url: str
) -> None:
    other_tenant.order(number="THEIRS-1")
    assert db_value(database_url, "SELECT count(*) FROM orders WHERE number = 'THEIRS-1'") >= 1
    _, rows = export(tenant)
    assert rows == [COLUMNS]
