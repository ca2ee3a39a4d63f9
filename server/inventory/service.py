"""Stock: reservations by open orders, consumption on shipping, release on cancel."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import cast

from msgspec import Struct
from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server.db import begin_write
from server.errors import BadRequest, not_found
from server.ids import new_id, utcnow
from server.inventory.models import InventoryRow
from server.inventory.schemas import Adjustment, ItemIn
from shared.lifecycle import open_lines
from shared.types import InventoryItem, Order, OrderStatus

_inventory = cast(Table, InventoryRow.__table__)
_update_stock = (
    update(_inventory)
    .where(_inventory.c.id == bindparam("_id"))
    .values(
        on_hand=bindparam("on_hand"),
        reserved=bindparam("reserved"),
        updated_at=bindparam("updated_at"),
    )
)

_DONE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED})


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


async def _rows(
    session: AsyncSession, vendor_id: str, skus: list[str], lock: bool = False
) -> dict[str, InventoryRow]:
    query = select(InventoryRow).where(
        InventoryRow.vendor_id == vendor_id, InventoryRow.sku.in_(skus)
    )
    # A correction made from what was read must not overwrite one committed in between.
    rows = await session.scalars(query.with_for_update() if lock else query)
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


def _held(order: Order) -> Counter[str]:
    """Units the order keeps reserved: verified, not yet shipped or cancelled, not short."""
    held: Counter[str] = Counter()
    if order.availability_verified_at is None or order.status in _DONE:
        return held
    for line in open_lines(order):
        held[line.sku] += line.quantity - line.short
    return held


def _shipped(order: Order) -> Counter[str]:
    """Units that left the shelf with the parcel."""
    gone: Counter[str] = Counter()
    if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        for line in open_lines(order):
            gone[line.sku] += line.quantity
    return gone


def _count_corrections(before: Order, after: Order) -> Counter[str]:
    """On-hand corrections from shortages: a newly reported shortage means the shelf held
    fewer units than the books said; a shortage settled as "found after all" (same line,
    same SKU, still ordered) gives them back. Substituted or removed lines give nothing back.
    """
    correction: Counter[str] = Counter()
    old = {ln.id: ln for ln in before.lines}
    for line in after.lines:
        prior = old.get(line.id)
        was = prior.short if prior is not None and prior.sku == line.sku else 0
        if line.short > was:
            correction[line.sku] -= line.short - was
        elif line.short < was and not line.removed:
            correction[line.sku] += was - line.short
    return correction


class StockChange(Struct, frozen=True):
    """A SKU whose free stock fell to or under its low-stock threshold."""

    sku: str
    available: int
    threshold: int


async def reconcile(
    session: AsyncSession, vendor_id: str, before: Order, after: Order
) -> list[StockChange]:
    """Move stock by the difference between what ``before`` and ``after`` hold.

    Reservations follow the order's lines (a substitution moves them to the new SKU, a
    removed or short line releases them, shipping and cancelling release the rest);
    shipping takes units off the shelf; a newly reported shortage corrects the count on
    hand, since the shelf did not hold what the books said. Returns the SKUs that fell
    to their low-stock threshold with this change.
    """
    return (await reconcile_many(session, vendor_id, [(before, after)]))[0]


def _moves(before: Order, after: Order) -> tuple[Counter[str], Counter[str], list[str]]:
    """Reservation and on-hand changes per SKU between two states, and the SKUs they touch."""
    reserved = _held(after)
    reserved.subtract(_held(before))
    on_hand = _shipped(before)
    on_hand.subtract(_shipped(after))
    if before.availability_verified_at is not None:
        # Only a shelf that was counted on (stock reserved) can have been miscounted.
        on_hand.update(_count_corrections(before, after))
    touched = [sku for sku in set(reserved) | set(on_hand) if reserved[sku] or on_hand[sku]]
    return reserved, on_hand, touched


async def reconcile_many(
    session: AsyncSession, vendor_id: str, changes: Sequence[tuple[Order, Order]]
) -> list[list[StockChange]]:
    """:func:`reconcile` for several changes in one transaction: one stock query, one
    executemany UPDATE.

    Changes are applied in the order given (a sync batch settles many orders at once). The
    rows are read and written with Core statements, not as ORM objects: no unit-of-work
    flush at commit. An ORM copy of a row already in the session is kept in step.
    """
    moves = [_moves(before, after) for before, after in changes]
    skus = sorted({sku for _, _, touched in moves for sku in touched})
    if not skus:
        return [[] for _ in changes]
    if session.autoflush:
        await session.flush()  # what the ORM query used here before did: see pending edits
    t = _inventory
    # Locked (PostgreSQL; SQLite has one writer at a time): the new figures are written
    # whole, so a correction committed between this read and the write must wait, not be
    # overwritten. Sorted SKUs lock in one order everywhere.
    found = await session.execute(
        select(t.c.id, t.c.sku, t.c.on_hand, t.c.reserved, t.c.low_stock_threshold)
        .where(t.c.vendor_id == vendor_id, t.c.sku.in_(skus))
        .order_by(t.c.sku)
        .with_for_update()
    )
    # sku -> [id, on_hand, reserved, low_stock_threshold]
    rows = {r.sku: [r.id, r.on_hand, r.reserved, r.low_stock_threshold] for r in found}
    now = utcnow()
    moved: set[str] = set()
    result: list[list[StockChange]] = []
    for reserved, on_hand, touched in moves:
        alerts: list[StockChange] = []
        for sku in touched:
            row = rows.get(sku)
            if row is None:
                continue  # an item the vendor does not stock here (drop-shipped, say)
            free_before = row[1] - row[2]
            row[2] = max(0, row[2] + reserved[sku])
            row[1] = max(0, row[1] + on_hand[sku])
            moved.add(sku)
            free = row[1] - row[2]
            if row[3] and free <= row[3] < free_before:
                alerts.append(StockChange(sku, free, row[3]))
        result.append(alerts)
    if moved:
        values = [
            {
                "_id": rows[sku][0],
                "on_hand": rows[sku][1],
                "reserved": rows[sku][2],
                "updated_at": now,
            }
            for sku in sorted(moved)
        ]
        await session.execute(_update_stock, values)
        for v in values:
            loaded = session.identity_map.get(identity_key(InventoryRow, v["_id"]))
            if loaded is not None:
                for key in ("on_hand", "reserved", "updated_at"):
                    set_committed_value(loaded, key, v[key])
    return result


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
    await begin_write(session)
    row = (await _rows(session, vendor_id, [sku], lock=True)).get(sku)
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
    await begin_write(session)
    row = (await _rows(session, vendor_id, [sku], lock=True)).get(sku)
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
