"""Payouts are initiated exactly once, when delivery is confirmed."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.ids import new_id, utcnow
from server.outofstock.service import refunded
from server.payouts.models import Payout
from shared.money import decimal_amount as money
from shared.types import Order


class PayoutOut(Struct):
    """A payout as the seller sees it (amounts in minor units)."""

    id: str
    order_id: str
    order_number: str
    currency: str
    order_total_minor: int
    fee_minor: int
    refunded_minor: int
    amount_minor: int
    status: str
    created_at: datetime


def fee(total_minor: int, fee_bp: int) -> int:
    """The marketplace fee, rounded half up to a whole minor unit."""
    return (total_minor * fee_bp + 5000) // 10000


async def initiate(session: AsyncSession, vendor_id: str, order: Order) -> None:
    """Create the order's payout inside the caller's transaction, unless it exists."""
    existing = await session.scalar(select(Payout.id).where(Payout.order_id == order.id))
    if existing is not None:
        return
    vendor = await session.get_one(Vendor, vendor_id)
    # Out-of-stock refunds reduce what the seller is paid.
    returned = await refunded(session, order.id)
    net = order.total_minor - returned
    charged = fee(net, vendor.marketplace_fee_bp)
    session.add(
        Payout(
            id=new_id(),
            vendor_id=vendor_id,
            order_id=order.id,
            order_number=order.number,
            currency=order.currency,
            order_total_minor=order.total_minor,
            fee_minor=charged,
            refunded_minor=returned,
            amount_minor=net - charged,
            fee_bp=vendor.marketplace_fee_bp,
            status="initiated",
            created_at=utcnow(),
        )
    )


def _out(row: Payout) -> PayoutOut:
    return PayoutOut(
        row.id,
        row.order_id,
        row.order_number,
        row.currency,
        row.order_total_minor,
        row.fee_minor,
        row.refunded_minor,
        row.amount_minor,
        row.status,
        row.created_at,
    )


async def list_payouts(
    session: AsyncSession, vendor_id: str, limit: int, offset: int
) -> list[PayoutOut]:
    """The vendor's payouts, newest first."""
    rows = await session.scalars(
        select(Payout)
        .where(Payout.vendor_id == vendor_id)
        .order_by(Payout.created_at.desc(), Payout.id)
        .limit(limit)
        .offset(offset)
    )
    return [_out(r) for r in rows]


CSV_COLUMNS = [
    "created_at",
    "order_number",
    "currency",
    "order_total",
    "fee",
    "refunded",
    "payout",
    "status",
]


async def stream_csv(session: AsyncSession, vendor_id: str) -> AsyncIterator[bytes]:
    """Every payout as CSV rows, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue().encode()
    result = await session.stream_scalars(
        select(Payout).where(Payout.vendor_id == vendor_id).order_by(Payout.created_at, Payout.id)
    )
    async for batch in result.partitions(500):
        buffer.seek(0)
        buffer.truncate()
        for p in batch:
            writer.writerow(
                [
                    p.created_at.isoformat().replace("+00:00", "Z"),
                    p.order_number,
                    p.currency,
                    money(p.order_total_minor, p.currency),
                    money(p.fee_minor, p.currency),
                    money(p.refunded_minor, p.currency),
                    money(p.amount_minor, p.currency),
                    p.status,
                ]
            )
        yield buffer.getvalue().encode()
