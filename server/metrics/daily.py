"""Day-by-day figures of the trailing 30 days, for the dashboard's charts (pure functions).

The windows in ``shared/metrics.py`` say where the seller stands; these say how they got
there. Days are the vendor's local days, oldest first, ending with today. Each day counts
the same sets of orders as the window metrics (definitions in ``docs/metrics.md``), so a
day's ``late`` of ``due`` is that day's share of the late shipment rate.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from msgspec import Struct

from shared.deadlines import Calendar
from shared.metrics import SELLER_CANCEL_REASONS, OrderFacts, hours_to_ship

#: how many local days the series covers (the longer trailing window)
SERIES_DAYS = 30


class Day(Struct, frozen=True):
    """One local day of the vendor's orders."""

    day: date
    #: orders placed this day
    placed: int
    #: of those, cancelled before shipping for a seller reason
    cancelled_by_seller: int
    #: orders whose ship-by was this day (already passed), not cancelled
    due: int
    #: of those, shipped after ship-by or still unshipped
    late: int
    #: orders shipped this day
    shipped: int
    #: of those, shipped within 24 h of payment (or placement, if unpaid)
    shipped_within_24h: int
    #: average hours from payment to shipping of the orders shipped this day
    average_hours_to_ship: float | None


class DayTally:
    """What one local day has counted so far (mutable, while the orders are gone through)."""

    __slots__ = ("cancelled", "due", "hours", "late", "placed", "shipped", "within_24h")

    def __init__(self) -> None:
        self.placed = self.cancelled = self.due = self.late = 0
        self.shipped = self.within_24h = 0
        self.hours = 0.0

    def add_shipment(self, hours: float) -> None:
        """One order shipped this day, ``hours`` after payment (or placement)."""
        self.shipped += 1
        self.hours += hours
        self.within_24h += hours <= 24


def day_starts(now: datetime, calendar: Calendar, days: int = SERIES_DAYS) -> list[datetime]:
    """Where each of the last ``days`` local days ending today starts, in UTC, oldest first.

    DST shifts included: a moment's day is found by bisecting these (or comparing with them
    in SQL), which is several times faster than converting every moment to the vendor's zone.
    """
    zone = calendar.zone
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    return [
        datetime.combine(first + timedelta(days=i), time(0, 0), tzinfo=zone).astimezone(UTC)
        for i in range(days)
    ]


def series_of(now: datetime, calendar: Calendar, tallies: list[DayTally]) -> list[Day]:
    """The local days of :func:`day_starts`, each with what was counted for it."""
    first = now.astimezone(calendar.zone).date() - timedelta(days=len(tallies) - 1)
    return [
        Day(
            day=first + timedelta(days=i),
            placed=t.placed,
            cancelled_by_seller=t.cancelled,
            due=t.due,
            late=t.late,
            shipped=t.shipped,
            shipped_within_24h=t.within_24h,
            average_hours_to_ship=t.hours / t.shipped if t.shipped else None,
        )
        for i, t in enumerate(tallies)
    ]


def daily_series(
    facts: Iterable[OrderFacts], now: datetime, calendar: Calendar, days: int = SERIES_DAYS
) -> list[Day]:
    """The last ``days`` local days ending today, oldest first (days with nothing are zeros)."""
    starts = day_starts(now, calendar, days)
    tallies = [DayTally() for _ in range(days)]
    earliest = starts[0]

    def slot(t: datetime | None) -> DayTally | None:
        if t is None or t < earliest or t >= now:
            return None
        return tallies[bisect_right(starts, t) - 1]

    for f in facts:
        placed = slot(f.created_at)
        if placed is not None:
            placed.placed += 1
            if (
                f.cancelled_at is not None
                and f.shipped_at is None
                and f.cancel_reason in SELLER_CANCEL_REASONS
            ):
                placed.cancelled += 1
        if f.ship_by is not None and f.cancelled_at is None:
            due = slot(f.ship_by)
            if due is not None:
                due.due += 1
                if (f.shipped_at or now) > f.ship_by:
                    due.late += 1
        shipped = slot(f.shipped_at)
        if shipped is not None and f.shipped_at is not None:
            shipped.add_shipment(hours_to_ship(f.shipped_at, f.paid_at, f.created_at))
    return series_of(now, calendar, tallies)
