"""Steps the notification tests share: subscribe devices, read delivery rows, wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.notifications.push_service import PushClient
from tests.support import Tenant, db_value


def vapid_key(base_url: str) -> dict[str, str]:
    """The server's public VAPID key (no sign-in needed)."""
    r = httpx.get(f"{base_url}/api/push/vapid-public-key")
    assert r.status_code == 200, r.text
    key: dict[str, str] = r.json()
    return key


def subscribe(
    tenant: Tenant, push: PushClient, role: str = "owner", devices: int = 1, prefix: str = "dev"
) -> list[dict[str, Any]]:
    """Subscribe ``devices`` browsers of the user; each item: server id and push service id."""
    key = vapid_key(tenant.base_url)
    made = []
    for i, sub in enumerate(push.subscriptions(devices, key["public_key"])):
        body = {"endpoint": sub["endpoint"], "keys": sub["keys"], "key_id": key["key_id"]}
        with tenant.client(role) as c:
            r = c.post(
                "/api/push/subscriptions", json=body, headers={"X-Device-Id": f"{prefix}{i}"}
            )
        assert r.status_code == 201, r.text
        made.append({"id": r.json()["id"], "push_id": sub["id"], "endpoint": sub["endpoint"]})
    return made


def for_subscription(received: list[dict[str, Any]], push_id: str) -> list[dict[str, Any]]:
    """The pushes one device got."""
    return [r for r in received if r["subscription"] == push_id]


def eventually(check: Callable[[], Any], timeout: float = 15, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(every)
        value = check()
    assert value, f"gave up waiting after {timeout} s (last: {value!r})"
    return value


def delivery_status(database_url: str, target: str) -> str | None:
    """The status of the newest delivery to a target (subscription id or address)."""
    value = db_value(
        database_url,
        "SELECT status FROM notification_deliveries WHERE target = :t ORDER BY id DESC LIMIT 1",
        t=target,
    )
    return None if value is None else str(value)


def attempts(database_url: str, target: str) -> list[tuple[str, int | None, float | None]]:
    """(outcome, status code, retry-after) of every attempt to a target, oldest first."""
    import asyncio

    from sqlalchemy import text

    from server.db import create_engine

    async def read() -> list[tuple[str, int | None, float | None]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT a.outcome, a.status_code, a.retry_after FROM notification_attempts a"
                        " JOIN notification_deliveries d ON d.id = a.delivery_id"
                        " WHERE d.target = :t ORDER BY a.id"
                    ),
                    {"t": target},
                )
                return [(r[0], r[1], r[2]) for r in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())
