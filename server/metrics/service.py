"""Gather order facts for a vendor in one pass and compute the trailing-window metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.ids import utcnow
from server.metrics.daily import Day, daily_series
from server.orders.models import OrderRow
from server.tracking.models import TrackingEvent
from shared.deadlines import Calendar
from shared.metrics import OrderFacts, WindowMetrics, window_metrics

WINDOWS = (7, 30)
# Orders placed this long before a window can still ship or be delivered inside it.
LOOKBACK = timedelta(days=60)


class Metrics(Struct):
    """The seller's metrics for each trailing window, and the last 30 days one by one."""

    vendor_id: str
    computed_at: datetime
    windows: list[WindowMetrics]
    #: the vendor's time zone: the days of ``daily`` are its local days
    timezone: str
    daily: list[Day]


async def compute(session: AsyncSession, vendor_id: str, now: datetime | None = None) -> Metrics:
    """Metrics for the 7- and 30-day windows ending now, and the daily series for charts."""
    now = now or utcnow()
    since = now - timedelta(days=max(WINDOWS)) - LOOKBACK
    vendor = await session.get_one(Vendor, vendor_id)
    calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
    recent = (
        select(OrderRow.id)
        .where(OrderRow.vendor_id == vendor_id, OrderRow.created_at >= since)
        .scalar_subquery()
    )
    tracked = set(
        await session.scalars(
            select(TrackingEvent.order_id).where(TrackingEvent.order_id.in_(recent)).distinct()
        )
    )
    rows = await session.execute(
        select(
            OrderRow.id,
            OrderRow.created_at,
            OrderRow.paid_at,
            OrderRow.ship_by,
            OrderRow.shipped_at,
            OrderRow.delivered_at,
            OrderRow.cancelled_at,
            OrderRow.cancel_reason,
            OrderRow.tracking_number,
        ).where(OrderRow.vendor_id == vendor_id, OrderRow.created_at >= since)
    )
    facts = [
        OrderFacts(
            created_at=r.created_at,
            paid_at=r.paid_at,
            ship_by=r.ship_by,
            shipped_at=r.shipped_at,
            delivered_at=r.delivered_at,
            cancelled_at=r.cancelled_at,
            cancel_reason=r.cancel_reason,
            tracking_number=r.tracking_number,
            has_carrier_event=r.id in tracked,
        )
        for r in rows
    ]
    windows = [window_metrics(facts, now, days, calendar) for days in WINDOWS]
    return Metrics(vendor_id, now, windows, vendor.timezone, daily_series(facts, now, calendar))
