"""Marketplace order intake: signatures, idempotency and the New-stage checks."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest

from server.signing import sign
from shared.deadlines import Calendar, ship_by
from tests.support import Tenant, db_value, intake_order, post_intake


def orders_of(database_url: str, tenant: Tenant) -> int:
    """How many orders the tenant has in the database."""
    return int(
        db_value(
            database_url, "SELECT count(*) FROM orders WHERE vendor_id = :v", v=tenant.vendor_id
        )
    )


def stock(tenant: Tenant, sku: str) -> dict[str, int]:
    """On hand and reserved of a SKU, as the API reports them."""
    item = tenant.get(f"/api/inventory/{sku}").json()
    return {"on_hand": item["on_hand"], "reserved": item["reserved"]}


def detail(tenant: Tenant, order_id: str) -> dict[str, Any]:
    """GET /api/orders/{id}."""
    r = tenant.get(f"/api/orders/{order_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# ------------------------------------------------------------------ signatures


def test_a_signed_order_is_created_with_the_new_stage_checks_done(tenant: Tenant) -> None:
    r = tenant.intake(intake_order(number="M-1001"))
    assert r.status_code == 201, r.text
    result = r.json()
    assert (result["number"], result["status"], result["created"]) == ("M-1001", "new", True)
    assert result["problems"] == []
    order = detail(tenant, result["order_id"])["order"]
    assert order["marketplace"] == "testmarket"
    assert order["availability_verified_at"] and order["address_verified_at"]
    assert order["payment_confirmed_at"] and order["ship_by"]
    assert order["total_minor"] == 2 * 1500 + 2500 + 499


def test_orders_without_a_marketplace_number_get_the_vendors_next_number(tenant: Tenant) -> None:
    numbers = [tenant.intake(intake_order()).json()["number"] for _ in range(2)]
    assert numbers == ["SF10001", "SF10002"]


def test_a_number_the_marketplace_already_used_is_skipped(tenant: Tenant) -> None:
    assert tenant.intake(intake_order(number="SF10001")).status_code == 201
    r = tenant.intake(intake_order())
    assert r.status_code == 201, r.text
    assert r.json()["number"] == "SF10002"


def _headers(tenant: Tenant, body: bytes, **override: str | None) -> dict[str, str]:
    ts = str(int(time.time()))
    headers: dict[str, str | None] = {
        "Content-Type": "application/json",
        "X-Shipfloor-Key": tenant.key_id,
        "X-Shipfloor-Timestamp": ts,
        "X-Shipfloor-Signature": sign(tenant.key_secret, ts, body),
    }
    headers.update(override)
    return {k: v for k, v in headers.items() if v is not None}


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("X-Shipfloor-Key", "missing X-Shipfloor-Key header"),
        ("X-Shipfloor-Timestamp", "missing X-Shipfloor-Timestamp or X-Shipfloor-Signature"),
        ("X-Shipfloor-Signature", "missing X-Shipfloor-Timestamp or X-Shipfloor-Signature"),
    ],
)
def test_a_missing_intake_header_is_refused_by_name_and_nothing_is_written(
    tenant: Tenant, database_url: str, header: str, words: str
) -> None:
    body = json.dumps(intake_order()).encode()
    r = httpx.post(
        f"{tenant.base_url}/api/intake/orders",
        content=body,
        headers=_headers(tenant, body, **{header: None}),
    )
    assert r.status_code == 401
    assert words in r.json()["detail"]
    assert orders_of(database_url, tenant) == 0


def test_a_signature_made_with_another_secret_is_refused(tenant: Tenant, database_url: str) -> None:
    body = json.dumps(intake_order()).encode()
    r = post_intake(tenant.base_url, tenant.key_id, "not-the-secret", body)
    assert r.status_code == 401
    assert r.json()["detail"] == "signature does not match the body (HMAC-SHA256)"
    assert orders_of(database_url, tenant) == 0


def test_a_body_changed_after_signing_is_refused(tenant: Tenant, database_url: str) -> None:
    body = json.dumps(intake_order()).encode()
    ts = str(int(time.time()))
    signature = sign(tenant.key_secret, ts, body)
    tampered = body.replace(b'"quantity": 2', b'"quantity": 20')
    assert tampered != body
    r = post_intake(
        tenant.base_url, tenant.key_id, "", tampered, timestamp=int(ts), signature=signature
    )
    assert r.status_code == 401
    assert "signature does not match" in r.json()["detail"]
    assert orders_of(database_url, tenant) == 0


@pytest.mark.parametrize("skew", [-360, 360, -86400])
def test_a_timestamp_far_from_the_servers_clock_is_refused(
    tenant: Tenant, database_url: str, skew: int
) -> None:
    body = json.dumps(intake_order()).encode()
    r = post_intake(
        tenant.base_url, tenant.key_id, tenant.key_secret, body, timestamp=int(time.time()) + skew
    )
    assert r.status_code == 401
    assert "more than 300 s from the server's clock" in r.json()["detail"]
    assert orders_of(database_url, tenant) == 0


def test_a_timestamp_that_is_not_unix_seconds_is_refused(tenant: Tenant) -> None:
    body = json.dumps(intake_order()).encode()
    r = httpx.post(
        f"{tenant.base_url}/api/intake/orders",
        content=body,
        headers=_headers(tenant, body, **{"X-Shipfloor-Timestamp": "yesterday"}),
    )
    assert r.status_code == 401
    assert "Unix seconds" in r.json()["detail"]


def test_an_unknown_api_key_is_refused(tenant: Tenant, database_url: str) -> None:
    body = json.dumps(intake_order()).encode()
    r = post_intake(tenant.base_url, "sfk_doesnotexist", tenant.key_secret, body)
    assert r.status_code == 401
    assert r.json()["detail"] == "unknown or revoked API key"
    assert orders_of(database_url, tenant) == 0


def test_a_revoked_api_key_is_refused(tenant: Tenant, database_url: str) -> None:
    db_value(
        database_url,
        "UPDATE api_keys SET revoked_at = created_at WHERE id = :k RETURNING id",
        k=tenant.key_id,
    )
    r = tenant.intake(intake_order())
    assert r.status_code == 401
    assert r.json()["detail"] == "unknown or revoked API key"


def test_a_well_signed_body_that_is_not_an_order_is_a_400(
    tenant: Tenant, database_url: str
) -> None:
    for body in (b"{not json", b'{"external_id": "x"}'):
        r = post_intake(tenant.base_url, tenant.key_id, tenant.key_secret, body)
        assert r.status_code == 400, r.text
    assert orders_of(database_url, tenant) == 0


# ------------------------------------------------------------------ idempotency


def test_the_same_marketplace_order_sent_twice_is_one_order(
    tenant: Tenant, database_url: str
) -> None:
    order = intake_order()
    first = tenant.intake(order)
    again = tenant.intake({**order, "customer": {"name": "Someone Else"}})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert again.json()["order_id"] == first.json()["order_id"]
    assert orders_of(database_url, tenant) == 1
    assert stock(tenant, "MUG-1")["reserved"] == 2  # reserved once
    # a re-sent order changes nothing (other than a payment that arrived)
    shown = detail(tenant, first.json()["order_id"])["order"]
    assert shown["customer"]["name"] == order["customer"]["name"]


def test_concurrent_copies_of_one_order_still_make_one_order(
    tenant: Tenant, database_url: str
) -> None:
    body = json.dumps(intake_order()).encode()
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda _: post_intake(tenant.base_url, tenant.key_id, tenant.key_secret, body),
                range(6),
            )
        )
    assert sorted(r.status_code for r in answers) == [200] * 5 + [201]
    assert len({r.json()["order_id"] for r in answers}) == 1
    assert orders_of(database_url, tenant) == 1
    assert stock(tenant, "MUG-1")["reserved"] == 2


def test_concurrent_different_orders_get_distinct_numbers_and_all_their_stock(
    tenant: Tenant, database_url: str
) -> None:
    bodies = [json.dumps(intake_order()).encode() for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda b: post_intake(tenant.base_url, tenant.key_id, tenant.key_secret, b), bodies
            )
        )
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    assert len({r.json()["number"] for r in answers}) == 6
    assert stock(tenant, "MUG-1")["reserved"] == 12
    assert stock(tenant, "TOTE-2")["reserved"] == 6


def test_the_same_marketplace_id_at_two_vendors_is_two_orders(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    order = intake_order()
    mine, theirs = tenant.intake(order), other_tenant.intake(order)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["order_id"] != theirs.json()["order_id"]


def test_a_number_already_used_by_another_order_is_a_conflict(
    tenant: Tenant, database_url: str
) -> None:
    assert tenant.intake(intake_order(number="DUP-1")).status_code == 201
    r = tenant.intake(intake_order(number="DUP-1"))
    assert r.status_code == 409
    assert "DUP-1" in r.json()["detail"]
    assert orders_of(database_url, tenant) == 1
    assert stock(tenant, "MUG-1")["reserved"] == 2


# ------------------------------------------------------------------ New-stage checks


def test_an_order_in_stock_reserves_its_units(tenant: Tenant) -> None:
    assert stock(tenant, "MUG-1") == {"on_hand": 50, "reserved": 0}
    tenant.intake(intake_order())
    assert stock(tenant, "MUG-1") == {"on_hand": 50, "reserved": 2}
    assert stock(tenant, "TOTE-2") == {"on_hand": 20, "reserved": 1}


def test_an_order_out_of_stock_goes_on_hold_with_its_short_lines(tenant: Tenant) -> None:
    lines = [
        {"sku": "MUG-1", "quantity": 1},
        {"sku": "RARE-3", "quantity": 3},
        {"sku": "NOPE-9", "quantity": 1},
    ]
    r = tenant.intake(intake_order(lines=lines))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "on_hold"
    assert r.json()["problems"] == [
        "out of stock: NOPE-9 short by 1",
        "out of stock: RARE-3 short by 2",
    ]
    order = detail(tenant, r.json()["order_id"])["order"]
    assert (order["hold_reason"], order["held_from"]) == ("out_of_stock", "new")
    assert [line["short"] for line in order["lines"]] == [0, 2, 1]
    assert order["availability_verified_at"] is None
    # nothing is reserved for an order that cannot be filled
    assert stock(tenant, "MUG-1")["reserved"] == 0
    assert stock(tenant, "RARE-3")["reserved"] == 0


def test_a_sku_short_on_two_lines_is_counted_short_only_by_what_is_missing(tenant: Tenant) -> None:
    lines = [{"sku": "RARE-3", "quantity": 1}, {"sku": "RARE-3", "quantity": 2}]
    r = tenant.intake(intake_order(lines=lines))
    assert r.json()["problems"] == ["out of stock: RARE-3 short by 2"]
    order = detail(tenant, r.json()["order_id"])["order"]
    assert [line["short"] for line in order["lines"]] == [0, 2]


def test_stock_reserved_by_one_order_is_not_promised_to_the_next(tenant: Tenant) -> None:
    first = tenant.intake(intake_order(lines=[{"sku": "RARE-3", "quantity": 1}]))
    second = tenant.intake(intake_order(lines=[{"sku": "RARE-3", "quantity": 1}]))
    assert (first.json()["status"], second.json()["status"]) == ("new", "on_hold")


def test_an_incomplete_address_is_left_unverified_with_its_problems_listed(tenant: Tenant) -> None:
    address = {"name": "Casey", "line1": "", "city": "Springfield", "country": "US"}
    r = tenant.intake(intake_order(shipping_address=address))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "new"
    assert r.json()["problems"] == [
        "address: street address is missing",
        "address: postal code is missing",
    ]
    order = detail(tenant, r.json()["order_id"])["order"]
    assert order["address_verified_at"] is None


def test_a_pending_payment_then_paid_repost_sets_the_ship_by_deadline(tenant: Tenant) -> None:
    order = intake_order(payment_status="pending")
    first = tenant.intake(order)
    assert first.json()["problems"] == ["payment is pending"]
    order_id = first.json()["order_id"]
    before = detail(tenant, order_id)["order"]
    assert before["ship_by"] is None and before["payment_confirmed_at"] is None

    paid_at = "2026-11-24T15:00:00+00:00"
    again = tenant.intake({**order, "payment_status": "paid", "paid_at": paid_at})
    assert again.status_code == 200
    assert again.json()["created"] is False
    shown = detail(tenant, order_id)
    after = shown["order"]
    assert after["payment_status"] == "paid"
    assert after["payment_confirmed_at"] is not None
    expected = ship_by(datetime.fromisoformat(paid_at), Calendar("America/New_York", "US"))
    assert datetime.fromisoformat(after["ship_by"].replace("Z", "+00:00")) == expected
    timeline = shown["timeline"]
    assert timeline[-1]["kind"] == "confirm_payment"
    assert timeline[-1]["source"] == "intake"


def test_the_intake_timeline_records_what_the_checks_did(tenant: Tenant) -> None:
    r = tenant.intake(intake_order())
    timeline = detail(tenant, r.json()["order_id"])["timeline"]
    assert [e["kind"] for e in timeline] == [
        "received",
        "confirm_payment",
        "verify_address",
        "verify_availability",
    ]
    assert {e["actor_name"] for e in timeline} == {"testmarket"}
