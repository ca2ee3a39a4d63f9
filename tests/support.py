"""Test helpers: real databases, a real server on 127.0.0.1, tenants, signed intake posts."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.accounts import service as accounts
from server.db import create_engine, session_factory
from server.intake.service import sign
from server.settings import Settings

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """An empty database of the given backend for one test run; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / f'shipfloor-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"shipfloor_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test server (no Flet app unless asked)."""
    base = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        serve_app=False,
    )
    return dataclasses.replace(base, **overrides)


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Start and wait until it answers."""
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Tenant:
    """A vendor with an owner, a staff member and an intake key, plus signed-in clients."""

    base_url: str
    vendor_id: str
    owner_email: str
    staff_email: str
    password: str
    key_id: str
    key_secret: str
    owner_token: str = ""
    staff_token: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str = "owner") -> httpx.Client:
        """An HTTP client signed in as the owner or the staff member."""
        token = self.owner_token if role == "owner" else self.staff_token
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def intake(self, order: dict[str, Any], **kw: Any) -> httpx.Response:
        """Post an order to intake, signed with this tenant's key."""
        body = json.dumps(order).encode()
        return post_intake(self.base_url, self.key_id, self.key_secret, body, **kw)


def post_intake(
    base_url: str,
    key_id: str,
    secret: str,
    body: bytes,
    timestamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """A signed intake request (signature and timestamp can be forced to test failures)."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Shipfloor-Key": key_id,
        "X-Shipfloor-Timestamp": ts,
        "X-Shipfloor-Signature": signature or sign(secret, ts, body),
    }
    return httpx.post(f"{base_url}/api/intake/orders", content=body, headers=headers, timeout=30)


async def _make_tenant(
    database_url: str, label: str, inventory: list[dict[str, Any]]
) -> dict[str, str]:
    from server.ids import utcnow
    from server.inventory.models import InventoryRow

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            suffix = uuid.uuid4().hex[:8]
            vendor = await accounts.create_vendor(
                session, f"{label} {suffix}", "America/New_York", "US"
            )
            owner = f"owner-{suffix}@example.com"
            staff = f"staff-{suffix}@example.com"
            await accounts.create_user(
                session, vendor.id, owner, "Olive Owner", "correct horse battery", "owner"
            )
            await accounts.create_user(
                session, vendor.id, staff, "Sid Staff", "correct horse battery", "staff"
            )
            key = await accounts.create_api_key(session, vendor.id, "Test market", "testmarket")
            for item in inventory:
                session.add(
                    InventoryRow(vendor_id=vendor.id, reserved=0, updated_at=utcnow(), **item)
                )
            await session.commit()
            assert key.secret is not None
            return {
                "vendor_id": vendor.id,
                "owner": owner,
                "staff": staff,
                "key_id": key.id,
                "secret": key.secret,
            }
    finally:
        await engine.dispose()


DEFAULT_INVENTORY: list[dict[str, Any]] = [
    {
        "sku": "MUG-1",
        "name": "Ceramic mug",
        "barcode": "4006381333931",
        "on_hand": 50,
        "bin_location": "A-01-1",
    },
    {
        "sku": "TOTE-2",
        "name": "Linen tote",
        "barcode": "4006381333948",
        "on_hand": 20,
        "bin_location": "A-02-1",
    },
    {
        "sku": "RARE-3",
        "name": "Rare print",
        "barcode": "4006381333955",
        "on_hand": 1,
        "bin_location": "B-01-2",
    },
]


def make_tenant(
    base_url: str,
    database_url: str,
    label: str = "Vendor",
    inventory: list[dict[str, Any]] | None = None,
) -> Tenant:
    """A new vendor with users, a key and stock, signed in through the real login route."""
    made = asyncio.run(
        _make_tenant(database_url, label, DEFAULT_INVENTORY if inventory is None else inventory)
    )
    tenant = Tenant(
        base_url=base_url,
        vendor_id=made["vendor_id"],
        owner_email=made["owner"],
        staff_email=made["staff"],
        password="correct horse battery",
        key_id=made["key_id"],
        key_secret=made["secret"],
    )
    for role, email in (("owner", tenant.owner_email), ("staff", tenant.staff_email)):
        r = httpx.post(
            f"{base_url}/api/auth/login", json={"email": email, "password": tenant.password}
        )
        r.raise_for_status()
        tenant.tokens[role] = r.json()
    tenant.owner_token = tenant.tokens["owner"]["access_token"]
    tenant.staff_token = tenant.tokens["staff"]["access_token"]
    return tenant


_counter = iter(range(1, 10**9))


def intake_order(**overrides: Any) -> dict[str, Any]:
    """A valid, paid marketplace order for intake (two lines, in stock)."""
    n = next(_counter)
    order: dict[str, Any] = {
        "external_id": f"EXT-{uuid.uuid4().hex[:10]}",
        "customer": {"name": f"Casey Customer {n}", "email": "casey@example.com"},
        "shipping_address": {
            "name": "Casey Customer",
            "line1": "12 Elm St",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "lines": [
            {"sku": "MUG-1", "quantity": 2, "unit_price_minor": 1500},
            {"sku": "TOTE-2", "quantity": 1, "unit_price_minor": 2500},
        ],
        "currency": "USD",
        "shipping_minor": 499,
        "payment_status": "paid",
    }
    order.update(overrides)
    return order
