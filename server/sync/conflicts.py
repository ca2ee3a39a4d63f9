"""Reading recorded conflicts: for pull pages and for the order screen."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.sync.models import OrderConflict
from shared.sync import ConflictKind, ConflictRecord


def record_of(row: OrderConflict) -> ConflictRecord:
    """The wire view of a conflict row."""
    return ConflictRecord(
        id=row.id,
        order_id=row.order_id,
        kind=ConflictKind(row.kind),
        message=row.message,
        mutation_id=row.mutation_id,
        device_id=row.device_id,
        user_id=row.user_id,
        at=row.at,
    )


async def open_conflicts(
    session: AsyncSession, vendor_id: str, order_id: str
) -> list[ConflictRecord]:
    """The order's conflicts nobody has settled yet, oldest first."""
    rows = await session.scalars(
        select(OrderConflict)
        .where(
            OrderConflict.vendor_id == vendor_id,
            OrderConflict.order_id == order_id,
            OrderConflict.resolved_at.is_(None),
        )
        .order_by(OrderConflict.at, OrderConflict.id)
    )
    return [record_of(r) for r in rows]
