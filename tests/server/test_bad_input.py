"""Every kind of bad input gets a 4xx naming the problem, writes nothing, and is never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from server.accounts.security import Actor, issue_access_token
from tests.support import (
    ServerThread,
    Tenant,
    db_values,
    intake_order,
    make_tenant,
    post_intake,
)

JSON = {"Content-Type": "application/json"}
TRUNCATED = b'{"action": "hold",'


@dataclass
class Ctx:
    """A vendor with one order, and the server's limits."""

    tenant: Tenant
    order_id: str
    api: ServerThread

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request as the vendor's owner; ``{order}`` in the path is the vendor's order."""
        with self.tenant.client() as c:
            return c.request(method, path.format(order=self.order_id), **kw)

    def intake(self, body: bytes) -> httpx.Response:
        """A correctly signed intake post of any body."""
        t = self.tenant
        return post_intake(t.base_url, t.key_id, t.key_secret, body)

    @property
    def too_big(self) -> bytes:
        """A JSON body one byte over the limit."""
        assert self.api.settings is not None
        size = self.api.settings.max_body_bytes
        return b'{"text": "' + b"a" * size + b'"}'


Send = Callable[[Ctx], httpx.Response]


def call(method: str, path: str, **kw: Any) -> Send:
    """A bad request to a signed-in route."""
    return lambda ctx: ctx.send(method, path, **kw)


def intake(body: bytes | dict[str, Any]) -> Send:
    """A signed intake post."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda ctx: ctx.intake(raw)


def cursor(*parts: str) -> str:
    """A hand-made page cursor."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


ACT = "/api/orders/{order}/actions"
NOTES = "/api/orders/{order}/notes"
NAIVE = "2026-12-01T10:00:00"

#: (what is wrong, how it is sent, status, words the answer must contain)
CASES: list[tuple[str, Send, int, str]] = [
    # malformed JSON
    ("truncated action", call("POST", ACT, content=TRUNCATED, headers=JSON), 400, "not valid JSON"),
    ("truncated note", call("POST", NOTES, content=TRUNCATED, headers=JSON), 400, "not valid JSON"),
    ("truncated bulk", call("POST", "/api/orders/bulk", content=b"[", headers=JSON), 400, "JSON"),
    ("not JSON at all", call("PUT", "/api/inventory/X-1", content=b"hello", headers=JSON), 400, "JSON"),
    ("truncated intake", intake(b'{"external_id": '), 400, "body is not valid JSON"),
    ("not UTF-8", call("POST", NOTES, content=b'{"kind": "team_message", "text": "\xff"}'), 400, "UTF-8"),
    ("not UTF-8 intake", intake(b'{"external_id": "\xff\xfe"}'), 400, "UTF-8"),
    # wrong types
    ("quantity as text", call("POST", ACT, json={"action": "pick", "quantity": "two"}), 400, "quantity"),
    ("delta as float", call("POST", "/api/inventory/MUG-1/adjust", json={"delta": 1.5, "reason": "x"}), 400, "delta"),
    ("note text as number", call("POST", NOTES, json={"kind": "team_message", "text": 5}), 400, "text"),
    ("order ids as text", call("POST", "/api/orders/bulk", json={"order_ids": "x", "command": {"action": "hold"}}), 400, "order_ids"),
    ("body is a list", call("POST", NOTES, json=[{"kind": "team_message", "text": "x"}]), 400, "object"),
    ("intake quantity as text", intake(intake_order(lines=[{"sku": "MUG-1", "quantity": "2"}])), 400, "quantity"),
    ("quantity out of range", call("POST", ACT, json={"action": "pick", "quantity": 10**30}), 400, "quantity"),
    ("empty bulk", call("POST", "/api/orders/bulk", json={"order_ids": [], "command": {"action": "hold"}}), 400, "order_ids"),
    # missing fields
    ("note without text", call("POST", NOTES, json={"kind": "team_message"}), 400, "text"),
    ("command without action", call("POST", ACT, json={"reason": "other"}), 400, "action"),
    ("ship without tracking", call("POST", ACT, json={"action": "ship", "carrier": "ups"}), 400, "tracking_number"),
    ("adjust without reason", call("POST", "/api/inventory/MUG-1/adjust", json={"delta": 1}), 400, "reason"),
    ("intake without customer", intake({k: v for k, v in intake_order().items() if k != "customer"}), 400, "customer"),
    ("empty body", call("POST", NOTES, content=b"", headers=JSON), 400, "data"),
    # unknown values
    ("unknown status filter", call("GET", "/api/orders", params={"status": "lost"}), 400, "status"),
    ("unknown status in export", call("GET", "/api/orders/export.csv", params={"status": "lost"}), 400, "status"),
    ("unknown hold reason", call("POST", ACT, json={"action": "hold", "reason": "bored"}), 400, "reason"),
    ("unknown resolution", call("POST", ACT, json={"action": "resolve", "resolution": "magic"}), 400, "resolution"),
    ("unknown note kind", call("POST", NOTES, json={"kind": "gossip", "text": "x"}), 400, "kind"),
    ("unknown payment status", intake(intake_order(payment_status="maybe")), 400, "payment_status"),
    ("unknown sort", call("GET", "/api/orders", params={"sort": "price"}), 400, "sort"),
    ("unknown action", call("POST", ACT, json={"action": "fly"}), 400, "action"),
    ("unknown bulk action", call("POST", "/api/orders/bulk", json={"order_ids": ["x"], "command": {"action": "fly"}}), 400, "action"),
    ("unknown field", call("POST", NOTES, json={"kind": "team_message", "text": "x", "colour": "red"}), 400, "colour"),
    ("unknown intake field", intake(intake_order(priority="high")), 400, "priority"),
    # times without a zone
    ("naive note due time", call("POST", NOTES, json={"kind": "follow_up", "text": "x", "due_at": NAIVE}), 400, "due_at"),
    ("naive note through actions", call("POST", ACT, json={"action": "add_note", "kind": "follow_up", "text": "x", "due_at": NAIVE}), 400, "due_at"),
    ("naive intake placed_at", intake(intake_order(placed_at=NAIVE)), 400, "placed_at"),
    ("naive intake paid_at", intake(intake_order(paid_at=NAIVE)), 400, "paid_at"),
    # query parameters
    ("limit zero", call("GET", "/api/orders", params={"limit": 0}), 400, "limit"),
    ("limit too big", call("GET", "/api/orders", params={"limit": 201}), 400, "limit"),
    ("limit not a number", call("GET", "/api/orders", params={"limit": "ten"}), 400, "limit"),
    ("inventory limit too big", call("GET", "/api/inventory", params={"limit": 501}), 400, "limit"),
    ("negative offset", call("GET", "/api/inventory", params={"offset": -1}), 400, "offset"),
    ("desc not a boolean", call("GET", "/api/orders", params={"desc": "maybe"}), 400, "desc"),
    ("search too long", call("GET", "/api/orders", params={"q": "x" * 101}), 400, "q"),
    ("NUL in search", call("GET", "/api/orders", params={"q": "a\x00"}), 400, "q"),
    ("NUL in export search", call("GET", "/api/orders/export.csv", params={"q": "\x00"}), 400, "q"),
    ("NUL in bulk id", call("POST", "/api/orders/bulk", json={"order_ids": ["\x00"], "command": {"action": "hold"}}), 400, "order_ids"),
    ("SKU too long", call("GET", "/api/inventory/" + "x" * 65), 400, "sku"),
    # cursors
    ("garbage cursor", call("GET", "/api/orders", params={"cursor": "garbage!!"}), 400, "cursor"),
    ("cursor of another sort", call("GET", "/api/orders", params={"cursor": cursor("number", "a", "b")}), 400, "cursor"),
    ("cursor with a naive time", call("GET", "/api/orders", params={"cursor": cursor("ship_by", NAIVE, "x")}), 400, "cursor"),
    ("cursor at the calendar's edge", call("GET", "/api/orders", params={"cursor": cursor("created_at", "0001-01-01T00:00:00+01:00", "x")}), 400, "cursor"),
    ("cursor too long", call("GET", "/api/orders", params={"cursor": "x" * 501}), 400, "cursor"),
    # sizes
    ("oversize action", lambda ctx: ctx.send("POST", ACT, content=ctx.too_big, headers=JSON), 413, "Too Large"),
    ("oversize note", lambda ctx: ctx.send("POST", NOTES, content=ctx.too_big, headers=JSON), 413, "Too Large"),
    ("oversize bulk", lambda ctx: ctx.send("POST", "/api/orders/bulk", content=ctx.too_big, headers=JSON), 413, "Too Large"),
    ("oversize streamed", lambda ctx: ctx.send("POST", NOTES, content=iter([ctx.too_big]), headers=JSON), 413, "Too Large"),
    ("oversize intake", lambda ctx: ctx.intake(ctx.too_big), 413, "Too Large"),
    # credentials
    ("bad signature", lambda ctx: post_intake(ctx.tenant.base_url, ctx.tenant.key_id, "wrong", b"{}"), 401, "signature"),
    ("no token", lambda ctx: httpx.post(f"{ctx.tenant.base_url}/api/orders/{ctx.order_id}/actions", json={"action": "hold"}), 401, "Authorization"),
]  # fmt: skip


def expired_token(ctx: Ctx) -> str:
    """An access token of the vendor's owner that expired a minute ago."""
    claims = jwt.decode(ctx.tenant.owner_token, options={"verify_signature": False})
    actor = Actor(claims["sub"], claims["vid"], claims["role"], claims["name"])
    assert ctx.api.settings is not None
    token, _ = issue_access_token(actor, ctx.api.settings.secret_key, minutes=-1)
    return token


def _expired(method: str, path: str, **kw: Any) -> Send:
    def send(ctx: Ctx) -> httpx.Response:
        headers = {"Authorization": f"Bearer {expired_token(ctx)}"}
        url = ctx.tenant.base_url + path.format(order=ctx.order_id)
        return httpx.request(method, url, headers=headers, **kw)

    return send


CASES += [
    ("expired token on an action", _expired("POST", ACT, json={"action": "hold"}), 401, "expired"),
    ("expired token on a note", _expired("POST", NOTES, json={"kind": "team_message", "text": "x"}), 401, "expired"),
    ("expired token on the list", _expired("GET", "/api/orders"), 401, "expired"),
]  # fmt: skip


def written(database_url: str, ctx: Ctx) -> tuple[Any, ...]:
    """Everything a request could have changed for the vendor."""
    return db_values(
        database_url,
        "SELECT count(*) FROM orders WHERE vendor_id = :v",
        "SELECT max(seq) FROM orders WHERE vendor_id = :v",
        "SELECT count(*) FROM order_notes WHERE vendor_id = :v",
        "SELECT count(*) FROM order_events WHERE vendor_id = :v",
        "SELECT count(*) FROM inventory WHERE vendor_id = :v",
        "SELECT sum(on_hand) + 1000 * sum(reserved) FROM inventory WHERE vendor_id = :v",
        "SELECT change_seq FROM vendors WHERE id = :v",
        v=ctx.tenant.vendor_id,
    )


@pytest.fixture(scope="module")
def ctx(api: ServerThread, database_url: str) -> Ctx:
    """A vendor with one order, shared by the module: each test checks it wrote nothing."""
    tenant = make_tenant(api.url, database_url, settings=api.settings)
    return Ctx(tenant, tenant.order(), api)


@pytest.mark.parametrize(("what", "send", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_4xx_naming_the_problem_and_writes_nothing(
    ctx: Ctx, database_url: str, what: str, send: Send, status: int, words: str
) -> None:
    before = written(database_url, ctx)
    r = send(ctx)
    assert r.status_code == status, r.text
    body = r.json()
    assert words in body["detail"] + json.dumps(body.get("errors", [])), body
    assert written(database_url, ctx) == before


def test_the_case_list_covers_every_kind_of_bad_input_in_the_issue() -> None:
    kinds = " ".join(c[0] for c in CASES)
    for kind in ("truncated", "as text", "without", "unknown status", "unknown action"):
        assert kind in kinds
    for kind in ("oversize", "bad signature", "expired token", "cursor", "limit"):
        assert kind in kinds


NUL_CASES: list[tuple[str, Send]] = [
    ("note text", call("POST", NOTES, json={"kind": "team_message", "text": "a\x00b"})),
    ("order id in the path", call("GET", "/api/orders/%00")),
    ("action on an order id", call("POST", "/api/orders/%00/actions", json={"action": "hold"})),
    ("SKU in the path", call("GET", "/api/inventory/%00")),
    ("SKU name", call("PUT", "/api/inventory/A%00B", json={"on_hand": 1})),
    ("intake customer", intake(intake_order(customer={"name": "Nul\x00Person"}))),
]


@pytest.mark.parametrize(("what", "send"), NUL_CASES, ids=[c[0] for c in NUL_CASES])
def test_a_nul_character_is_never_a_server_error(
    ctx: Ctx, backend: str, database_url: str, what: str, send: Send
) -> None:
    before = written(database_url, ctx)
    r = send(ctx)
    assert r.status_code < 500, r.text
    if backend == "postgresql":  # PostgreSQL cannot store NUL in text; SQLite can
        assert r.status_code == 400, r.text
        assert "NUL" in r.json()["detail"]
        assert written(database_url, ctx) == before


@pytest.mark.parametrize("path", ["/api/inventory", "/api/payouts"])
def test_an_offset_beyond_any_list_is_a_400_not_a_database_overflow(ctx: Ctx, path: str) -> None:
    # 2**64 and more: SQLite's driver and PostgreSQL's bigint both overflowed into a 500.
    with ctx.tenant.client() as c:
        r = c.get(path, params={"offset": "21155212890375598080"})
        assert r.status_code == 400, r.text
        assert "offset" in r.text
        assert c.get(path, params={"offset": "1000000000"}).status_code == 200


def test_document_links_take_order_ids_as_the_server_makes_them(ctx: Ctx) -> None:
    with ctx.tenant.client() as c:
        r = c.get("/api/documents/packing-slips.pdf", params={"order_id": "Ω" * 64})
    assert r.status_code == 400, r.text
    assert "order_id" in r.text
