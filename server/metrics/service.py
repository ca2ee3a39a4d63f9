"""Count a vendor's orders in SQL and compute the trailing-window metrics and daily series."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.ids import utcnow
from server.metrics import queries
from server.metrics.daily import Day, DayTally, day_starts, series_of
from shared.deadlines import Calendar
from shared.metrics import (
    WindowCounts,
    WindowMetrics,
    hours_from_microseconds,
    promise_days,
    window_of,
)

WINDOWS = (7, 30)
# Orders placed this long before a window can still ship or be delivered inside it.
LOOKBACK = timedelta(days=60)
#: microseconds in a day
DAY_US = 86_400_000_000


class Metrics(Struct):
    """The seller's metrics for each trailing window, and the last 30 days one by one."""

    vendor_id: str
    computed_at: datetime
    windows: list[WindowMetrics]
    #: the vendor's time zone: the days of ``daily`` are its local days
    timezone: str
    daily: list[Day]


async def compute(session: AsyncSession, vendor_id: str, now: datetime | None = None) -> Metrics:
    """Metrics for the 7- and 30-day windows ending now, and the daily series for charts.

    One statement does the counting (``server/metrics/queries.py``); here each of its rows
    is put where it belongs, and the calendar decides which deliveries were on time.
    """
    now = now or utcnow()
    since = now - timedelta(days=max(WINDOWS)) - LOOKBACK
    windows = {days: now - timedelta(days=days) for days in WINDOWS}
    conn = await session.connection()
    vendor = (
        await conn.execute(
            select(Vendor.timezone, Vendor.country, Vendor.subdivision).where(
                Vendor.id == vendor_id
            )
        )
    ).one()
    calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
    starts = day_starts(now, calendar)

    counts = {days: dict.fromkeys(WindowCounts.__struct_fields__, 0) for days in WINDOWS}
    hours: dict[int, list[float]] = {days: [] for days in WINDOWS}
    tallies = [DayTally() for _ in starts]
    promise_limits: dict[int, int] = {}  # ship-by (Unix seconds): latest on-time delivery, µs after
    rows = await conn.execute(*queries.metrics(vendor_id, since, now, windows, starts))
    for part, ref, a, b in rows:
        if part == queries.WINDOW_DUE:
            counts[ref].update(due=a, late=b)
        elif part == queries.WINDOW_PLACED:
            counts[ref].update(placed=a, cancelled=b)
        elif part == queries.WINDOW_SHIPPED:
            counts[ref].update(shipped=a, tracked=b)
        elif part == queries.DAY_PLACED:
            tallies[ref].placed, tallies[ref].cancelled = a, b
        elif part == queries.DAY_DUE:
            tallies[ref].due, tallies[ref].late = a, b
        elif part == queries.SHIPMENT:
            h = hours_from_microseconds(a)
            for days in WINDOWS:
                if b is not None and b <= days:
                    hours[days].append(h)
            if ref is not None:
                tallies[ref].add_shipment(h)
        else:  # DELIVERY: on time if by the promised date (ship-by + promise_days)
            limit = promise_limits.get(ref)
            if limit is None:  # orders share a few ship-by moments (ends of local days)
                ship_by_day = datetime.fromtimestamp(ref, calendar.zone).date()
                limit = promise_limits[ref] = promise_days(ship_by_day, calendar) * DAY_US
            on_time = a <= limit
            for days in WINDOWS:
                if b <= days:
                    counts[days]["delivered"] += 1
                    counts[days]["on_time"] += on_time

    return Metrics(
        vendor_id,
        now,
        [window_of(days, now, WindowCounts(**counts[days]), hours[days]) for days in WINDOWS],
        vendor.timezone,
        series_of(now, calendar, tallies),
    )
