"""Who may call what, route by route, generated from the running app's route table.

- Every route not in ``PUBLIC_PATHS`` (the one list in ``server/accounts/security.py``)
  answers 401 without a token, before doing anything; no public route asks for a bearer
  token.
- Every route guarded ``owner_only`` answers 403 to the vendor's staff, and those routes
  are exactly :data:`OWNER_ONLY`; staff are refused nothing else for their role.
- Every signed-in route that names an object in its path answers 404 to another vendor's
  token, as for an id that does not exist.

The routes themselves come from the app; ``ROUTES`` of ``tests/server/test_tenancy.py`` is
the one table a new route must be entered in, and this module checks it matches the app
too, so a new route cannot slip past either file.
"""

from __future__ import annotations

import base64
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar import Litestar
from litestar.routes import HTTPRoute

from server.accounts.security import PUBLIC_PATHS, owner_only
from server.app import create_api
from tests import support
from tests.hardening.conftest import UNUSED_DATABASE
from tests.server.test_tenancy import ROUTES
from tests.support import ServerThread, Tenant

Route = tuple[str, str]
MISSING_TOKEN = "missing Authorization header (Bearer access token)"

#: the owner's business only: people, intake keys and money
OWNER_ONLY: set[Route] = {
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/api-keys"),
    ("POST", "/api/api-keys"),
    ("GET", "/api/payouts"),
    ("GET", "/api/payouts/export.csv"),
}

#: a valid body for each signed-in route that names an object in its path and takes one
BODIES: dict[Route, Any] = {
    ("POST", "/api/orders/{order_id:str}/actions"): {"action": "hold"},
    ("POST", "/api/orders/{order_id:str}/notes"): {"kind": "team_message", "text": "peek"},
    ("POST", "/api/orders/{order_id:str}/contact-customer"): {"alternative": ""},
    ("POST", "/api/inventory/{sku:str}/adjust"): {"delta": 1, "reason": "peek"},
    ("POST", "/api/sync/conflicts/{conflict_id:str}/resolve"): {},
    ("PUT", "/api/orders/{order_id:str}/claim"): {},
    ("PUT", "/api/inventory/{sku:str}"): {"name": "Theirs now?", "on_hand": 1},
}
#: routes naming an object that do not answer 404 to another vendor, and why
NOT_404: dict[Route, str] = {
    ("PUT", "/api/inventory/{sku:str}"): "an upsert: it makes the caller's own SKU",
}


def _app() -> Litestar:
    return create_api(support.test_settings(UNUSED_DATABASE, Path(tempfile.gettempdir())))


def app_routes(app: Litestar) -> dict[Route, HTTPRoute]:
    """Every (method, path) the app registers (OPTIONS and HEAD left out), with its route."""
    return {
        (method, route.path): route
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods
        if method not in ("OPTIONS", "HEAD")
    }


def is_public(path: str) -> bool:
    """Whether the bearer-token middleware leaves the path alone."""
    return any(re.search(pattern, path) for pattern in PUBLIC_PATHS)


def guarded_by_owner_only(route: HTTPRoute, method: str) -> bool:
    """Whether the route's handler for ``method`` (or a layer above it) has the owner guard."""
    (handler,) = (h for h in route.route_handlers if method in h.http_methods)
    return any(owner_only in (layer.guards or []) for layer in handler.ownership_layers)


APP = _app()
ALL = app_routes(APP)
SIGNED_IN = sorted(r for r in ALL if not is_public(r[1]))
PUBLIC = sorted(r for r in ALL if is_public(r[1]))
NAMES_AN_OBJECT = [r for r in SIGNED_IN if "{" in r[1]]


def fill(path: str, values: dict[str, str]) -> str:
    """The path with its ``{name:type}`` parameters replaced."""
    return re.sub(r"\{(\w+):\w+\}", lambda m: values.get(m.group(1), "x"), path)


def send(
    base_url: str, method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, str]:
    """The status and error detail of one request (streamed: the event stream never ends)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with (
        httpx.Client(base_url=base_url, timeout=30) as client,
        client.stream(method, path, headers=headers, json=body) as r,
    ):
        if r.status_code < 400 or "json" not in r.headers.get("content-type", ""):
            return r.status_code, ""
        r.read()
        return r.status_code, str(r.json().get("detail", ""))


def test_this_matrix_and_the_tenancy_table_cover_exactly_the_routes_of_the_app(
    api: ServerThread,
) -> None:
    running = app_routes(getattr(api.app, "api", api.app))
    assert set(running) == set(ALL)
    assert set(ALL) == set(ROUTES), "a new route needs an entry in tests/server/test_tenancy.py"
    for route in BODIES | NOT_404:
        assert route in NAMES_AN_OBJECT


def test_owner_only_routes_are_exactly_the_owners_business() -> None:
    guarded = {r for r in SIGNED_IN if guarded_by_owner_only(ALL[r], r[0])}
    assert guarded == OWNER_ONLY
    assert not {r for r in PUBLIC if guarded_by_owner_only(ALL[r], r[0])}


@pytest.mark.parametrize("route", SIGNED_IN, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_signed_in_route_answers_401_without_a_token(api: ServerThread, route: Route) -> None:
    method, path = route
    assert send(api.url, method, fill(path, {})) == (401, MISSING_TOKEN)


@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: f"{r[0]} {r[1]}")
def test_a_public_route_never_asks_for_a_bearer_token(api: ServerThread, route: Route) -> None:
    method, path = route
    status, detail = send(api.url, method, fill(path, {}))
    assert status < 500
    assert detail != MISSING_TOKEN


@pytest.mark.parametrize("route", SIGNED_IN, ids=lambda r: f"{r[0]} {r[1]}")
def test_staff_are_refused_only_the_owners_business(
    api: ServerThread, tenant: Tenant, database_url: str, route: Route
) -> None:
    method, path = route
    people = support.db_values(
        database_url,
        "SELECT count(*) FROM users WHERE vendor_id = :v",
        "SELECT count(*) FROM api_keys WHERE vendor_id = :v",
        v=tenant.vendor_id,
    )
    status, detail = send(api.url, method, fill(path, {}), tenant.staff_token, BODIES.get(route))
    if route in OWNER_ONLY:
        assert (status, detail) == (403, "only the vendor's owner may do this")
    else:
        assert status != 403
    assert (
        support.db_values(
            database_url,
            "SELECT count(*) FROM users WHERE vendor_id = :v",
            "SELECT count(*) FROM api_keys WHERE vendor_id = :v",
            v=tenant.vendor_id,
        )
        == people
    )


@dataclass
class Objects:
    """One object of each kind a path can name, all belonging to one vendor."""

    tenant: Tenant
    ids: dict[str, str]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _subscription(tenant: Tenant) -> str:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    body: dict[str, Any] = {
        "endpoint": f"https://push.invalid/{uuid.uuid4().hex}",
        "keys": {"p256dh": _b64(point), "auth": _b64(uuid.uuid4().bytes)},
    }
    with tenant.client() as c:
        key = c.get("/api/push/vapid-public-key")
        if key.is_success:
            body["key_id"] = key.json()["key_id"]
        r = c.post("/api/push/subscriptions", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _conflict(tenant: Tenant) -> str:
    order_id = tenant.order("processing")
    mutation = {
        "mutation_id": f"m-{uuid.uuid4()}",
        "device_id": "phone",
        "order_id": order_id,
        "command": {"action": "pick", "code": "MUG-1", "quantity": 5},
        "client_time": datetime.now(UTC).isoformat(),
    }
    with tenant.client() as c:
        r = c.post("/api/sync/push", json={"device_id": "phone", "mutations": [mutation]})
        assert r.status_code == 200, r.text
        (conflict,) = c.get(f"/api/orders/{order_id}").json()["conflicts"]
    return str(conflict["id"])


@pytest.fixture
def mine(tenant: Tenant) -> Iterator[Objects]:
    """An order, a SKU only this vendor has, a push subscription and a conflict."""
    sku = f"ONLY-{uuid.uuid4().hex[:6]}"
    with tenant.client() as c:
        r = c.put(f"/api/inventory/{sku}", json={"name": "Only mine", "on_hand": 3})
        assert r.status_code == 200, r.text
    yield Objects(
        tenant,
        {
            "order_id": tenant.order(),
            "sku": sku,
            "subscription_id": _subscription(tenant),
            "conflict_id": _conflict(tenant),
        },
    )


@pytest.mark.parametrize("route", NAMES_AN_OBJECT, ids=lambda r: f"{r[0]} {r[1]}")
def test_another_vendors_token_finds_nothing_named_in_the_path(
    api: ServerThread, mine: Objects, other_tenant: Tenant, route: Route
) -> None:
    method, path = route
    if method in ("POST", "PUT", "PATCH"):
        assert route in BODIES, "add a valid body for the route to BODIES"
    url = fill(path, mine.ids)
    status, detail = send(api.url, method, url, other_tenant.owner_token, BODIES.get(route))
    if route in NOT_404:
        assert status < 400
        with mine.tenant.client() as c:  # mine is untouched
            assert c.get(url).json()["name"] == "Only mine"
        return
    assert status == 404
    assert "not found" in detail
    if method == "GET":  # ... while its own vendor finds it
        assert send(api.url, method, url, mine.tenant.owner_token)[0] != 404


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/api/intake/orders", 401),
        ("POST", "/api/tracking/ups/events", 401),
        ("GET", "/api/public/orders/{order_id}/stock-choice?sig=é", 404),
        ("POST", "/api/public/orders/{order_id}/confirm-delivery?sig=é", 404),
    ],
)
def test_a_signature_that_is_not_ascii_is_refused_not_a_server_error(
    api: ServerThread, tenant: Tenant, method: str, path: str, status: int
) -> None:
    # hmac.compare_digest raises TypeError for non-ASCII text: compared as bytes now
    headers = [
        (b"X-Shipfloor-Key", tenant.key_id.encode()),
        (b"X-Shipfloor-Timestamp", str(int(time.time())).encode()),
        (b"X-Shipfloor-Signature", "sha256=é".encode("latin-1")),
        (b"Content-Type", b"application/json"),
    ]
    url = api.url + path.format(order_id=tenant.order())
    r = httpx.request(method, url, headers=headers, content=b"{}")
    assert r.status_code == status, r.text
