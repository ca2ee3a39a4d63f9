"""A "label printed" for a carrier that issues labels here gets its tracking number on the
server, whichever way it arrives: the app's sync (a picker tapping Print label offline or
online) or the REST action. The device pulls the number back and the label PDF opens.
"""

from __future__ import annotations

from tests.support import Tenant
from tests.sync.calls import mutation, new_order, order_of, pull_all, push, walk_to_ready


def test_a_synced_demo_label_gets_its_number_and_the_pdf_opens(tenant: Tenant) -> None:
    order_id = new_order(tenant)
    with tenant.client("staff") as c:
        walk_to_ready(c, order_id)
        (result,) = push(c, mutation(order_id, "print_label", carrier="demo"))
        assert result["status"] == "applied", result
        changes, _ = pull_all(c)
        pulled = [ch["order"] for ch in changes if ch["order"]["id"] == order_id][-1]
        number = pulled["tracking_number"]
        assert number.startswith("SFD") and len(number) == 13
        assert pulled["carrier"] == "demo"
        label = c.get(f"/api/orders/{order_id}/label.pdf")
        assert label.status_code == 200, label.text
        assert label.headers["content-type"] == "application/pdf"
        # A reprint from another device keeps the same number (one label per order).
        reprint = mutation(order_id, "print_label", device="dev-b", carrier="demo")
        (again,) = push(c, reprint, device="dev-b")
        assert again["status"] in ("applied", "merged"), again
        assert order_of(c, order_id)["order"]["tracking_number"] == number


def test_a_rest_demo_label_gets_its_number(tenant: Tenant) -> None:
    order_id = tenant.order("ready_to_ship")
    r = tenant.act(order_id, {"action": "print_label", "carrier": "demo"})
    assert r.status_code == 200, r.text
    with tenant.client() as c:
        shown = order_of(c, order_id)["order"]
    assert shown["tracking_number"].startswith("SFD")
    assert shown["service"] == "Ground"


def test_a_carrier_that_does_not_issue_here_keeps_the_label_without_a_number(
    tenant: Tenant,
) -> None:
    order_id = new_order(tenant)
    with tenant.client() as c:
        walk_to_ready(c, order_id)
        (result,) = push(c, mutation(order_id, "print_label", carrier="ups"))
        assert result["status"] == "applied", result
        assert order_of(c, order_id)["order"]["tracking_number"] == ""
        assert c.get(f"/api/orders/{order_id}/label.pdf").status_code == 409
