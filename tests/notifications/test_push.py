"""Web Push of new orders: content, the push service's answers, subscriptions, keys."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server.notifications.webpush import topic_for
from tests.notifications.helpers import (
    attempts,
    delivery_status,
    eventually,
    for_subscription,
    subscribe,
    vapid_key,
)
from tests.notifications.push_service import PushClient
from tests.support import ServerThread, Tenant, intake_order


def _of_order(push: PushClient, order_id: str) -> list[dict[str, Any]]:
    return [m for m in push.received() if m["message"]["data"].get("order_id") == order_id]


def test_a_new_order_reaches_every_subscribed_device_of_the_vendor(
    shop: Tenant, other_shop: Tenant, push: PushClient, notify_db: str
) -> None:
    owner = subscribe(shop, push, "owner", devices=2, prefix="phone")
    staff = subscribe(shop, push, "staff", devices=1, prefix="tablet")
    stranger = subscribe(other_shop, push, "owner", devices=1)
    r = shop.intake(intake_order())
    assert r.status_code == 201, r.text
    order_id, number = r.json()["order_id"], r.json()["number"]

    mine = [s["push_id"] for s in owner + staff]
    got = eventually(lambda: len(_of_order(push, order_id)) >= 3 and _of_order(push, order_id))
    assert sorted(m["subscription"] for m in got) == sorted(mine)
    assert not for_subscription(push.received(), stranger[0]["push_id"])
    for m in got:
        msg = m["message"]
        assert msg["title"] == f"New order {number}"
        # 2 mugs at 15.00 and a tote at 25.00, plus 4.99 shipping; paid, so a ship-by date.
        assert msg["body"].startswith("3 items · $59.99 · ship by ")
        assert msg["data"]["url"] == f"/orders/{order_id}"
        assert msg["tag"] == f"order-{order_id}"
        assert m["ttl"] == 24 * 3600
        assert m["urgency"] == "high"
        assert m["topic"] == topic_for(order_id) and len(m["topic"]) <= 32
        assert m["claims"]["aud"] == push.url
        assert m["claims"]["sub"].startswith("mailto:")
        assert m["claims"]["exp"] - time.time() <= 24 * 3600
    ids = [sub["id"] for sub in owner + staff]
    eventually(lambda: all(delivery_status(notify_db, i) == "sent" for i in ids))


def test_a_410_from_the_push_service_removes_that_subscription(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    gone, kept = subscribe(shop, push, devices=2, prefix="old")
    push.script(gone["push_id"], responses=[{"status": 410}])
    order_id = shop.intake(intake_order()).json()["order_id"]

    eventually(lambda: delivery_status(notify_db, gone["id"]) == "gone")
    with shop.client() as c:
        ids = [s["id"] for s in c.get("/api/push/subscriptions").json()]
    assert gone["id"] not in ids and kept["id"] in ids
    assert [a[0] for a in attempts(notify_db, gone["id"])] == ["gone"]
    eventually(
        lambda: [m for m in _of_order(push, order_id) if m["subscription"] == kept["push_id"]]
    )


def test_a_429_with_retry_after_is_retried_later_and_delivered_once(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (sub,) = subscribe(shop, push)
    push.script(sub["push_id"], responses=[{"status": 429, "headers": {"Retry-After": "1"}}])
    shop.intake(intake_order())

    got = eventually(lambda: for_subscription(push.received(), sub["push_id"]))
    time.sleep(0.5)  # nothing more may come
    assert len(for_subscription(push.received(), sub["push_id"])) == 1
    log = [e for e in push.log() if e["subscription"] == sub["push_id"]]
    assert [e["status"] for e in log] == [429, 201]
    assert log[1]["at"] - log[0]["at"] >= 1.0, "retried before Retry-After said"
    assert got[0]["message"]["title"].startswith("New order")
    eventually(lambda: delivery_status(notify_db, sub["id"]) == "sent")
    assert attempts(notify_db, sub["id"]) == [("retry", 429, 1.0), ("sent", 201, None)]


def test_server_errors_are_retried_with_backoff(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (sub,) = subscribe(shop, push)
    push.script(sub["push_id"], responses=[{"status": 500}, {"status": 503}])
    shop.intake(intake_order())

    eventually(lambda: for_subscription(push.received(), sub["push_id"]))
    eventually(lambda: delivery_status(notify_db, sub["id"]) == "sent")
    assert [a[:2] for a in attempts(notify_db, sub["id"])] == [
        ("retry", 500),
        ("retry", 503),
        ("sent", 201),
    ]


def test_a_413_is_retried_once_with_a_shortened_payload(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (sub,) = subscribe(shop, push)
    push.script(sub["push_id"], max_body=200)  # the full payload is bigger, the short one fits
    order_id = shop.intake(intake_order()).json()["order_id"]

    (got,) = eventually(lambda: for_subscription(push.received(), sub["push_id"]))
    assert set(got["message"]) == {"title", "data"}
    assert got["message"]["data"] == {"url": f"/orders/{order_id}"}
    eventually(lambda: delivery_status(notify_db, sub["id"]) == "sent")
    assert [a[:2] for a in attempts(notify_db, sub["id"])] == [("too_large", 413), ("sent", 201)]


def test_quiet_hours_hold_pushes_until_they_end(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (sub,) = subscribe(shop, push)
    # A quiet window around now in the vendor's zone (New York), ending in about 2 hours.
    now = datetime.now(UTC).astimezone(ZoneInfo("America/New_York"))
    start, end = f"{(now.hour - 1) % 24:02d}:00", f"{(now.hour + 2) % 24:02d}:00"
    prefs = {"push": ["new_order"], "quiet_hours": {"start": start, "end": end}}
    with shop.client() as c:
        assert c.put("/api/notifications/preferences", json=prefs).status_code == 200
    shop.intake(intake_order())

    eventually(lambda: delivery_status(notify_db, sub["id"]) == "pending")
    due = eventually(lambda: db_due(notify_db, sub["id"]))
    assert (due - datetime.now(UTC)).total_seconds() > 3600
    assert not for_subscription(push.received(), sub["push_id"])


def db_due(database_url: str, target: str) -> datetime | None:
    """When the delivery to a target is next due."""
    from tests.support import db_value

    value = db_value(
        database_url,
        "SELECT next_attempt_at FROM notification_deliveries WHERE target = :t",
        t=target,
    )
    if value is None:
        return None
    due = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(due, datetime)
    return due if due.tzinfo else due.replace(tzinfo=UTC)


def test_subscriptions_belong_to_their_user_and_device(shop: Tenant, push: PushClient) -> None:
    first = subscribe(shop, push, prefix="laptop")
    again = subscribe(shop, push, prefix="laptop")  # same device, a new subscription
    with shop.client() as c:
        ids = [s["id"] for s in c.get("/api/push/subscriptions").json()]
    assert ids == [again[0]["id"]]
    with shop.client("staff") as c:
        assert c.delete(f"/api/push/subscriptions/{again[0]['id']}").status_code == 404
    with shop.client() as c:
        assert c.delete(f"/api/push/subscriptions/{again[0]['id']}").status_code == 204
        assert c.get("/api/push/subscriptions").json() == []
    assert first[0]["id"] != again[0]["id"]


def test_a_subscription_must_be_a_real_push_endpoint(shop: Tenant, push: PushClient) -> None:
    key = vapid_key(shop.base_url)
    good = push.subscriptions(1, key["public_key"])[0]
    with shop.client() as c:
        r = c.post(
            "/api/push/subscriptions",
            json={"endpoint": "ftp://push.example.com/x", "keys": good["keys"]},
        )
        assert r.status_code == 400 and "endpoint" in r.json()["detail"]
        bad_keys = {"p256dh": "AAAAAAAAAAAA", "auth": good["keys"]["auth"]}
        r = c.post("/api/push/subscriptions", json={"endpoint": good["endpoint"], "keys": bad_keys})
        assert r.status_code == 400 and "p256dh" in r.json()["detail"]
    assert httpx.post(f"{shop.base_url}/api/push/subscriptions", json={}).status_code == 401


def test_the_public_key_is_shared_and_never_the_private_one(server: ServerThread) -> None:
    first, second = vapid_key(server.url), vapid_key(server.url)
    assert first == second
    assert set(first) == {"public_key", "key_id"}
    assert len(first["public_key"]) == 87  # 65 bytes, base64url
