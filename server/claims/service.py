"""Claims: one person per order at a time, for a while, renewed as they work.

A claim is coordination between people who are online, not a step of the order: it is
never queued on a device (a claim that reaches the server an hour late would only mislead)
and never lands on the timeline. It runs out by itself, so a picker who walks away does
not lock an order; someone else may also take it over on purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, case, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.security import Actor
from server.claims.models import OrderClaim
from server.claims.schemas import Claim, ClaimBoard
from server.errors import Conflict
from server.ids import utcnow
from server.orders.models import OrderRow
from shared.types import CLAIMABLE, OrderStatus

#: expired claims are kept this long (a late "release" finds them), then pruned
KEEP_EXPIRED = timedelta(days=1)


def as_claim(row: OrderClaim | Row[Any]) -> Claim:
    """The wire shape of a stored claim."""
    return Claim(
        order_id=row.order_id,
        user_id=row.user_id,
        user_name=row.user_name,
        device_id=row.device_id,
        claimed_at=row.claimed_at,
        expires_at=row.expires_at,
    )


def held_by_someone_else(order_number: str, holder: OrderClaim) -> Conflict:
    """409 naming who is on the order and until when (the app shows it and offers a take-over)."""
    until = holder.expires_at.strftime("%H:%M UTC")
    return Conflict(
        f"{holder.user_name} is working on order {order_number} (claim runs until {until})",
        extra={"code": "claimed", "claim": _plain(as_claim(holder))},
    )


async def claim(
    session: AsyncSession,
    order: OrderRow,
    actor: Actor,
    device_id: str,
    minutes: int,
    take_over: bool,
) -> Claim:
    """Claim ``order`` for ``actor`` (renewing their own claim); 409 if someone else holds it.

    One statement decides, so two people tapping at once on two server instances cannot
    both win: the insert-or-update only replaces a claim that has run out, is the caller's
    own, or is being taken over on purpose.
    """
    status = OrderStatus(order.status)
    if status not in CLAIMABLE:
        raise Conflict(
            f"order {order.number} is {status.label.lower()}: there is nothing left to pick, "
            "pack or ship",
            extra={"code": "not_claimable"},
        )
    now = utcnow()
    table = cast(Table, OrderClaim.__table__)
    values = {
        "order_id": order.id,
        "vendor_id": order.vendor_id,
        "user_id": actor.user_id,
        "user_name": actor.name,
        "device_id": device_id,
        "claimed_at": now,
        "expires_at": now + timedelta(minutes=minutes),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    stmt = insert.values(values)
    renewing = table.c.user_id == stmt.excluded.user_id
    allowed = None if take_over else or_(table.c.expires_at <= now, renewing)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.order_id],
        set_={
            "user_id": stmt.excluded.user_id,
            "user_name": stmt.excluded.user_name,
            "device_id": stmt.excluded.device_id,
            # A renewal keeps when the person started; a new holder starts now.
            "claimed_at": case(
                (renewing & (table.c.expires_at > now), table.c.claimed_at),
                else_=stmt.excluded.claimed_at,
            ),
            "expires_at": stmt.excluded.expires_at,
        },
        where=allowed,
    ).returning(*table.c)
    await session.execute(
        delete(OrderClaim).where(
            OrderClaim.vendor_id == order.vendor_id, OrderClaim.expires_at < now - KEEP_EXPIRED
        )
    )
    won = (await session.execute(upsert)).one_or_none()
    if won is None:
        holder = await session.get_one(OrderClaim, order.id, populate_existing=True)
        refused = held_by_someone_else(order.number, holder)
        await session.rollback()
        raise refused
    result = as_claim(won)
    await session.commit()
    return result


async def release(session: AsyncSession, order: OrderRow, actor: Actor) -> None:
    """Give the order up. Only its holder or an owner may end a live claim of someone else."""
    holder = await session.get(OrderClaim, order.id)
    if holder is None:
        return
    live = holder.expires_at > utcnow()
    if live and holder.user_id != actor.user_id and not actor.is_owner:
        raise held_by_someone_else(order.number, holder)
    await session.delete(holder)
    await session.commit()


async def board(session: AsyncSession, vendor_id: str) -> ClaimBoard:
    """Every live claim of the vendor on an order that still has work left."""
    now = utcnow()
    rows = await session.scalars(
        select(OrderClaim)
        .join(OrderRow, OrderRow.id == OrderClaim.order_id)
        .where(
            OrderClaim.vendor_id == vendor_id,
            OrderClaim.expires_at > now,
            OrderRow.status.in_([s.value for s in CLAIMABLE]),
        )
        .order_by(OrderClaim.claimed_at)
    )
    return ClaimBoard(server_time=now, claims=[as_claim(r) for r in rows])


def _plain(claim_: Claim) -> dict[str, str]:
    return {
        "order_id": claim_.order_id,
        "user_id": claim_.user_id,
        "user_name": claim_.user_name,
        "device_id": claim_.device_id,
        "claimed_at": _iso(claim_.claimed_at),
        "expires_at": _iso(claim_.expires_at),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()
