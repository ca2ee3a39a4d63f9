"""Stock: reservations by open orders, consumption on shipping, release on cancel."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import BadRequest, not_found
from server.ids import new_id, utcnow
from server.inventory.models import InventoryRow
from server.inventory.schemas import Adjustment, ItemIn
from shared.lifecycle import open_lines
from shared.types import InventoryItem, Order, OrderStatus


def item_of(row: InventoryRow) -> InventoryItem:
    """The wire view of an inventory row."""
    return InventoryItem(
        sku=row.sku,
        name=row.name,
        barcode=row.barcode,
        on_hand=row.on_hand,
        reserved=row.reserved,
        bin_location=row.bin_location,
        low_stock_threshold=row.low_stock_threshold,
    )


def _wanted(order: Order) -> dict[str, int]:
    wanted: dict[str, int] = defaultdict(int)
    for line in open_lines(order):
        wanted[line.sku] += line.quantity
    return dict(wanted)


async def _rows(session: AsyncSession, vendor_id: str, skus: list[str]) -> dict[str, InventoryRow]:
    rows = await session.scalars(
        select(InventoryRow).where(InventoryRow.vendor_id == vendor_id, InventoryRow.sku.in_(skus))
    )
    return {row.sku: row for row in rows}


async def shortfalls(session: AsyncSession, vendor_id: str, order: Order) -> dict[str, int]:
    """Units missing per SKU to fill the order from free stock (empty when all is there)."""
    wanted = _wanted(order)
    rows = await _rows(session, vendor_id, list(wanted))
    missing: dict[str, int] = {}
    for sku, quantity in wanted.items():
        row = rows.get(sku)
        free = 0 if row is None else row.on_hand - row.reserved
        if free < quantity:
            missing[sku] = quantity - max(free, 0)
    return missing


async def reserve(session: AsyncSession, vendor_id: str, order: Order) -> None:
    """Claim stock for the order's lines (caller checked :func:`shortfalls` first)."""
    wanted = _wanted(order)
    rows = await _rows(session, vendor_id, list(wanted))
    now = utcnow()
    for sku, quantity in wanted.items():
        row = rows[sku]
        row.reserved += quantity
        row.updated_at = now


async def follow_status(session: AsyncSession, vendor_id: str, before: Order, after: Order) -> None:
    """Keep stock in step with a status change: ship consumes, cancel releases."""
    if before.availability_verified_at is None or before.status is after.status:
        return
    if after.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        return
    wanted = _wanted(before)
    rows = await _rows(session, vendor_id, list(wanted))
    now = utcnow()
    for sku, quantity in wanted.items():
        row = rows.get(sku)
        if row is None:
            continue
        row.reserved = max(0, row.reserved - quantity)
        if after.status is OrderStatus.SHIPPED:
            row.on_hand = max(0, row.on_hand - quantity)
        row.updated_at = now


async def list_items(
    session: AsyncSession, vendor_id: str, q: str | None, limit: int, offset: int
) -> list[InventoryItem]:
    """The vendor's SKUs, optionally filtered by SKU, barcode or name."""
    query = select(InventoryRow).where(InventoryRow.vendor_id == vendor_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                InventoryRow.sku.ilike(like),
                InventoryRow.barcode == q,
                InventoryRow.name.ilike(like),
            )
        )
    rows = await session.scalars(query.order_by(InventoryRow.sku).limit(limit).offset(offset))
    return [item_of(r) for r in rows]


async def get_item(session: AsyncSession, vendor_id: str, sku: str) -> InventoryItem:
    """One SKU, or 404."""
    row = (await _rows(session, vendor_id, [sku])).get(sku)
    if row is None:
        raise not_found(f"SKU {sku!r}")
    return item_of(row)


async def put_item(session: AsyncSession, vendor_id: str, sku: str, data: ItemIn) -> InventoryItem:
    """Create or replace a SKU (stock reserved by orders is kept)."""
    row = (await _rows(session, vendor_id, [sku])).get(sku)
    if row is None:
        row = InventoryRow(id=new_id(), vendor_id=vendor_id, sku=sku, reserved=0)
        session.add(row)
    row.name = data.name
    row.barcode = data.barcode
    row.on_hand = data.on_hand
    row.bin_location = data.bin_location
    row.low_stock_threshold = data.low_stock_threshold
    row.updated_at = utcnow()
    await session.commit()
    return item_of(row)


async def adjust(
    session: AsyncSession, vendor_id: str, sku: str, adjustment: Adjustment
) -> InventoryItem:
    """Correct stock on hand after a count; never below zero."""
    row = (await _rows(session, vendor_id, [sku])).get(sku)
    if row is None:
        raise not_found(f"SKU {sku!r}")
    if row.on_hand + adjustment.delta < 0:
        raise BadRequest(
            f"delta: {sku} has {row.on_hand} on hand; cannot remove {-adjustment.delta}"
        )
    row.on_hand += adjustment.delta
    row.updated_at = utcnow()
    await session.commit()
    return item_of(row)


async def list_for(session: AsyncSession, vendor_id: str, skus: list[str]) -> list[InventoryItem]:
    """The inventory items of these SKUs (unknown SKUs are left out)."""
    return [item_of(r) for r in (await _rows(session, vendor_id, skus)).values()]
