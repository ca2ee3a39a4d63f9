"""Hypothesis-made malformed sync traffic over real HTTP: a clear 4xx, never a 5xx, no trace.

Batches are built valid and then broken one way at a time — a field of the wrong type, too
many mutations, an unknown mutation kind, NUL characters, values nested thousands deep,
bytes that are no JSON or MessagePack at all, a format the route does not read — and sent
as JSON and as MessagePack. A refused batch must leave the vendor's orders, timeline,
notes, conflicts, idempotency records and change sequence exactly as they were. Duplicate
mutation ids inside one batch are not an error in the protocol: the first is applied and
the copies get its result. Pull cursors are fuzzed the same way.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import commands
from shared.sync import MAX_PUSH_BATCH
from tests.support import DEFAULT_INVENTORY, ServerThread, Tenant, db_values, make_tenant

FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORMATS = {"json": "application/json", "msgpack": "application/msgpack"}
KNOWN_ACTIONS = {
    cls.__struct_config__.tag
    for cls in vars(commands).values()
    if isinstance(cls, type) and issubclass(cls, commands._Command) and cls.__struct_config__.tag
}

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


@dataclass
class Device:
    """A vendor with orders, and a device that pushes for it."""

    api: ServerThread
    tenant: Tenant
    database_url: str
    order_id: str
    device_id: str = "fuzz-tablet"

    def mutation(self, command: Any = None, **fields: Any) -> dict[str, Any]:
        """A valid mutation (a harmless note unless told otherwise)."""
        return {
            "mutation_id": f"m-{uuid.uuid4()}",
            "device_id": self.device_id,
            "order_id": self.order_id,
            "command": command or {"action": "add_note", "kind": "team_message", "text": "hi"},
            "client_time": datetime.now(UTC).isoformat(),
            **fields,
        }

    def batch(self, mutations: list[Any]) -> dict[str, Any]:
        """A push body carrying these mutations."""
        return {"device_id": self.device_id, "mutations": mutations}

    def push(self, body: bytes, content_type: str) -> httpx.Response:
        """POST /api/sync/push with this raw body."""
        headers = {"Content-Type": content_type}
        with self.tenant.client() as c:
            return c.post("/api/sync/push", content=body, headers=headers)

    def written(self) -> tuple[Any, ...]:
        """Everything a push can change for the vendor."""
        return db_values(
            self.database_url,
            "SELECT count(*) FROM orders WHERE vendor_id = :v",
            "SELECT max(seq) FROM orders WHERE vendor_id = :v",
            "SELECT count(*) FROM order_events WHERE vendor_id = :v",
            "SELECT count(*) FROM order_notes WHERE vendor_id = :v",
            "SELECT count(*) FROM order_conflicts WHERE vendor_id = :v",
            "SELECT count(*) FROM sync_mutations WHERE vendor_id = :v",
            "SELECT change_seq FROM vendors WHERE id = :v",
            v=self.tenant.vendor_id,
        )


@pytest.fixture(scope="module")
def device(api: ServerThread, database_url: str) -> Device:
    """A vendor of its own (on the session's server) with one new order, and stock for more."""
    stock = [{**item, "on_hand": 100_000} for item in DEFAULT_INVENTORY]
    tenant = make_tenant(api.url, database_url, inventory=stock, settings=api.settings)
    return Device(api, tenant, database_url, tenant.order())


def encode(body: Any, fmt: str) -> bytes:
    """The body as JSON or MessagePack."""
    return json.dumps(body).encode() if fmt == "json" else msgspec.msgpack.encode(body)


def assert_refused(device: Device, r: httpx.Response, before: tuple[Any, ...], *words: str) -> None:
    """A 4xx in the API's error shape naming the problem, and nothing written."""
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    for word in words:
        assert word in detail, detail
    assert device.written() == before


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def another_type_than(value: Any) -> st.SearchStrategy[Any]:
    """Any JSON value of a different type than ``value`` (so never a valid replacement)."""
    return json_values.filter(lambda v: _kind(v) != _kind(value))


BATCH_FIELDS = ["device_id", "mutations"]
MUTATION_FIELDS = ["mutation_id", "device_id", "user_id", "order_id", "command", "client_time"]


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(sorted(FORMATS)))
def test_a_field_of_the_wrong_type_is_refused_naming_it(
    device: Device, data: st.DataObject, fmt: str
) -> None:
    mutations = [device.mutation(user_id="u1") for _ in range(data.draw(st.integers(1, 3)))]
    body = device.batch(mutations)
    where = data.draw(st.sampled_from(["batch", "mutation", "command"]))
    if where == "batch":
        field = data.draw(st.sampled_from(BATCH_FIELDS))
        body[field] = data.draw(another_type_than(body[field]))
    elif where == "mutation":
        target = data.draw(st.sampled_from(mutations))
        field = data.draw(st.sampled_from(MUTATION_FIELDS))
        target[field] = data.draw(another_type_than(target[field]))
    else:
        field = "action"
        data.draw(st.sampled_from(mutations))["command"]["action"] = data.draw(
            another_type_than("")
        )
    before = device.written()
    r = device.push(encode(body, fmt), FORMATS[fmt])
    assert_refused(device, r, before, "invalid push", field)


@settings(FUZZ, max_examples=6)
@given(extra=st.integers(1, 40), fmt=st.sampled_from(sorted(FORMATS)))
def test_a_batch_over_the_limit_is_refused_whole(device: Device, extra: int, fmt: str) -> None:
    body = device.batch([device.mutation() for _ in range(MAX_PUSH_BATCH + extra)])
    before = device.written()
    r = device.push(encode(body, fmt), FORMATS[fmt])
    assert_refused(device, r, before, "invalid push", str(MAX_PUSH_BATCH), "mutations")


@FUZZ
@given(
    action=text.filter(lambda a: a not in KNOWN_ACTIONS),
    at=st.integers(0, 4),
    fmt=st.sampled_from(sorted(FORMATS)),
)
def test_an_unknown_mutation_kind_is_refused_with_the_whole_batch(
    device: Device, action: str, at: int, fmt: str
) -> None:
    mutations = [device.mutation() for _ in range(5)]
    mutations[at]["command"] = {"action": action}
    before = device.written()
    r = device.push(encode(device.batch(mutations), fmt), FORMATS[fmt])
    assert_refused(device, r, before, "invalid push", f"mutations[{at}].command")


def _nest(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


@settings(FUZZ, max_examples=8)
@given(depth=st.sampled_from([64, 1_000, 10_000, 50_000]), fmt=st.sampled_from(sorted(FORMATS)))
def test_values_nested_thousands_deep_are_refused(device: Device, depth: int, fmt: str) -> None:
    if fmt == "json":  # json.dumps itself recurses; build the text directly
        raw = ('{"device_id": "d", "mutations": ' + "[" * depth + "]" * depth + "}").encode()
    else:
        raw = msgspec.msgpack.encode({"device_id": "d", "mutations": []})
        raw = raw[:-1] + b"\x91" * depth + b"\x90"  # mutations: [[[...[]...]]]
    before = device.written()
    r = device.push(raw, FORMATS[fmt])
    assert_refused(device, r, before)


@FUZZ
@given(raw=st.binary(max_size=300), fmt=st.sampled_from(sorted(FORMATS)))
def test_bytes_that_are_no_batch_are_refused(device: Device, raw: bytes, fmt: str) -> None:
    before = device.written()
    r = device.push(raw, FORMATS[fmt])
    assert_refused(device, r, before)


@settings(FUZZ, max_examples=15)
@given(content_type=st.sampled_from(["text/plain", "application/xml", "", "multipart/form-data"]))
def test_a_format_the_route_does_not_read_is_415(device: Device, content_type: str) -> None:
    before = device.written()
    r = device.push(json.dumps(device.batch([device.mutation()])).encode(), content_type)
    assert r.status_code == 415
    assert_refused(device, r, before, "application/json or application/msgpack")


def test_a_body_over_the_size_limit_is_413_and_writes_nothing(device: Device) -> None:
    assert device.api.settings is not None
    padding = "x" * device.api.settings.max_body_bytes
    body = device.batch(
        [device.mutation(command={"action": "add_note", "kind": "team_message", "text": padding})]
    )
    before = device.written()
    r = device.push(json.dumps(body).encode(), FORMATS["json"])
    assert r.status_code == 413
    assert_refused(device, r, before)


STRING_FIELDS: list[Callable[[dict[str, Any], str], None]] = [
    lambda m, s: m.__setitem__("mutation_id", s[:64]),
    lambda m, s: m.__setitem__("order_id", s[:64]),
    lambda m, s: m.__setitem__("user_id", s[:64]),
    lambda m, s: m["command"].__setitem__("text", s),
]


@FUZZ
@given(
    prefix=text,
    where=st.sampled_from(range(len(STRING_FIELDS))),
    fmt=st.sampled_from(sorted(FORMATS)),
)
def test_nul_characters_are_never_a_server_error(
    device: Device, prefix: str, where: int, fmt: str
) -> None:
    mutation = device.mutation()
    STRING_FIELDS[where](mutation, prefix + "\x00" + "tail")
    before = device.written()
    r = device.push(encode(device.batch([mutation]), fmt), FORMATS[fmt])
    assert r.status_code < 500, r.text
    if r.status_code != 200:  # PostgreSQL cannot store NUL; SQLite can
        assert_refused(device, r, before)
    else:
        (result,) = r.json()["results"]
        assert result["mutation_id"] == mutation["mutation_id"]


def _hold(device: Device, copies: int, fmt: str) -> tuple[list[Any], list[str]]:
    """Push a hold of a new order ``copies`` times in one batch: the results, the timeline."""
    order_id = device.tenant.order()
    hold = device.mutation(command={"action": "hold", "reason": "customer_request"})
    hold["order_id"] = order_id
    r = device.push(encode(device.batch([hold] * copies), fmt), FORMATS[fmt])
    assert r.status_code == 200, r.text
    assert [x["mutation_id"] for x in r.json()["results"]] == [hold["mutation_id"]] * copies
    detail = device.tenant.get(f"/api/orders/{order_id}").json()
    assert detail["order"]["status"] == "on_hold"
    return r.json()["results"], [e["kind"] for e in detail["timeline"]]


@settings(FUZZ, max_examples=6)
@given(copies=st.integers(2, 5), fmt=st.sampled_from(sorted(FORMATS)))
def test_duplicate_mutation_ids_in_one_batch_are_applied_once(
    device: Device, copies: int, fmt: str
) -> None:
    once, once_timeline = _hold(device, 1, fmt)
    results, timeline = _hold(device, copies, fmt)
    # the copies are answered from the first: applied once, one new version, one timeline
    assert [x["status"] for x in results] == [once[0]["status"]] * copies == ["applied"] * copies
    assert {x["version"] for x in results} == {results[0]["version"]}
    assert timeline == once_timeline


def _cursor_like(raw: bytes) -> str:
    return "c1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


cursors = (
    text
    | st.binary(max_size=60).map(_cursor_like)
    | json_values.map(lambda v: _cursor_like(json.dumps(v).encode()))
    | st.tuples(text, st.sampled_from(["open", "history", "live", "lost"]), st.integers()).map(
        lambda t: _cursor_like(json.dumps(list(t)).encode())
    )
)


@FUZZ
@given(cursor=cursors, limit=st.none() | st.integers(-5, 2000) | text)
def test_a_garbage_cursor_or_limit_is_a_400_naming_it(
    device: Device, cursor: str, limit: int | str | None
) -> None:
    params: dict[str, Any] = {"cursor": cursor}
    if limit is not None:
        params["limit"] = limit
    before = device.written()
    with device.tenant.client() as c:
        r = c.get("/api/sync/pull", params=params)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert_refused(device, r, before)
        detail = r.json()["detail"] + json.dumps(r.json().get("errors", []))
        assert "cursor" in detail or "limit" in detail, detail
