"""Tenant isolation on every route of the API: another vendor's data is never seen or touched.

``ROUTES`` says, for every method and path of the app's route table, how that route keeps
vendors apart, and a check proves it. A route added to the app without an entry here
fails :func:`test_the_table_covers_every_route_of_the_app_exactly`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from server.outofstock.service import choice_signature
from server.settings import Settings
from server.signing import sign
from server.tracking import service as tracking
from server.tracking.confirm import confirmation_signature
from tests.support import ServerThread, Tenant, intake_order


@dataclass
class World:
    """Me, another vendor, and one order and one SKU of theirs."""

    me: Tenant
    them: Tenant
    their_order: str
    their_number: str
    their_sku: str
    my_order: str
    settings: Settings

    def mine(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request signed in as my owner."""
        with self.me.client() as c:
            return c.request(method, path, **kw)

    def their_order_is_untouched(self) -> None:
        """Their order is still New with nothing but intake on its timeline, and no notes."""
        shown = self.them.get(f"/api/orders/{self.their_order}").json()
        assert shown["order"]["status"] == "new"
        assert shown["notes"] == []
        assert {e["source"] for e in shown["timeline"]} == {"intake"}


Check = Callable[[World], None]


def not_found_for_their_order(method: str, path: str, body: Any = None) -> Check:
    """The route answers 404 for their order, exactly as for an order that does not exist."""

    def check(w: World) -> None:
        theirs = w.mine(method, path.format(order_id=w.their_order), json=body)
        assert theirs.status_code == 404, theirs.text
        assert theirs.json()["detail"] == f"order {w.their_order!r} not found"
        missing = str(uuid.uuid4())
        nobody = w.mine(method, path.format(order_id=missing), json=body)
        assert nobody.status_code == 404
        assert nobody.json()["detail"] == f"order {missing!r} not found"
        w.their_order_is_untouched()

    return check


def not_found_for_their_sku(method: str, path: str, body: Any = None) -> Check:
    """The route answers 404 for a SKU only they have, and their stock is unchanged."""

    def check(w: World) -> None:
        r = w.mine(method, path.format(sku=w.their_sku), json=body)
        assert r.status_code == 404, r.text
        assert r.json()["detail"] == f"SKU {w.their_sku!r} not found"
        assert w.them.get(f"/api/inventory/{w.their_sku}").json()["on_hand"] == 7

    return check


def put_of_their_sku_makes_my_own(w: World) -> None:
    r = w.mine("PUT", f"/api/inventory/{w.their_sku}", json={"name": "Mine", "on_hand": 1})
    assert r.status_code == 200, r.text
    theirs = w.them.get(f"/api/inventory/{w.their_sku}").json()
    assert (theirs["name"], theirs["on_hand"]) == ("Their SKU", 7)
    assert w.me.get(f"/api/inventory/{w.their_sku}").json()["on_hand"] == 1


def inventory_list_shows_only_mine(w: World) -> None:
    skus = [i["sku"] for i in w.me.get("/api/inventory", limit=500).json()]
    assert w.their_sku not in skus
    assert w.me.get("/api/inventory", q="their").json() == []
    # the same SKU name at both vendors: I see my stock, not theirs
    assert w.me.get("/api/inventory/MUG-1").json()["reserved"] == 2


def list_shows_only_mine(w: World) -> None:
    listed = [o["id"] for o in w.me.get("/api/orders", limit=200).json()["items"]]
    assert w.their_order not in listed and len(listed) == 1
    assert w.me.get("/api/orders", q=w.their_number).json()["items"] == []


def counts_count_only_mine(w: World) -> None:
    assert w.me.get("/api/orders/counts").json()["total"] == 1
    assert w.me.get("/api/orders/counts", q=w.their_number).json()["total"] == 0


def export_exports_only_mine(w: World) -> None:
    text = w.me.get("/api/orders/export.csv").content.decode("utf-8-sig")
    assert w.their_number not in text
    assert len(text.strip().splitlines()) == 2  # header and my one order


def bulk_reports_their_order_not_found(w: World) -> None:
    r = w.mine(
        "POST",
        "/api/orders/bulk",
        json={"order_ids": [w.their_order], "command": {"action": "hold"}},
    )
    assert r.status_code == 200
    assert r.json()["results"][0]["code"] == "not_found"
    w.their_order_is_untouched()


def me_is_my_vendor(w: World) -> None:
    assert w.mine("GET", "/api/me").json()["vendor"]["id"] == w.me.vendor_id


def users_are_only_mine(w: World) -> None:
    emails = {u["email"] for u in w.mine("GET", "/api/users").json()}
    assert emails == {w.me.owner_email, w.me.staff_email}


def new_user_joins_my_vendor(w: World) -> None:
    email = f"joiner-{uuid.uuid4().hex[:8]}@example.com"
    made = w.mine(
        "POST", "/api/users", json={"email": email, "name": "J", "password": "long enough"}
    )
    assert made.json()["vendor_id"] == w.me.vendor_id
    with w.them.client() as c:
        assert email not in {u["email"] for u in c.get("/api/users").json()}


def api_keys_are_only_mine(w: World) -> None:
    keys = {k["id"] for k in w.mine("GET", "/api/api-keys").json()}
    assert keys == {w.me.key_id}


def new_api_key_is_mine(w: World) -> None:
    made = w.mine("POST", "/api/api-keys", json={"name": "X", "marketplace": "x"}).json()
    with w.them.client() as c:
        assert made["id"] not in {k["id"] for k in c.get("/api/api-keys").json()}
    assert made["id"] in {k["id"] for k in w.mine("GET", "/api/api-keys").json()}


def intake_files_orders_under_the_keys_vendor(w: World) -> None:
    r = w.me.intake(intake_order(number=w.their_number))  # same number, other vendor: fine
    assert r.status_code == 201, r.text
    assert w.them.get(f"/api/orders/{r.json()['order_id']}").status_code == 404
    assert w.me.get(f"/api/orders/{r.json()['order_id']}").status_code == 200


def public_and_vendor_free(path: str, status: int = 200) -> Check:
    """A public route that holds no vendor's data: it answers without a token."""

    def check(w: World) -> None:
        r = httpx.get(f"{w.me.base_url}{path}")
        assert r.status_code == status, r.text
        assert w.their_number not in r.text and w.them.vendor_id not in r.text

    return check


def sign_in_is_by_credentials(w: World) -> None:
    r = httpx.post(
        f"{w.me.base_url}/api/auth/login",
        json={"email": w.me.owner_email, "password": w.me.password},
    )
    assert r.json()["vendor"]["id"] == w.me.vendor_id


def refresh_stays_in_my_vendor(w: World) -> None:
    r = httpx.post(
        f"{w.me.base_url}/api/auth/refresh",
        json={"refresh_token": w.me.tokens["owner"]["refresh_token"]},
    )
    assert r.json()["vendor"]["id"] == w.me.vendor_id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unique_ups_tracking() -> str:
    """A UPS-shaped tracking number nobody else in the test database has."""
    return "1Z" + uuid.uuid4().hex[:16].upper()


def ship(tenant: Tenant, tracking_number: str) -> str:
    """A new order of the tenant, shipped with UPS under this tracking number."""
    order_id = tenant.order("ready_to_ship")
    for command in (
        {"action": "print_label"},
        {"action": "attach_label"},
        {"action": "ship", "carrier": "ups", "tracking_number": tracking_number},
    ):
        assert tenant.act(order_id, command).status_code == 200
    return order_id


def documents_of_their_orders_are_not_found(path: str) -> Check:
    """A multi-order PDF refuses their order as not found."""

    def check(w: World) -> None:
        r = w.mine("GET", path, params={"order_id": [w.my_order, w.their_order]})
        assert r.status_code == 404, r.text
        assert w.their_order in r.json()["detail"]
        w.their_order_is_untouched()

    return check


def printing_reports_their_order_not_found(w: World) -> None:
    body = {"kind": "packing_slip", "order_ids": [w.their_order]}
    r = w.mine("POST", "/api/documents/print", json=body)
    assert r.status_code == 200, r.text
    assert [x["code"] for x in r.json()["results"]] == ["not_found"]
    w.their_order_is_untouched()


def document_link_to_their_order_is_not_found(w: World) -> None:
    body = {"kind": "packing_slip", "order_ids": [w.my_order, w.their_order]}
    r = w.mine("POST", "/api/documents/links", json=body)
    assert r.status_code == 404, r.text
    assert r.json()["detail"] == f"order {w.their_order!r} not found"


def signed_document_link_opens_only_its_own_orders(path: str) -> Check:
    """My signed link opens my PDF without a token; pointed at their vendor or order, 403."""

    def check(w: World) -> None:
        kind = "label" if path.endswith("labels.pdf") else "packing_slip"
        my_order = w.me.order("ready_to_ship") if kind == "label" else w.my_order
        if kind == "label":
            body = {"kind": "label", "order_ids": [my_order]}
            assert w.mine("POST", "/api/documents/print", json=body).json()["printed"] == 1
        made = w.mine("POST", "/api/documents/links", json={"kind": kind, "order_ids": [my_order]})
        signed = made.json()["url"]
        assert signed.startswith(path + "?")
        assert httpx.get(w.me.base_url + signed).status_code == 200
        for swap in (
            (my_order, w.their_order),
            (w.me.vendor_id, w.them.vendor_id),
        ):
            r = httpx.get(w.me.base_url + signed.replace(*swap))
            assert r.status_code == 403, r.text
            assert w.their_number not in r.text
        w.their_order_is_untouched()

    return check


def carrier_events_land_only_on_the_parcels_order(w: World) -> None:
    mine, theirs = unique_ups_tracking(), unique_ups_tracking()
    my_order, their_order = ship(w.me, mine), ship(w.them, theirs)
    body = json.dumps(
        {
            "event_id": f"ev-{uuid.uuid4()}",
            "tracking_number": mine,
            "status": "delivered",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    stamp = str(int(time.time()))
    signature = sign(tracking.webhook_secret(w.settings, "ups"), stamp, body)
    r = httpx.post(
        f"{w.me.base_url}/api/tracking/ups/events",
        content=body,
        headers={"X-Shipfloor-Timestamp": stamp, "X-Shipfloor-Signature": signature},
    )
    assert r.status_code == 202, r.text
    assert r.json()["order_id"] == my_order
    assert w.me.get(f"/api/orders/{my_order}").json()["order"]["status"] == "delivered"
    assert w.them.get(f"/api/orders/{their_order}").json()["order"]["status"] == "shipped"
    # a vendor's own token is no carrier signature
    forged = w.mine("POST", "/api/tracking/ups/events", content=body)
    assert forged.status_code == 401


def signed_link(path: str, sign: Callable[[str, str], str], method: str) -> Check:
    """A public link signed for my order does not open theirs (nor does a made-up one)."""

    def check(w: World) -> None:
        for sig in (sign(w.settings.secret_key, w.my_order), "0" * 64):
            form = {"choice": "wait"} if method == "POST" else None
            url = w.me.base_url + path.format(order_id=w.their_order)
            r = httpx.request(method, url, params={"sig": sig}, data=form)
            assert r.status_code in (403, 404), r.text
            assert w.their_number not in r.text
        w.their_order_is_untouched()

    return check


def payouts_are_only_mine(path: str) -> Check:
    """Their delivered, confirmed order's payout never shows in my payouts."""

    def check(w: World) -> None:
        paid = w.them.order("delivered")
        assert w.them.act(paid, {"action": "confirm_delivery"}).status_code == 200
        with w.them.client() as c:
            assert paid in c.get("/api/payouts").text
        r = w.mine("GET", path)
        assert r.status_code == 200, r.text
        assert paid not in r.text
        assert w.their_number not in r.text

    return check


def metrics_count_only_mine(w: World) -> None:
    def mine() -> Any:
        body = w.mine("GET", "/api/metrics").json()
        assert body["vendor_id"] == w.me.vendor_id
        return [{k: v for k, v in m.items() if k not in ("start", "end")} for m in body["windows"]]

    before = mine()
    w.them.order("shipped")
    w.them.order("cancelled")
    assert mine() == before


def _subscription() -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {
        "endpoint": f"https://push.invalid/{uuid.uuid4().hex}",
        "keys": {"p256dh": _b64(point), "auth": _b64(uuid.uuid4().bytes)},
    }


def _subscribe(tenant: Tenant) -> dict[str, Any]:
    with tenant.client() as c:
        key = c.get("/api/push/vapid-public-key")
        body = {**_subscription(), "key_id": key.json()["key_id"]} if key.is_success else {}
        r = c.post("/api/push/subscriptions", json=body or _subscription())
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def push_subscriptions_are_only_mine(w: World) -> None:
    theirs = _subscribe(w.them)
    listed = w.mine("GET", "/api/push/subscriptions").json()
    assert theirs["id"] not in {s["id"] for s in listed}


def my_push_subscription_is_mine(w: World) -> None:
    mine = _subscribe(w.me)
    with w.them.client() as c:
        assert mine["id"] not in {s["id"] for s in c.get("/api/push/subscriptions").json()}


def their_push_subscription_cannot_be_removed(w: World) -> None:
    theirs = _subscribe(w.them)
    r = w.mine("DELETE", f"/api/push/subscriptions/{theirs['id']}")
    assert r.status_code == 404, r.text
    with w.them.client() as c:
        assert theirs["id"] in {s["id"] for s in c.get("/api/push/subscriptions").json()}


def preferences_are_per_user(w: World) -> None:
    with w.them.client() as c:
        r = c.put("/api/notifications/preferences", json={"push": [], "email": [], "dashboard": []})
        assert r.status_code == 200, r.text
    mine = w.mine("GET", "/api/notifications/preferences").json()
    assert mine["push"] != [] or mine["dashboard"] != []


def my_preferences_change_only_mine(w: World) -> None:
    with w.them.client() as c:
        before = c.get("/api/notifications/preferences").json()
    r = w.mine("PUT", "/api/notifications/preferences", json={"push": [], "dashboard": []})
    assert r.status_code == 200, r.text
    with w.them.client() as c:
        assert c.get("/api/notifications/preferences").json() == before


def events_token_is_for_my_vendor(w: World) -> None:
    r = w.mine("POST", "/api/events/token")
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["token"], options={"verify_signature": False})
    assert w.me.vendor_id in json.dumps(claims)
    assert w.them.vendor_id not in json.dumps(claims)


def event_stream_carries_only_my_events(w: World) -> None:
    latest = w.me.order()  # my newest event: the replay is complete once it arrives
    token = w.mine("POST", "/api/events/token").json()["token"]
    seen = b""
    with httpx.stream(
        "GET",
        f"{w.me.base_url}/api/events",
        params={"token": token},
        headers={"Last-Event-ID": "0"},
        timeout=10,
    ) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            seen += chunk
            if latest.encode() in seen:
                break
    assert w.my_order.encode() in seen and latest.encode() in seen
    assert w.their_order.encode() not in seen and w.their_number.encode() not in seen


def pull_brings_only_my_orders(w: World) -> None:
    r = w.mine("GET", "/api/sync/pull", params={"limit": 1000})
    assert r.status_code == 200, r.text
    ids = {change["order"]["id"] for change in r.json()["changes"]}
    assert w.my_order in ids
    assert w.their_order not in ids


def push_of_a_mutation_on_their_order_is_rejected(w: World) -> None:
    batch = {
        "device_id": "tablet-1",
        "mutations": [
            {
                "mutation_id": f"m-{uuid.uuid4()}",
                "device_id": "tablet-1",
                "order_id": w.their_order,
                "command": {"action": "hold"},
                "client_time": datetime.now(UTC).isoformat(),
            }
        ],
    }
    r = w.mine("POST", "/api/sync/push", json=batch)
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["status"] == "rejected"
    w.their_order_is_untouched()


def their_conflict_cannot_be_settled(w: World) -> None:
    order_id = w.them.order("processing")
    over_pick = {
        "device_id": "their-phone",
        "mutations": [
            {
                "mutation_id": f"m-{uuid.uuid4()}",
                "device_id": "their-phone",
                "order_id": order_id,
                "command": {"action": "pick", "code": "MUG-1", "quantity": 5},
                "client_time": datetime.now(UTC).isoformat(),
            }
        ],
    }
    with w.them.client() as c:
        assert c.post("/api/sync/push", json=over_pick).status_code == 200
    (conflict,) = w.them.get(f"/api/orders/{order_id}").json()["conflicts"]
    r = w.mine("POST", f"/api/sync/conflicts/{conflict['id']}/resolve", json={})
    assert r.status_code == 404, r.text
    assert len(w.them.get(f"/api/orders/{order_id}").json()["conflicts"]) == 1


def due_counts_count_only_mine(w: World) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=12)).isoformat()
    w.them.intake(intake_order(paid_at=long_ago, placed_at=long_ago))
    assert w.them.get("/api/orders/due-counts").json()["overdue"] == 1
    assert w.mine("GET", "/api/orders/due-counts").json()["overdue"] == 0


def claims_are_only_mine(w: World) -> None:
    with w.them.client() as c:
        r = c.put(f"/api/orders/{w.their_order}/claim", json={})
        assert r.status_code == 200, r.text
    r = w.mine("GET", "/api/claims")
    assert r.status_code == 200, r.text
    assert w.their_order not in r.text
    assert w.them.get("/api/claims").json()["claims"][0]["order_id"] == w.their_order


HOLD = {"action": "hold"}
NOTE = {"kind": "team_message", "text": "peek"}

#: every route of the app (OPTIONS left out) and how it keeps vendors apart
ROUTES: dict[tuple[str, str], Check] = {
    ("POST", "/api/auth/login"): sign_in_is_by_credentials,
    ("POST", "/api/auth/refresh"): refresh_stays_in_my_vendor,
    ("GET", "/api/me"): me_is_my_vendor,
    ("GET", "/api/users"): users_are_only_mine,
    ("POST", "/api/users"): new_user_joins_my_vendor,
    ("GET", "/api/api-keys"): api_keys_are_only_mine,
    ("POST", "/api/api-keys"): new_api_key_is_mine,
    ("GET", "/api/orders"): list_shows_only_mine,
    ("GET", "/api/orders/counts"): counts_count_only_mine,
    ("GET", "/api/orders/due-counts"): due_counts_count_only_mine,
    ("GET", "/api/orders/export.csv"): export_exports_only_mine,
    ("POST", "/api/orders/bulk"): bulk_reports_their_order_not_found,
    ("GET", "/api/orders/{order_id:str}"): not_found_for_their_order(
        "GET", "/api/orders/{order_id}"
    ),
    ("POST", "/api/orders/{order_id:str}/actions"): not_found_for_their_order(
        "POST", "/api/orders/{order_id}/actions", HOLD
    ),
    ("POST", "/api/orders/{order_id:str}/notes"): not_found_for_their_order(
        "POST", "/api/orders/{order_id}/notes", NOTE
    ),
    ("GET", "/api/inventory"): inventory_list_shows_only_mine,
    ("GET", "/api/inventory/{sku:str}"): not_found_for_their_sku("GET", "/api/inventory/{sku}"),
    ("PUT", "/api/inventory/{sku:str}"): put_of_their_sku_makes_my_own,
    ("POST", "/api/inventory/{sku:str}/adjust"): not_found_for_their_sku(
        "POST", "/api/inventory/{sku}/adjust", {"delta": 1, "reason": "peek"}
    ),
    ("POST", "/api/intake/orders"): intake_files_orders_under_the_keys_vendor,
    ("GET", "/health/live"): public_and_vendor_free("/health/live"),
    ("GET", "/health/ready"): public_and_vendor_free("/health/ready"),
    ("GET", "/schema"): public_and_vendor_free("/schema"),
    ("GET", "/schema/openapi.json"): public_and_vendor_free("/schema/openapi.json"),
    ("GET", "/schema/swagger"): public_and_vendor_free("/schema/swagger"),
    ("GET", "/schema/oauth2-redirect.html"): public_and_vendor_free("/schema/oauth2-redirect.html"),
    ("GET", "/schema/{path:str}"): public_and_vendor_free("/schema/nothing-here", 404),
    # documents
    ("GET", "/api/orders/{order_id:str}/packing-slip.pdf"): not_found_for_their_order(
        "GET", "/api/orders/{order_id}/packing-slip.pdf"
    ),
    ("GET", "/api/orders/{order_id:str}/label.pdf"): not_found_for_their_order(
        "GET", "/api/orders/{order_id}/label.pdf"
    ),
    ("GET", "/api/documents/packing-slips.pdf"): documents_of_their_orders_are_not_found(
        "/api/documents/packing-slips.pdf"
    ),
    ("GET", "/api/documents/labels.pdf"): documents_of_their_orders_are_not_found(
        "/api/documents/labels.pdf"
    ),
    ("POST", "/api/documents/print"): printing_reports_their_order_not_found,
    ("POST", "/api/documents/links"): document_link_to_their_order_is_not_found,
    ("GET", "/api/documents/signed/packing-slips.pdf"): (
        signed_document_link_opens_only_its_own_orders("/api/documents/signed/packing-slips.pdf")
    ),
    ("GET", "/api/documents/signed/labels.pdf"): signed_document_link_opens_only_its_own_orders(
        "/api/documents/signed/labels.pdf"
    ),
    # out of stock
    ("POST", "/api/orders/{order_id:str}/contact-customer"): not_found_for_their_order(
        "POST", "/api/orders/{order_id}/contact-customer", {"alternative": ""}
    ),
    ("GET", "/api/public/orders/{order_id:str}/stock-choice"): signed_link(
        "/api/public/orders/{order_id}/stock-choice", choice_signature, "GET"
    ),
    ("POST", "/api/public/orders/{order_id:str}/stock-choice"): signed_link(
        "/api/public/orders/{order_id}/stock-choice", choice_signature, "POST"
    ),
    # claims
    ("PUT", "/api/orders/{order_id:str}/claim"): not_found_for_their_order(
        "PUT", "/api/orders/{order_id}/claim", {}
    ),
    ("DELETE", "/api/orders/{order_id:str}/claim"): not_found_for_their_order(
        "DELETE", "/api/orders/{order_id}/claim"
    ),
    ("GET", "/api/claims"): claims_are_only_mine,
    # tracking
    ("POST", "/api/tracking/{carrier:str}/events"): carrier_events_land_only_on_the_parcels_order,
    ("GET", "/api/public/orders/{order_id:str}/confirm-delivery"): signed_link(
        "/api/public/orders/{order_id}/confirm-delivery", confirmation_signature, "GET"
    ),
    ("POST", "/api/public/orders/{order_id:str}/confirm-delivery"): signed_link(
        "/api/public/orders/{order_id}/confirm-delivery", confirmation_signature, "POST"
    ),
    # payouts and metrics
    ("GET", "/api/payouts"): payouts_are_only_mine("/api/payouts"),
    ("GET", "/api/payouts/export.csv"): payouts_are_only_mine("/api/payouts/export.csv"),
    ("GET", "/api/metrics"): metrics_count_only_mine,
    # notifications
    ("GET", "/api/push/vapid-public-key"): public_and_vendor_free("/api/push/vapid-public-key"),
    ("GET", "/api/push/subscriptions"): push_subscriptions_are_only_mine,
    ("POST", "/api/push/subscriptions"): my_push_subscription_is_mine,
    ("DELETE", "/api/push/subscriptions/{subscription_id:str}"): (
        their_push_subscription_cannot_be_removed
    ),
    ("GET", "/api/notifications/preferences"): preferences_are_per_user,
    ("PUT", "/api/notifications/preferences"): my_preferences_change_only_mine,
    ("POST", "/api/events/token"): events_token_is_for_my_vendor,
    ("GET", "/api/events"): event_stream_carries_only_my_events,
    # sync
    ("GET", "/api/sync/pull"): pull_brings_only_my_orders,
    ("POST", "/api/sync/push"): push_of_a_mutation_on_their_order_is_rejected,
    ("POST", "/api/sync/conflicts/{conflict_id:str}/resolve"): their_conflict_cannot_be_settled,
}


def app_routes(api: ServerThread) -> set[tuple[str, str]]:
    """(method, path) of every handler in the running app's route table."""
    litestar = getattr(api.app, "api", api.app)  # a Dispatcher when the Flet app is served too
    return {
        (method, route.path)
        for route in litestar.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


def test_the_table_covers_every_route_of_the_app_exactly(api: ServerThread) -> None:
    routes = app_routes(api)
    assert routes - set(ROUTES) == set(), "new routes need a tenancy entry in ROUTES"
    assert set(ROUTES) - routes == set(), "ROUTES names routes the app no longer has"


@pytest.fixture
def world(api: ServerThread, tenant: Tenant, other_tenant: Tenant) -> World:
    """Two vendors with one order each (theirs reserves 5 mugs, mine 2) and a SKU only they have."""
    my_order = tenant.order(number=f"MINE-{uuid.uuid4().hex[:6]}")
    number = f"THEIRS-{uuid.uuid4().hex[:6]}"
    their_order = other_tenant.order(number=number, lines=[{"sku": "MUG-1", "quantity": 5}])
    with other_tenant.client() as c:
        r = c.put("/api/inventory/THEIR-SKU", json={"name": "Their SKU", "on_hand": 7})
        assert r.status_code == 200, r.text
    assert api.settings is not None
    return World(tenant, other_tenant, their_order, number, "THEIR-SKU", my_order, api.settings)


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_keeps_vendors_apart(world: World, route: tuple[str, str]) -> None:
    ROUTES[route](world)
