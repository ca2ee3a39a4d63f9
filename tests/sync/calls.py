"""Helpers for the sync API tests: build mutations, push them, pull the feed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import Tenant, intake_order

TRACKING_A = "SFD0000000001"
TRACKING_B = "SFD0000000002"


def mutation(
    order_id: str, action: str, device: str = "dev-a", mid: str | None = None, **args: Any
) -> dict[str, Any]:
    """One mutation as a device sends it in JSON."""
    return {
        "mutation_id": mid or uuid.uuid4().hex,
        "device_id": device,
        "order_id": order_id,
        "command": {"action": action, **args},
        "client_time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }


def push(client: httpx.Client, *mutations: dict[str, Any], device: str = "dev-a") -> Any:
    """Push a batch as JSON; the parsed results (asserting 200)."""
    r = client.post("/api/sync/push", json={"device_id": device, "mutations": list(mutations)})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def pull(client: httpx.Client, cursor: str = "", limit: int = 100) -> Any:
    """One pull page as JSON (asserting 200)."""
    r = client.get("/api/sync/pull", params={"cursor": cursor, "limit": limit})
    assert r.status_code == 200, r.text
    return r.json()


def pull_all(client: httpx.Client, cursor: str = "", limit: int = 100) -> tuple[list[Any], str]:
    """Every change after ``cursor``, page by page; and the cursor to continue from."""
    changes: list[Any] = []
    while True:
        page = pull(client, cursor, limit)
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


def new_order(tenant: Tenant, **overrides: Any) -> str:
    """A paid, reviewed, in-stock order from intake: New, ready to start processing."""
    r = tenant.intake(intake_order(**overrides))
    assert r.status_code == 201, r.text
    return str(r.json()["order_id"])


def order_of(client: httpx.Client, order_id: str) -> Any:
    """The order screen's data."""
    r = client.get(f"/api/orders/{order_id}")
    assert r.status_code == 200, r.text
    return r.json()


def walk_to_ready(client: httpx.Client, order_id: str, device: str = "dev-a") -> None:
    """Start, pick everything, inspect, pack and print the slip, through sync."""
    lines = order_of(client, order_id)["order"]["lines"]
    steps = [mutation(order_id, "start_processing", device)]
    steps += [
        mutation(order_id, "pick", device, line_id=ln["id"], quantity=ln["quantity"])
        for ln in lines
    ]
    steps += [
        mutation(order_id, "inspect", device),
        mutation(order_id, "pack", device, package_type="box", weight_grams=900),
        mutation(order_id, "print_slip", device),
    ]
    results = push(client, *steps, device=device)
    assert [r["status"] for r in results] == ["applied"] * len(steps), results
