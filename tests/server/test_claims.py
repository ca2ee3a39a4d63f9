"""Claims ("I'm picking this"): one person per order, renewed while working, running out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.support import Tenant, db_value


def put_claim(
    tenant: Tenant, order_id: str, role: str = "staff", device: str = "phone-1", **body: Any
) -> httpx.Response:
    """PUT /api/orders/{id}/claim as the owner or the staff member, from a named device."""
    with tenant.client(role) as c:
        return c.put(f"/api/orders/{order_id}/claim", json=body, headers={"X-Device-Id": device})


def board(tenant: Tenant, role: str = "owner") -> dict[str, Any]:
    """GET /api/claims (200 expected)."""
    r = tenant.get("/api/claims", role=role)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def release(tenant: Tenant, order_id: str, role: str = "staff") -> httpx.Response:
    """DELETE /api/orders/{id}/claim."""
    with tenant.client(role) as c:
        return c.delete(f"/api/orders/{order_id}/claim")


def at(text: str) -> datetime:
    """A timestamp from the API."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_claim_names_who_is_on_the_order_and_everyone_sees_it(tenant: Tenant) -> None:
    order_id = tenant.order("processing")
    r = put_claim(tenant, order_id, minutes=15)
    assert r.status_code == 200, r.text
    claim = r.json()
    assert (claim["order_id"], claim["user_name"], claim["device_id"]) == (
        order_id,
        "Sid Staff",
        "phone-1",
    )
    length = at(claim["expires_at"]) - at(claim["claimed_at"])
    assert length == timedelta(minutes=15)
    seen = board(tenant, role="owner")
    assert [c["order_id"] for c in seen["claims"]] == [order_id]
    assert at(seen["server_time"]) < at(claim["expires_at"])


def test_someone_else_is_told_who_holds_the_order_and_nothing_changes(tenant: Tenant) -> None:
    order_id = tenant.order("new")
    assert put_claim(tenant, order_id).status_code == 200
    r = put_claim(tenant, order_id, role="owner", device="tablet")
    assert r.status_code == 409, r.text
    body = r.json()
    assert "Sid Staff is working on order" in body["detail"]
    assert body["code"] == "claimed"
    assert body["claim"]["user_name"] == "Sid Staff"
    (held,) = board(tenant)["claims"]
    assert (held["user_name"], held["device_id"]) == ("Sid Staff", "phone-1")


def test_renewing_ones_own_claim_extends_it_and_keeps_when_it_began(tenant: Tenant) -> None:
    order_id = tenant.order("new")
    first = put_claim(tenant, order_id, minutes=5).json()
    again = put_claim(tenant, order_id, device="phone-2", minutes=30)
    assert again.status_code == 200, again.text
    renewed = again.json()
    assert renewed["claimed_at"] == first["claimed_at"]
    assert at(renewed["expires_at"]) > at(first["expires_at"])
    assert renewed["device_id"] == "phone-2"


def test_a_take_over_replaces_the_holder_on_purpose(tenant: Tenant) -> None:
    order_id = tenant.order("new")
    assert put_claim(tenant, order_id).status_code == 200
    r = put_claim(tenant, order_id, role="owner", device="tablet", take_over=True)
    assert r.status_code == 200, r.text
    assert r.json()["user_name"] == "Olive Owner"
    (held,) = board(tenant)["claims"]
    assert held["user_name"] == "Olive Owner"


def test_a_claim_that_ran_out_is_gone_and_anyone_may_claim_again(
    tenant: Tenant, database_url: str
) -> None:
    order_id = tenant.order("new")
    assert put_claim(tenant, order_id).status_code == 200
    # Let it run out (a picker who walked away), without waiting a quarter of an hour.
    ran_out = db_value(
        database_url,
        "UPDATE order_claims SET expires_at = claimed_at WHERE order_id = :id RETURNING order_id",
        id=order_id,
    )
    assert ran_out == order_id
    assert board(tenant)["claims"] == []
    r = put_claim(tenant, order_id, role="owner", device="tablet")
    assert r.status_code == 200, r.text
    assert r.json()["user_name"] == "Olive Owner"


def test_an_order_with_no_work_left_cannot_be_claimed_and_leaves_the_board(
    tenant: Tenant,
) -> None:
    shipped = tenant.order("shipped")
    r = put_claim(tenant, shipped)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "not_claimable"
    assert "shipped" in r.json()["detail"]
    working = tenant.order("processing")
    assert put_claim(tenant, working).status_code == 200
    assert tenant.act(working, {"action": "cancel", "reason": "customer_request"}).is_success
    assert board(tenant)["claims"] == []


def test_only_the_holder_or_an_owner_may_release_a_live_claim(tenant: Tenant) -> None:
    mine = tenant.order("new")
    assert put_claim(tenant, mine, role="owner", device="tablet").status_code == 200
    refused = release(tenant, mine, role="staff")
    assert refused.status_code == 409, refused.text
    assert "Olive Owner" in refused.json()["detail"]
    assert release(tenant, mine, role="owner").status_code == 204
    assert release(tenant, mine, role="owner").status_code == 204  # nothing held: no error
    theirs = tenant.order("new")
    assert put_claim(tenant, theirs).status_code == 200
    assert release(tenant, theirs, role="owner").status_code == 204
    assert board(tenant)["claims"] == []


def test_claims_of_an_unknown_order_are_404_and_bad_lengths_are_400(tenant: Tenant) -> None:
    assert put_claim(tenant, "no-such-order").status_code == 404
    assert release(tenant, "no-such-order").status_code == 404
    order_id = tenant.order("new")
    for body in ({"minutes": 0}, {"minutes": 121}, {"minutes": "soon"}, {"until": "later"}):
        r = put_claim(tenant, order_id, **body)
        assert r.status_code == 400, (body, r.text)
    assert board(tenant)["claims"] == []


def test_two_people_tapping_at_once_leave_exactly_one_holder(tenant: Tenant) -> None:
    order_id = tenant.order("new")
    roles = ["owner", "staff"] * 8
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda role: (role, put_claim(tenant, order_id, role=role)), roles))
    winners = {role for role, r in answers if r.status_code == 200}
    assert len(winners) == 1, [(role, r.status_code, r.text) for role, r in answers]
    (loser,) = {"owner", "staff"} - winners
    assert all(r.status_code == 409 for role, r in answers if role == loser)
    (held,) = board(tenant)["claims"]
    assert held["user_name"] == ("Olive Owner" if winners == {"owner"} else "Sid Staff")
