"""Carrier events move orders forward once; delivery confirmation initiates one payout."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.signing import sign
from server.tracking.confirm import confirmation_url
from server.tracking.service import webhook_secret
from tests.support import ServerThread, Tenant, intake_order


def _settings(api: ServerThread) -> Settings:
    assert api.settings is not None
    return api.settings


def _post_event(
    api: ServerThread, event: dict[str, Any], carrier: str = "demo", secret: str | None = None
) -> httpx.Response:
    body = json.dumps(event).encode()
    ts = str(int(time.time()))
    secret = secret or webhook_secret(_settings(api), carrier)
    headers = {
        "X-Shipfloor-Timestamp": ts,
        "X-Shipfloor-Signature": sign(secret, ts, body),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{api.url}/api/tracking/{carrier}/events", content=body, headers=headers)


def _event(tracking: str, status: str, minutes_ago: int = 0) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "event_id": uuid.uuid4().hex,
        "tracking_number": tracking,
        "status": status,
        "occurred_at": at.isoformat(),
        "location": "Springfield IL",
    }


def _shipped_order(tenant: Tenant) -> tuple[str, str]:
    """An order walked to Shipped with a demo-carrier label; returns (order id, tracking)."""
    order_id = tenant.intake(intake_order()).json()["order_id"]
    with tenant.client() as c:
        for body in (
            {"action": "start_processing"},
            {"action": "pick", "code": "MUG-1", "quantity": 2},
            {"action": "pick", "code": "TOTE-2"},
            {"action": "inspect"},
            {"action": "pack", "package_type": "Small box", "weight_grams": 800},
            {"action": "print_slip"},
        ):
            assert c.post(f"/api/orders/{order_id}/actions", json=body).status_code == 200
        c.post("/api/documents/print", json={"kind": "label", "order_ids": [order_id]})
        tracking = c.get(f"/api/orders/{order_id}").json()["order"]["tracking_number"]
        assert (
            c.post(f"/api/orders/{order_id}/actions", json={"action": "attach_label"}).status_code
            == 200
        )
        r = c.post(
            f"/api/orders/{order_id}/actions",
            json={"action": "ship", "carrier": "demo", "tracking_number": tracking},
        )
        assert r.status_code == 200, r.text
    return order_id, tracking


def _detail(tenant: Tenant, order_id: str) -> dict[str, Any]:
    with tenant.client() as c:
        return dict(c.get(f"/api/orders/{order_id}").json())


def test_delivered_event_moves_a_shipped_order_to_delivered_with_the_carrier_time(
    api: ServerThread, tenant: Tenant
) -> None:
    order_id, tracking = _shipped_order(tenant)
    assert _post_event(api, _event(tracking, "in_transit", 120)).status_code == 202
    r = _post_event(api, _event(tracking.lower(), "delivered", 5))
    assert r.status_code == 202, r.text
    assert r.json()["order_status"] == "delivered"
    detail = _detail(tenant, order_id)
    assert detail["order"]["status"] == "delivered"
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds.count("carrier_event") == 2 and "deliver" in kinds
    deliver = next(e for e in detail["timeline"] if e["kind"] == "deliver")
    assert deliver["source"] == "carrier"


def test_out_of_order_and_duplicate_events_never_move_status_back_nor_twice(
    api: ServerThread, tenant: Tenant
) -> None:
    order_id, tracking = _shipped_order(tenant)
    delivered = _event(tracking, "delivered", 5)
    assert _post_event(api, delivered).status_code == 202
    assert _post_event(api, _event(tracking, "in_transit", 300)).status_code == 202
    again = _post_event(api, delivered)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    detail = _detail(tenant, order_id)
    assert detail["order"]["status"] == "delivered"
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds.count("deliver") == 1
    assert kinds.count("carrier_event") == 2


def test_webhook_with_a_bad_signature_is_refused_and_writes_nothing(
    api: ServerThread, tenant: Tenant
) -> None:
    order_id, tracking = _shipped_order(tenant)
    r = _post_event(api, _event(tracking, "delivered"), secret="not-the-carrier-secret")
    assert r.status_code == 401 and "signature" in r.json()["detail"]
    unsigned = httpx.post(f"{api.url}/api/tracking/demo/events", json=_event(tracking, "delivered"))
    assert unsigned.status_code == 401
    assert _detail(tenant, order_id)["order"]["status"] == "shipped"


def test_event_for_an_unknown_tracking_number_or_carrier_is_not_found(api: ServerThread) -> None:
    assert _post_event(api, _event("SFD0000000000", "delivered")).status_code == 404
    assert (
        _post_event(api, _event("SFD0000000000", "delivered"), carrier="pigeon").status_code == 404
    )


def test_malformed_event_is_a_400_naming_the_field(api: ServerThread) -> None:
    r = _post_event(
        api,
        {"event_id": "x", "tracking_number": "SFD1", "status": "teleported", "occurred_at": "now"},
    )
    assert r.status_code == 400
    assert "status" in r.json()["detail"] or "occurred_at" in r.json()["detail"]


def test_customer_confirms_delivery_by_signed_link_and_one_payout_is_initiated(
    api: ServerThread, tenant: Tenant
) -> None:
    order_id, tracking = _shipped_order(tenant)
    _post_event(api, _event(tracking, "delivered"))
    url = confirmation_url(_settings(api), order_id).replace("http://127.0.0.1:8000", api.url)
    page = httpx.get(url)
    assert page.status_code == 200 and "Yes, I received it" in page.text
    assert (
        _detail(tenant, order_id)["order"]["delivery_confirmed_at"] is None
    )  # opening is not confirming
    for _ in range(2):
        confirmed = httpx.post(url)
        assert confirmed.status_code == 200 and "confirmed" in confirmed.text
    order = _detail(tenant, order_id)["order"]
    assert order["delivery_confirmed_at"] is not None and order["payout_due_at"] is not None
    with tenant.client() as c:
        payouts = [p for p in c.get("/api/payouts").json() if p["order_id"] == order_id]
        csv_text = c.get("/api/payouts/export.csv").text
    assert len(payouts) == 1
    total = order["total_minor"]
    assert payouts[0]["fee_minor"] == (total * 1000 + 5000) // 10000
    assert payouts[0]["amount_minor"] == total - payouts[0]["fee_minor"]
    assert order["number"] in csv_text


def test_a_forged_confirmation_link_is_not_found(api: ServerThread, tenant: Tenant) -> None:
    order_id, _ = _shipped_order(tenant)
    r = httpx.post(
        f"{api.url}/api/public/orders/{order_id}/confirm-delivery", params={"sig": "0" * 32}
    )
    assert r.status_code == 404
    assert _detail(tenant, order_id)["order"]["delivery_confirmed_at"] is None


@pytest.mark.parametrize("role, expected", [("owner", 200), ("staff", 403)])
def test_payouts_are_for_the_owner_only(tenant: Tenant, role: str, expected: int) -> None:
    with tenant.client(role) as c:
        assert c.get("/api/payouts").status_code == expected
        assert c.get("/api/payouts/export.csv").status_code == expected


def test_confirming_delivery_through_the_app_also_initiates_exactly_one_payout(
    tenant: Tenant,
) -> None:
    order_id, _ = _shipped_order(tenant)
    with tenant.client() as c:
        assert (
            c.post(
                f"/api/orders/{order_id}/actions", json={"action": "confirm_delivery"}
            ).status_code
            == 200
        )
        again = c.post(f"/api/orders/{order_id}/actions", json={"action": "confirm_delivery"})
        assert again.status_code == 409 and again.json()["code"] == "already_done"
        payouts = [p for p in c.get("/api/payouts").json() if p["order_id"] == order_id]
    assert len(payouts) == 1


def test_metrics_count_a_shipped_order_with_a_carrier_event_as_valid_tracking(
    api: ServerThread, tenant: Tenant
) -> None:
    _, tracking = _shipped_order(tenant)
    with tenant.client() as c:
        before = c.get("/api/metrics").json()["windows"][0]
        _post_event(api, _event(tracking, "accepted"))
        after = c.get("/api/metrics").json()["windows"][0]
    assert before["days"] == 7
    assert before["valid_tracking_rate"]["numerator"] == 0
    assert (
        after["valid_tracking_rate"]["numerator"],
        after["valid_tracking_rate"]["denominator"],
    ) == (1, 1)
    assert after["time_to_ship"]["count"] == 1
    assert after["late_shipment_rate"]["threshold"] == 0.04
