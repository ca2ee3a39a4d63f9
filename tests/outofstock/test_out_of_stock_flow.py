"""Out of stock, through every resolution, with the inventory figures checked at each step.

Stock at the start (tests/support.py): MUG-1 50 on hand, TOTE-2 20, RARE-3 1.
Each order: 2 × MUG-1 at 15.00 and 1 × TOTE-2 at 25.00, plus 4.99 shipping (total 59.99).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import ServerThread, Tenant, intake_order


def stock(c: httpx.Client, sku: str) -> tuple[int, int]:
    item = c.get(f"/api/inventory/{sku}").json()
    return item["on_hand"], item["reserved"]


def act(c: httpx.Client, order_id: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
    r = c.post(f"/api/orders/{order_id}/actions", json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


def detail(c: httpx.Client, order_id: str) -> dict[str, Any]:
    return dict(c.get(f"/api/orders/{order_id}").json())


def tote_line(c: httpx.Client, order_id: str) -> str:
    return str(
        next(ln["id"] for ln in detail(c, order_id)["order"]["lines"] if ln["sku"] == "TOTE-2")
    )


@pytest.fixture
def short_order(tenant: Tenant) -> tuple[Tenant, str]:
    """An order in Processing whose tote turned out to be missing from the shelf."""
    order_id = tenant.intake(intake_order()).json()["order_id"]
    with tenant.client() as c:
        assert stock(c, "MUG-1") == (50, 2) and stock(c, "TOTE-2") == (20, 1)
        act(c, order_id, {"action": "start_processing"})
        act(c, order_id, {"action": "pick", "code": "MUG-1", "quantity": 2})
        result = act(c, order_id, {"action": "mark_short", "line_id": tote_line(c, order_id)})
        assert result["order"]["status"] == "on_hold"
        assert result["order"]["hold_reason"] == "out_of_stock"
        # The shelf held one tote fewer than the books said; its reservation is released.
        assert stock(c, "TOTE-2") == (19, 0)
        assert stock(c, "MUG-1") == (50, 2)
        d = detail(c, order_id)
        task = [n for n in d["notes"] if n["kind"] == "follow_up"]
        assert (
            len(task) == 1
            and task[0]["due_at"] is not None
            and "contact the customer" in task[0]["text"]
        )
    return tenant, order_id


def test_customer_is_messaged_and_answers_through_the_signed_link(
    api: ServerThread, short_order: tuple[Tenant, str]
) -> None:
    tenant, order_id = short_order
    with tenant.client() as c:
        message = c.post(
            f"/api/orders/{order_id}/contact-customer", json={"alternative": "the Canvas pouch"}
        ).json()
    assert message["to"] == "casey@example.com"
    assert "out of stock" in message["subject"] and "the Canvas pouch" in message["body"]
    link = urlsplit(message["link"])
    url = f"{api.url}{link.path}?{link.query}"
    assert "wait until it is back in stock" in httpx.get(url).text
    bad = httpx.post(f"{api.url}{link.path}", params={"sig": "0" * 32}, data={"choice": "cancel"})
    assert bad.status_code == 404
    assert httpx.post(url, data={"choice": "teleport"}).status_code == 400
    answered = httpx.post(url, data={"choice": "alternative"})
    assert answered.status_code == 200 and "Thank you" in answered.text
    with tenant.client() as c:
        d = detail(c, order_id)
    kinds = [e["kind"] for e in d["timeline"]]
    assert "customer_contacted" in kinds and "customer_choice" in kinds
    assert any(n["kind"] == "customer_request" and "alternative" in n["text"] for n in d["notes"])


def test_substitute_moves_the_reservation_to_the_new_sku_and_picking_resumes(
    short_order: tuple[Tenant, str],
) -> None:
    tenant, order_id = short_order
    with tenant.client() as c:
        line = tote_line(c, order_id)
        result = act(
            c,
            order_id,
            {
                "action": "resolve",
                "resolution": "substitute",
                "line_id": line,
                "substitute_sku": "RARE-3",
                "substitute_barcode": "4006381333955",
            },
        )
        assert result["order"]["status"] == "processing"
        assert stock(c, "RARE-3") == (1, 1)
        assert stock(c, "TOTE-2") == (19, 0)
        act(c, order_id, {"action": "pick", "code": "4006381333955"})
        assert (
            next(ln for ln in detail(c, order_id)["order"]["lines"] if ln["id"] == line)["picked"]
            == 1
        )


def test_remove_line_refunds_it_and_lowers_the_payout(short_order: tuple[Tenant, str]) -> None:
    tenant, order_id = short_order
    with tenant.client() as c:
        result = act(
            c,
            order_id,
            {"action": "resolve", "resolution": "remove_line", "line_id": tote_line(c, order_id)},
        )
        assert result["order"]["status"] == "processing"
        assert "refund" in result["events"]
        assert stock(c, "TOTE-2") == (19, 0) and stock(c, "MUG-1") == (50, 2)
        for body in (
            {"action": "inspect"},
            {"action": "pack", "package_type": "Small box", "weight_grams": 700},
            {"action": "print_slip"},
            {"action": "print_label", "carrier": "demo", "tracking_number": "SFD0000000042"},
            {"action": "attach_label"},
            {"action": "ship", "carrier": "demo", "tracking_number": "SFD0000000042"},
        ):
            act(c, order_id, body)
        assert stock(c, "MUG-1") == (48, 0)
        act(c, order_id, {"action": "confirm_delivery"})
        payout = next(p for p in c.get("/api/payouts").json() if p["order_id"] == order_id)
    assert payout["refunded_minor"] == 2500
    net = 5999 - 2500
    assert payout["fee_minor"] == (net * 1000 + 5000) // 10000
    assert payout["amount_minor"] == net - payout["fee_minor"]


def test_cancel_refunds_everything_and_releases_every_reservation(
    short_order: tuple[Tenant, str],
) -> None:
    tenant, order_id = short_order
    with tenant.client() as c:
        result = act(c, order_id, {"action": "cancel", "reason": "out_of_stock"})
        assert result["order"]["status"] == "cancelled"
        assert stock(c, "MUG-1") == (50, 0) and stock(c, "TOTE-2") == (19, 0)
        refunds = [e for e in detail(c, order_id)["timeline"] if e["kind"] == "refund"]
    assert [r["detail"]["amount_minor"] for r in refunds] == [5999]


def test_resume_when_the_item_is_found_gives_the_count_back(
    short_order: tuple[Tenant, str],
) -> None:
    tenant, order_id = short_order
    with tenant.client() as c:
        result = act(c, order_id, {"action": "resolve", "resolution": "resume"})
        assert result["order"]["status"] == "processing"
        assert stock(c, "TOTE-2") == (20, 1)


def test_low_stock_threshold_raises_an_alert_on_the_order(tenant: Tenant) -> None:
    with tenant.client() as c:
        c.put(
            "/api/inventory/TOTE-2",
            json={
                "name": "Linen tote",
                "barcode": "4006381333948",
                "on_hand": 20,
                "low_stock_threshold": 18,
            },
        )
        order_id = tenant.intake(intake_order()).json()["order_id"]
        act(c, order_id, {"action": "start_processing"})
        result = act(c, order_id, {"action": "mark_short", "line_id": tote_line(c, order_id)})
        assert "low_stock" not in result["events"]  # free stock went from 19 to 19: not crossed
        second = tenant.intake(intake_order()).json()["order_id"]
        assert stock(c, "TOTE-2") == (19, 1)
        act(c, second, {"action": "start_processing"})
        act(c, second, {"action": "mark_short", "line_id": tote_line(c, second)})
        on_hand, reserved = stock(c, "TOTE-2")
        low = [e for e in detail(c, second)["timeline"] if e["kind"] == "low_stock"]
    assert (on_hand, reserved) == (18, 0)
    assert low and low[0]["detail"] == {"sku": "TOTE-2", "available": 18}


def test_order_out_of_stock_at_intake_gets_the_contact_task_at_once(tenant: Tenant) -> None:
    r = tenant.intake(
        intake_order(lines=[{"sku": "RARE-3", "quantity": 3, "unit_price_minor": 9900}])
    )
    assert r.status_code == 201 and r.json()["status"] == "on_hold"
    with tenant.client() as c:
        d = detail(c, r.json()["order_id"])
        assert stock(c, "RARE-3") == (1, 0)  # nothing reserved for an order that cannot be filled
    assert any(n["kind"] == "follow_up" for n in d["notes"])
