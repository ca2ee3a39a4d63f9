"""Preferences decide who hears what; the hooks other domains call; VAPID key rotation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from server.db import begin_write, create_engine, session_factory
from server.notifications import service as notifications
from server.notifications.webpush import rotate_key
from server.orders.models import OrderRow
from server.orders.store import decode_order
from shared.lifecycle import Event
from tests.notifications.conftest import SmtpSink
from tests.notifications.helpers import eventually, for_subscription, subscribe, vapid_key
from tests.notifications.push_service import PushClient
from tests.notifications.test_events import listen, next_event
from tests.support import Tenant, intake_order


def test_preferences_start_from_defaults_and_are_checked(shop: Tenant) -> None:
    with shop.client() as c:
        owner = c.get("/api/notifications/preferences").json()
    with shop.client("staff") as c:
        staff = c.get("/api/notifications/preferences").json()
        bad = c.put("/api/notifications/preferences", json={"push": ["order_changed"]})
        late = c.put(
            "/api/notifications/preferences",
            json={"push": ["new_order"], "quiet_hours": {"start": "25:00", "end": "07:00"}},
        )
    assert owner["email"] == ["new_order", "order_delayed", "conflict"]
    assert staff["email"] == [] and staff["push"] == ["new_order", "order_delayed", "conflict"]
    assert bad.status_code == 400 and "push" in bad.text
    assert late.status_code == 400 and "quiet_hours.start" in late.text


def test_a_user_who_turned_push_off_gets_none(
    shop: Tenant, push: PushClient, smtp: SmtpSink
) -> None:
    (owner,) = subscribe(shop, push, "owner")
    (staff,) = subscribe(shop, push, "staff")
    with shop.client("staff") as c:
        r = c.put("/api/notifications/preferences", json={"push": [], "email": ["new_order"]})
        assert r.status_code == 200 and r.json()["push"] == []
    order_id = shop.intake(intake_order()).json()["order_id"]

    eventually(lambda: for_subscription(push.received(), owner["push_id"]))
    assert smtp.wait_for(shop.staff_email), "staff asked for new-order email"
    time.sleep(0.3)
    assert not for_subscription(push.received(), staff["push_id"])
    assert order_id


async def _record_conflict(database_url: str, vendor_id: str, order_id: str) -> None:
    """What the sync engine does when two devices clash: the hook, in its transaction."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await begin_write(session)
            order = decode_order(await session.get_one(OrderRow, order_id))
            detail = {
                "id": f"c-{order_id}",
                "message": "Shipped on one phone, cancelled on another.",
            }
            await notifications.on_conflict(session, vendor_id, order, detail)
            await session.commit()
    finally:
        await engine.dispose()


def test_a_conflict_alerts_the_dashboard_and_pushes_to_sellers(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (device,) = subscribe(shop, push)
    order_id = shop.intake(intake_order()).json()["order_id"]
    bearer = {"Authorization": f"Bearer {shop.owner_token}"}
    with listen(f"{shop.base_url}/api/events", bearer) as events:
        asyncio.run(_record_conflict(notify_db, shop.vendor_id, order_id))
        alert = next_event(events, "conflict")
    assert alert["order_id"] == order_id
    assert alert["message"] == "Shipped on one phone, cancelled on another."
    pushes = eventually(
        lambda: [
            m
            for m in for_subscription(push.received(), device["push_id"])
            if m["message"]["title"].startswith("Conflict")
        ]
    )
    assert pushes[0]["message"]["body"] == "Shipped on one phone, cancelled on another."
    # The same conflict reported again (a retried sync push) is one notification.
    asyncio.run(_record_conflict(notify_db, shop.vendor_id, order_id))
    time.sleep(0.5)
    titles = [m["message"]["title"] for m in for_subscription(push.received(), device["push_id"])]
    assert sum(t.startswith("Conflict") for t in titles) == 1


async def _rotate(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return (await rotate_key(session)).public_key
    finally:
        await engine.dispose()


def test_after_a_key_rotation_old_and_new_subscriptions_both_get_pushes(
    shop: Tenant, push: PushClient, notify_db: str
) -> None:
    (old,) = subscribe(shop, push, prefix="before")
    new_key = asyncio.run(_rotate(notify_db))
    assert vapid_key(shop.base_url)["public_key"] == new_key
    (new,) = subscribe(shop, push, prefix="after")
    order_id = shop.intake(intake_order()).json()["order_id"]

    # The push service accepts a push only if signed by the key the browser subscribed with.
    def got(device: dict[str, Any]) -> bool:
        pushes = for_subscription(push.received(), device["push_id"])
        return any(m["message"]["data"]["order_id"] == order_id for m in pushes)

    eventually(lambda: got(old) and got(new))


async def _sync_batch(database_url: str, vendor_id: str, order_ids: list[str]) -> None:
    """What the sync engine does after merging a push batch: one call for every order."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await begin_write(session)
            changes = []
            for i, order_id in enumerate(order_ids):
                before = decode_order(await session.get_one(OrderRow, order_id))
                after = msgspec.structs.replace(before, version=before.version + 1)
                clash = {"id": f"batch-{order_id}", "message": "Two tracking numbers."}
                events = [Event("conflict", clash)] if i == 0 else []
                changes.append((before, after, events))
            await notifications.on_orders_changed(session, vendor_id, changes)
            await session.commit()
    finally:
        await engine.dispose()


def test_a_sync_batch_announces_each_order_and_its_conflicts(shop: Tenant, notify_db: str) -> None:
    order_ids = [shop.intake(intake_order()).json()["order_id"] for _ in range(2)]
    bearer = {"Authorization": f"Bearer {shop.owner_token}"}
    with listen(f"{shop.base_url}/api/events", bearer) as events:
        asyncio.run(_sync_batch(notify_db, shop.vendor_id, order_ids))
        changed = {next_event(events, "order_changed")["order_id"] for _ in order_ids}
        conflict = next_event(events, "conflict")
    assert changed == set(order_ids)
    assert conflict["order_id"] == order_ids[0]
