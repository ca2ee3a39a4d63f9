"""What else must change, in the same transaction, when an order changes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from server.inventory import service as inventory
from server.outofstock import service as outofstock
from server.payouts import service as payouts
from shared.lifecycle import Event
from shared.types import Order


async def after_change(
    session: AsyncSession, vendor_id: str, before: Order, after: Order
) -> list[Event]:
    """Keep stock, refunds, follow-ups and payouts in step with a change of the order.

    Returns the extra timeline events these caused (a refund, a low-stock alert, …).
    """
    return (await after_changes(session, vendor_id, [(before, after)]))[0]


async def after_changes(
    session: AsyncSession, vendor_id: str, changes: Sequence[tuple[Order, Order]]
) -> list[list[Event]]:
    """:func:`after_change` for several orders at once (a sync batch): one stock query."""
    stock = await inventory.reconcile_many(session, vendor_id, changes)
    result: list[list[Event]] = []
    for (before, after), alerts in zip(changes, stock, strict=True):
        events = [Event("low_stock", {"sku": a.sku, "available": a.available}) for a in alerts]
        events.extend(await outofstock.after_change(session, vendor_id, before, after))
        if before.delivery_confirmed_at is None and after.delivery_confirmed_at is not None:
            await payouts.initiate(session, vendor_id, after)
        result.append(events)
    return result
