"""Reading and writing order documents, their derived columns, timeline and change sequence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

import msgspec
from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.orders.models import OrderEvent, OrderRow
from shared.lifecycle import Event
from shared.types import Order, item_count

_decoder = msgspec.json.Decoder(Order)
_encoder = msgspec.json.Encoder()
_orders = cast(Table, OrderRow.__table__)

#: sort key for orders with no ship-by yet (unpaid): after every dated one
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Origin:
    """Who caused a change and through what: for the timeline."""

    source: str  # "app", "device", "intake", "carrier", "system"
    actor_id: str = ""
    actor_name: str = ""
    device_id: str = ""


def decode_order(row: OrderRow) -> Order:
    """The order document of a row, stamped with the row's change sequence."""
    order = _decoder.decode(row.doc)
    return msgspec.structs.replace(order, version=row.seq)


def columns_of(order: Order) -> dict[str, Any]:
    """The queryable columns, derived from the document in this one place."""
    return {
        "number": order.number,
        "number_key": order.number.lower(),
        "marketplace": order.marketplace,
        "external_id": order.external_id,
        "status": order.status.value,
        "customer_name": order.customer.name,
        "search": f"{order.number} {order.customer.name}".lower(),
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "ship_by": order.ship_by,
        "due_key": order.ship_by or FAR_FUTURE,
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason.value if order.cancel_reason else None,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "item_count": item_count(order),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
    }


async def next_seq(session: AsyncSession, vendor_id: str) -> int:
    """Take the vendor's next change sequence value.

    The UPDATE locks the vendor row until commit (PostgreSQL) or the database is already
    write-locked (SQLite), so a vendor's changes commit in sequence order and a pull never
    skips a change that commits late.
    """
    result = await session.execute(
        update(Vendor)
        .where(Vendor.id == vendor_id)
        .values(change_seq=Vendor.change_seq + 1)
        .returning(Vendor.change_seq)
    )
    return int(result.scalar_one())


def new_row(vendor_id: str, order: Order, seq: int, now: datetime) -> OrderRow:
    """A row for a newly created order."""
    return OrderRow(
        id=order.id,
        vendor_id=vendor_id,
        seq=seq,
        updated_at=now,
        doc=_encoder.encode(msgspec.structs.replace(order, version=seq)).decode(),
        **columns_of(order),
    )


def store(row: OrderRow, order: Order, seq: int, now: datetime) -> Order:
    """Write a changed order back into its row under a new change sequence value."""
    order = msgspec.structs.replace(order, version=seq)
    for key, value in columns_of(order).items():
        setattr(row, key, value)
    row.seq = seq
    row.updated_at = now
    row.doc = _encoder.encode(order).decode()
    return order


@cache
def _update_of(columns: tuple[str, ...]) -> Update:
    """``UPDATE orders SET <columns> WHERE id = :_id``, built once per set of columns."""
    return (
        update(_orders)
        .where(_orders.c.id == bindparam("_id"))
        .values({name: bindparam(name) for name in columns})
    )


async def store_many(
    session: AsyncSession, changes: Sequence[tuple[Order, Order]], now: datetime
) -> None:
    """Write changed orders back, each ``(before, after)`` with ``after`` already stamped
    with its new sequence value (``after.version``).

    Core UPDATEs, one executemany per set of changed columns: only the derived columns that
    differ from ``before`` are set, so SQLite leaves the indexes of the others alone (it
    rewrites an index entry whenever one of its columns is SET, even to the same value).
    The columns always equal :func:`columns_of` the stored document, so ``before``'s tell
    what is in the row.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for before, after in changes:
        old = columns_of(before)
        values = {k: v for k, v in columns_of(after).items() if old[k] != v}
        values["seq"] = after.version
        values["updated_at"] = now
        values["doc"] = _encoder.encode(after).decode()
        key = tuple(values)
        values["_id"] = after.id
        groups.setdefault(key, []).append(values)
    for columns, rows in groups.items():
        await session.execute(_update_of(columns), rows)


def timeline_rows(
    vendor_id: str, order_id: str, events: list[Event], origin: Origin, at: datetime
) -> list[OrderEvent]:
    """Timeline rows for the events of one step."""
    return [
        OrderEvent(
            vendor_id=vendor_id,
            order_id=order_id,
            at=at,
            kind=event.kind,
            detail=_encoder.encode(event.detail).decode(),
            source=origin.source,
            actor_id=origin.actor_id,
            actor_name=origin.actor_name,
            device_id=origin.device_id,
        )
        for event in events
    ]
