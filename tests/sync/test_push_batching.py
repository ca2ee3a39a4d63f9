"""A batch gives what the same mutations give pushed one at a time (SQLite and PostgreSQL).

The push writes a batch with set-based statements (one read of the records, of the orders,
of the stock; one write per table). This checks it against the simplest possible path, a
batch of one, on a scenario that mixes what the batching has to keep apart: retries of a
recorded mutation, a mutation id repeated inside the batch, rejections, an unknown order,
many mutations on one order, notes (one of them a repeat), conflicts and shipping.

Two vendors get identical orders; one pushes the scenario as one batch, the other one
mutation per push. Results, orders, notes, conflicts, timelines and stock must agree, up to
ids, times and version numbers (a batch gives each order one new version, single pushes
one each). Effects follow each order's net change over a batch (``docs/sync.md``), so the
scenario keeps to changes whose net effect is the same either way.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from server.db import create_engine, session_factory
from server.orders.models import OrderRow
from server.orders.store import columns_of, decode_order
from tests.support import Tenant
from tests.sync.calls import TRACKING_A, TRACKING_B, new_order, order_of, push
from tests.sync.calls import mutation as make

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
#: per-vendor identities: differ between the two vendors by construction
_IDS = {
    "id",
    "number",
    "external_id",
    "version",
    "order_id",
    "line_id",
    "note_id",
    "author_id",
    "user_id",
}
_TAG = re.compile(r"^[0-9a-f]{8}-")
_CUSTOMER = {"name": "Casey Same", "email": "casey@example.com"}


def _shape(value: Any) -> Any:
    """``value`` without ids, and with every time replaced by a marker."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in _IDS}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    if isinstance(value, str):
        return _TAG.sub("", value)  # the mutation ids' vendor tag
    return value


def _scenario(orders: list[str], lines: list[list[str]], tag: str) -> tuple[list[Any], list[Any]]:
    """Mutations pushed before the batch, and the batch itself.

    Mutation ids start with ``tag`` (8 hex digits): a conflict's id derives from its
    mutation's device and id, and conflict ids are unique across all vendors.
    """
    one, two, three = orders

    def mutation(order_id: str, action: str, mid: str, **args: Any) -> dict[str, Any]:
        return make(order_id, action, mid=f"{tag}-{mid}", **args)

    first = mutation(one, "start_processing", mid="pre-start")
    scan = mutation(one, "pick", mid="scan-1", line_id=lines[0][0], quantity=1)
    batch = [
        mutation(one, "start_processing", mid="again-start"),  # already done: merged
        first,  # pushed before: answered from its record
        scan,
        mutation(one, "pick", mid="scan-2", line_id=lines[0][0], quantity=5),  # over-pick
        mutation(two, "pick", mid="early-pick", line_id=lines[1][0]),  # New: rejected
        mutation(two, "start_processing", mid="start-2"),
        mutation(two, "mark_short", mid="short-2", line_id=lines[1][1], missing=1),
        mutation(one, "pick", mid="scan-3", line_id=lines[0][1], quantity=1),
        mutation(one, "add_note", mid="note-1", note_id="note-x", kind="team_message", text="a"),
        mutation(one, "add_note", mid="note-2", note_id="note-x", kind="team_message", text="a"),
        scan,  # repeated inside the batch: answered from the first
        mutation("no-such-order", "start_processing", mid="lost"),
        mutation(one, "inspect", mid="inspect-1"),
        mutation(one, "pack", mid="pack-1", package_type="box", weight_grams=900),
        mutation(one, "print_slip", mid="slip-1"),
        mutation(one, "print_label", mid="label-1"),
        mutation(one, "attach_label", mid="attach-1"),
        mutation(one, "ship", mid="ship-1", carrier="demo", tracking_number=TRACKING_A),
        mutation(one, "ship", mid="ship-2", carrier="demo", tracking_number=TRACKING_B),
        mutation(three, "hold", mid="hold-3", reason="customer_request"),
        mutation(three, "ship", mid="ship-3", carrier="demo", tracking_number=TRACKING_B),
        mutation(two, "pick", mid="scan-4", line_id=lines[1][0], quantity=2),
    ]
    return [first], batch


def _state(client: httpx.Client, orders: list[str]) -> list[Any]:
    """What the order screens show of each order, shaped for comparison."""
    state = []
    for order_id in orders:
        detail = order_of(client, order_id)
        timeline = sorted(
            (e["kind"], repr(_shape(e["detail"])), e["source"], e["device_id"])
            for e in detail["timeline"]
        )
        state.append(
            {
                "order": _shape(detail["order"]),
                "notes": sorted(repr(_shape(n)) for n in detail["notes"]),
                "conflicts": sorted(repr(_shape(k)) for k in detail["conflicts"]),
                "timeline": timeline,
            }
        )
    return state


def _stock(client: httpx.Client) -> dict[str, tuple[int, int]]:
    items = client.get("/api/inventory").json()
    return {i["sku"]: (i["on_hand"], i["reserved"]) for i in items}


def _run(tenant: Tenant, one_at_a_time: bool) -> tuple[list[Any], list[Any], Any]:
    orders = [new_order(tenant, customer=_CUSTOMER) for _ in range(3)]
    with tenant.client("staff") as client:
        lines = [[ln["id"] for ln in order_of(client, o)["order"]["lines"]] for o in orders]
        before, batch = _scenario(orders, lines, uuid.uuid4().hex[:8])
        push(client, *before)
        if one_at_a_time:
            results = [r for m in batch for r in push(client, m)]
        else:
            results = push(client, *batch)
        return results, _state(client, orders), _stock(client)


def test_a_batch_gives_what_pushing_its_mutations_one_by_one_gives(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    batched, batch_state, batch_stock = _run(tenant, one_at_a_time=False)
    single, single_state, single_stock = _run(other_tenant, one_at_a_time=True)

    def verdicts(results: list[Any]) -> list[Any]:
        return [
            (
                r["mutation_id"].split("-", 1)[1],
                r["status"],
                r["code"],
                r["message"],
                bool(r["version"]),
            )
            for r in results
        ]

    assert verdicts(batched) == verdicts(single)
    assert [r["status"] for r in batched] == [
        "merged",  # start again: already done
        "applied",  # pushed before: its recorded result
        "applied",
        "merged",  # over-pick
        "rejected",  # pick on a New order
        "applied",
        "applied",
        "applied",
        "applied",
        "merged",  # the same note again
        "applied",  # the repeated scan
        "rejected",  # unknown order
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "rejected",  # a second tracking number
        "applied",
        "merged",  # shipped over the hold
        "applied",
    ]
    assert batched[2] == batched[10]
    assert batched[11]["code"] == "not_found"
    # every mutation of the batch that changed an order reports the batch's one version
    versions = {r["version"] for r in batched[2:] if r["version"]}
    assert len(versions) == 3  # three orders changed, one version each
    for n, (got, want) in enumerate(zip(batch_state, single_state, strict=True)):
        for key in ("order", "notes", "conflicts", "timeline"):
            assert got[key] == want[key], f"order {n + 1}: {key}"
    assert batch_stock == single_stock
    assert batch_state[0]["order"]["status"] == "shipped"
    assert batch_state[1]["order"]["status"] == "on_hold"
    assert batch_state[2]["order"]["status"] == "shipped"
    kinds = [c for s in batch_state for c in s["conflicts"]]
    assert any("tracking_mismatch" in c for c in kinds)
    assert any("ship_vs_hold" in c for c in kinds)


async def _rows_out_of_step(database_url: str, vendor_id: str) -> list[str]:
    """Orders of the vendor whose derived columns differ from their document's."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalars(select(OrderRow).where(OrderRow.vendor_id == vendor_id))
            return [
                f"{row.id}.{key}"
                for row in rows
                for key, value in columns_of(decode_order(row)).items()
                if getattr(row, key) != value
            ]
    finally:
        await engine.dispose()


def test_the_columns_a_batch_writes_match_the_documents(tenant: Tenant, database_url: str) -> None:
    # The batch sets only the derived columns that changed; all of them must still agree.
    batched, _, _ = _run(tenant, one_at_a_time=False)
    assert any(r["status"] == "applied" for r in batched)
    assert asyncio.run(_rows_out_of_step(database_url, tenant.vendor_id)) == []
