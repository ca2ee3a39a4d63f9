"""Devices against the real server: a store, the real sync client, httpx; seeded orders.

Everything here goes over HTTP on 127.0.0.1 to the test server (or through a fault proxy
in front of it); the server's state is read back through its own REST API.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select

from mobile.store import Store
from mobile.sync import StoredTokens, SyncClient, Tokens
from mobile.transport_httpx import HttpxTransport
from mobile.wire import OrderDetail
from server.accounts import service as accounts
from server.accounts.models import User
from server.db import begin_write, create_engine, session_factory
from server.ids import new_id
from server.settings import Settings
from shared.sync import Mutation, MutationResult, MutationStatus, PushRequest
from shared.types import Note, Order
from tests.support import Tenant, intake_order, make_tenant

#: stock enough for hundreds of test orders (intake reserves it)
PLENTY = [
    {"sku": "MUG-1", "name": "Ceramic mug", "barcode": "4006381333931", "on_hand": 100_000},
    {"sku": "TOTE-2", "name": "Linen tote", "barcode": "4006381333948", "on_hand": 100_000},
]


@dataclass
class Device:
    """One phone: its store file, its sync client, and every mutation it made."""

    name: str
    store: Store
    client: SyncClient
    transport: HttpxTransport
    made: list[Mutation] = field(default_factory=list)

    async def close(self) -> None:
        """Close the connections and the store file."""
        await self.transport.aclose()
        self.store.close()


def sessions(database_url: str, settings: Settings, email: str, count: int) -> list[dict[str, Any]]:
    """``count`` separate sign-ins of one user (one token family each), as logins return them.

    Issued straight from the accounts service: a real login per device would only add an
    Argon2 check each (slow on purpose) to the test's time.
    """

    async def issue() -> list[dict[str, Any]]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                out = []
                for _ in range(count):
                    # As a writer from the start (SQLite: BEGIN IMMEDIATE), so a busy server
                    # makes this wait instead of failing with "database is locked".
                    await begin_write(session)
                    user = (
                        await session.execute(select(User).where(User.email == email))
                    ).scalar_one()
                    pair = await accounts.issue_tokens(session, user, new_id(), settings)
                    out.append(msgspec.to_builtins(pair))
                return out
        finally:
            await engine.dispose()

    # In a thread of its own: callable from inside a running event loop (async tests) too.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, issue()).result()


def open_device(
    path: Path,
    url: str,
    session: dict[str, Any],
    *,
    name: str = "",
    push_batch: int = 100,
    pull_limit: int = 1000,
    timeout: float = 10.0,
) -> Device:
    """A device store signed in with ``session`` (a login answer), syncing through ``url``."""
    store = Store(path, device_id=f"dev-{name or uuid.uuid4().hex[:8]}")
    user = session["user"]
    store.set_user(user["id"], user["name"], user["vendor_id"])
    transport = HttpxTransport(url, timeout=timeout)
    StoredTokens(store, transport).save(msgspec.convert(session, Tokens))
    client = SyncClient(store, transport, push_batch=push_batch, pull_limit=pull_limit)
    return Device(name=name or store.device_id, store=store, client=client, transport=transport)


def seller(base_url: str, database_url: str, settings: Settings) -> Tenant:
    """A vendor with plenty of stock."""
    return make_tenant(base_url, database_url, inventory=PLENTY, settings=settings)


def seed_orders(tenant: Tenant, count: int, *, processing: int = 0) -> list[str]:
    """``count`` paid orders through signed intake; the first ``processing`` started."""
    ids = []
    for _ in range(count):
        r = tenant.intake(intake_order())
        assert r.status_code == 201, r.text
        ids.append(r.json()["order_id"])
    if processing:
        with tenant.client() as c:
            r = c.post(
                "/api/orders/bulk",
                json={"order_ids": ids[:processing], "command": {"action": "start_processing"}},
            )
            assert r.status_code == 200, r.text
            assert r.json()["failed"] == 0, r.text
    return ids


def server_view(tenant: Tenant, order_ids: list[str]) -> dict[str, tuple[Order, list[Note]]]:
    """Each order and its notes as the server's REST API returns them."""
    out: dict[str, tuple[Order, list[Note]]] = {}
    with tenant.client() as c:
        for order_id in order_ids:
            r = c.get(f"/api/orders/{order_id}")
            assert r.status_code == 200, r.text
            detail = msgspec.json.decode(r.content, type=OrderDetail)
            out[order_id] = (detail.order, detail.notes)
    return out


def device_view(store: Store, order_ids: list[str]) -> dict[str, tuple[Order, list[Note]]]:
    """Each order and its notes as the device shows them."""
    out: dict[str, tuple[Order, list[Note]]] = {}
    for order_id in order_ids:
        detail = store.order_detail(order_id)
        assert detail is not None, order_id
        out[order_id] = (detail.order, detail.notes)
    return out


def same_notes(a: list[Note], b: list[Note]) -> bool:
    """Same notes (by id and text), whatever the order."""
    return sorted((n.id, n.text) for n in a) == sorted((n.id, n.text) for n in b)


async def replay(device: Device, url: str) -> dict[str, MutationResult]:
    """Push every mutation the device ever made again, straight to the server.

    The server must answer each with the result it recorded the first time and change
    nothing: together with an unchanged server state this shows each mutation was taken
    exactly once (or refused), and none was lost on the way.
    """
    transport = HttpxTransport(url, timeout=30)
    token = await device.client.tokens.access_token()
    assert token
    results: dict[str, MutationResult] = {}
    try:
        for start in range(0, len(device.made), 100):
            batch = device.made[start : start + 100]
            request = PushRequest(device_id=device.store.device_id, mutations=batch)
            response = await transport.push(request, token)
            results.update((r.mutation_id, r) for r in response.results)
    finally:
        await transport.aclose()
    return results


def assert_each_taken_once_or_refused(device: Device, results: dict[str, MutationResult]) -> None:
    """Every mutation made has a result; the refused ones are on the device's rejected list."""
    rejected = {r.mutation.mutation_id: r for r in device.store.rejected(include_dismissed=True)}
    assert device.store.pending_count() == 0
    for mutation in device.made:
        result = results[mutation.mutation_id]
        if result.status is MutationStatus.REJECTED:
            kept = rejected.get(mutation.mutation_id)
            assert kept is not None, (device.name, mutation)
            assert kept.code == result.code and kept.message, (device.name, mutation)
        else:
            assert mutation.mutation_id not in rejected, (device.name, mutation, result)
    assert set(rejected) <= {m.mutation_id for m in device.made}


async def replay_changes_nothing(
    device: Device, url: str, tenant: Tenant, order_ids: list[str]
) -> dict[str, MutationResult]:
    """:func:`replay`, checking the server's orders and notes are the same after it."""
    before = server_view(tenant, order_ids)
    results = await replay(device, url)
    assert server_view(tenant, order_ids) == before, "a replayed mutation was taken again"
    assert_each_taken_once_or_refused(device, results)
    return results


def reopen(path: Path, url: str, made: list[Mutation], name: str = "") -> Device:
    """A device whose store file already exists (after a crash, a restart of the app)."""
    store = Store(path)
    transport = HttpxTransport(url, timeout=10.0)
    client = SyncClient(store, transport)
    return Device(
        name=name or path.stem, store=store, client=client, transport=transport, made=made
    )
