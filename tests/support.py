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
import msgspec
import uvicorn

from server.accounts import service as accounts
from server.accounts.models import User
from server.accounts.security import hash_password
from server.db import begin_write, create_engine, session_factory
from server.ids import new_id
from server.settings import Settings
from server.signing import sign
from tests.builders import UPS_TRACKING

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

    def __init__(self, app: Any, port: int | None = None, settings: Settings | None = None) -> None:
        self.app = app
        #: the settings the app was made with (its token secret, body limit, ...)
        self.settings = settings
        self.port = port or free_port()
        self._prepare()

    def _prepare(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
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

    def restart(self, app: Any | None = None) -> ServerThread:
        """Start again after :meth:`stop`, on the same port (and so at the same URL).

        ``app``: a new app to serve (e.g. made anew over the same database, as a restarted
        server process would be); by default the same one again.
        """
        if self.thread.is_alive():
            raise RuntimeError("the test server is still running: stop it first")
        if app is not None:
            self.app = app
        self._prepare()
        return self.start()


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

    def order(self, status: str = "new", **overrides: Any) -> str:
        """The id of a new intake order (paid, in stock) walked to ``status`` through the API."""
        r = self.intake(intake_order(**overrides))
        assert r.status_code == 201, r.text
        order_id = str(r.json()["order_id"])
        for command in WALK[status]:
            r = self.act(order_id, command)
            assert r.status_code == 200, r.text
        return order_id

    def act(
        self, order_id: str, command: dict[str, Any], role: str = "owner", device: str = ""
    ) -> httpx.Response:
        """Post a lifecycle action on an order (optionally from a named device)."""
        headers = {"X-Device-Id": device} if device else {}
        with self.client(role) as c:
            return c.post(f"/api/orders/{order_id}/actions", json=command, headers=headers)

    def get(self, path: str, role: str = "owner", **params: Any) -> httpx.Response:
        """A signed-in GET."""
        with self.client(role) as c:
            return c.get(path, params=params)


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


PASSWORD = "correct horse battery"
_password_hash: list[str] = []


def password_hash() -> str:
    """The Argon2 hash of :data:`PASSWORD`, computed once per run (hashing is slow on purpose)."""
    if not _password_hash:
        _password_hash.append(hash_password(PASSWORD))
    return _password_hash[0]


async def _make_tenant(
    database_url: str,
    label: str,
    inventory: list[dict[str, Any]],
    settings: Settings | None,
) -> dict[str, Any]:
    from server.ids import utcnow
    from server.inventory.models import InventoryRow

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            suffix = uuid.uuid4().hex[:8]
            vendor = await accounts.create_vendor(
                session, f"{label} {suffix}", "America/New_York", "US"
            )
            users = {
                role: User(
                    id=new_id(),
                    vendor_id=vendor.id,
                    email=f"{role}-{suffix}@example.com",
                    name=name,
                    role=role,
                    password_hash=password_hash(),
                    disabled=False,
                )
                for role, name in (("owner", "Olive Owner"), ("staff", "Sid Staff"))
            }
            session.add_all(users.values())
            key = await accounts.create_api_key(session, vendor.id, "Test market", "testmarket")
            for item in inventory:
                session.add(
                    InventoryRow(vendor_id=vendor.id, reserved=0, updated_at=utcnow(), **item)
                )
            await session.commit()
            tokens: dict[str, Any] = {}
            if settings is not None:
                # Same token pair a login returns, without paying for a password check.
                for role, user in users.items():
                    await begin_write(session)
                    pair = await accounts.issue_tokens(session, user, new_id(), settings)
                    tokens[role] = msgspec.to_builtins(pair)
            assert key.secret is not None
            return {
                "vendor_id": vendor.id,
                "owner": users["owner"].email,
                "staff": users["staff"].email,
                "key_id": key.id,
                "secret": key.secret,
                "tokens": tokens,
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
    settings: Settings | None = None,
) -> Tenant:
    """A new vendor with users, a key and stock, signed in.

    With the server's ``settings`` the token pairs are issued directly (as a login would);
    without, both users sign in through the real login route.
    """
    made = asyncio.run(
        _make_tenant(
            database_url, label, DEFAULT_INVENTORY if inventory is None else inventory, settings
        )
    )
    tenant = Tenant(
        base_url=base_url,
        vendor_id=made["vendor_id"],
        owner_email=made["owner"],
        staff_email=made["staff"],
        password=PASSWORD,
        key_id=made["key_id"],
        key_secret=made["secret"],
        tokens=made["tokens"],
    )
    for role, email in (("owner", tenant.owner_email), ("staff", tenant.staff_email)):
        if role in tenant.tokens:
            continue
        r = httpx.post(
            f"{base_url}/api/auth/login", json={"email": email, "password": tenant.password}
        )
        r.raise_for_status()
        tenant.tokens[role] = r.json()
    tenant.owner_token = tenant.tokens["owner"]["access_token"]
    tenant.staff_token = tenant.tokens["staff"]["access_token"]
    return tenant


_counter = iter(range(1, 10**9))

_READY: list[dict[str, Any]] = [
    {"action": "start_processing"},
    {"action": "pick", "code": "MUG-1", "quantity": 2},
    {"action": "pick", "code": "TOTE-2"},
    {"action": "inspect"},
    {"action": "pack", "package_type": "box-s", "weight_grams": 900},
    {"action": "print_slip"},
]
_SHIPPED: list[dict[str, Any]] = [
    *_READY,
    {"action": "print_label"},
    {"action": "attach_label"},
    {"action": "ship", "carrier": "ups", "tracking_number": UPS_TRACKING},
]
#: the API actions that take a fresh intake order (:func:`intake_order`) to each status
WALK: dict[str, list[dict[str, Any]]] = {
    "new": [],
    "processing": _READY[:1],
    "ready_to_ship": _READY,
    "shipped": _SHIPPED,
    "delivered": [*_SHIPPED, {"action": "deliver"}],
    "on_hold": [{"action": "hold", "reason": "customer_request"}],
    "cancelled": [{"action": "cancel", "reason": "customer_request"}],
}


def db_values(database_url: str, *sql: str, **params: Any) -> tuple[Any, ...]:
    """The first value of each statement, run in one committed transaction."""
    from sqlalchemy import text

    async def read() -> tuple[Any, ...]:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                return tuple([(await conn.execute(text(one), params)).scalar() for one in sql])
        finally:
            await engine.dispose()

    return asyncio.run(read())


def db_value(database_url: str, sql: str, **params: Any) -> Any:
    """Run one statement straight on the database and return its first value (committed).

    For checking what was, or was not, written, and for setting up states no route makes.
    """
    from sqlalchemy import text

    async def read() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                return (await conn.execute(text(sql), params)).scalar()
        finally:
            await engine.dispose()

    return asyncio.run(read())


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
