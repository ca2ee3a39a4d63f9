"""Seller metrics as marketplaces define them, computed from order facts (pure functions).

Each figure is a share of a clearly defined set of orders in a trailing window; the
definitions are written out in ``docs/metrics.md`` and shown next to the marketplace
threshold the seller is held to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from msgspec import Struct

from shared.deadlines import Calendar, add_business_days

#: business days a carrier gets after ship-by before a delivery counts as late
DELIVERY_PROMISE_BUSINESS_DAYS = 5

SELLER_CANCEL_REASONS = frozenset({"seller", "out_of_stock"})


class OrderFacts(Struct, frozen=True):
    """The timestamps of one order that the metrics need."""

    created_at: datetime
    paid_at: datetime | None
    ship_by: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    tracking_number: str
    has_carrier_event: bool


class Rate(Struct, frozen=True):
    """One metric: how many of how many, the share, the marketplace's threshold."""

    name: str
    numerator: int
    denominator: int
    value: float | None  # None when there is nothing to measure yet
    threshold: float | None
    #: "max": the value must stay under the threshold; "min": it must reach it
    direction: str
    ok: bool | None


class Durations(Struct, frozen=True):
    """Time from payment to shipping over the shipped orders of the window."""

    count: int
    average_hours: float | None
    p90_hours: float | None
    within_24h: float | None
    within_48h: float | None


class WindowMetrics(Struct, frozen=True):
    """Every metric for one trailing window."""

    days: int
    start: datetime
    end: datetime
    late_shipment_rate: Rate
    cancellation_rate: Rate
    valid_tracking_rate: Rate
    on_time_delivery_rate: Rate
    time_to_ship: Durations


def _rate(name: str, num: int, den: int, threshold: float | None, direction: str) -> Rate:
    value = num / den if den else None
    ok = None
    if value is not None and threshold is not None:
        ok = value < threshold if direction == "max" else value >= threshold
    return Rate(name, num, den, value, threshold, direction, ok)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by the nearest-rank method, as a seller would count it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def promised_delivery(ship_by: datetime, calendar: Calendar) -> datetime:
    """Latest on-time delivery: end of the 5th business day after the ship-by day."""
    local = ship_by.astimezone(calendar.zone).date()
    return ship_by + timedelta(days=promise_days(local, calendar))


@lru_cache(maxsize=4096)
def promise_days(ship_by_day: date, calendar: Calendar) -> int:
    """Calendar days from a ship-by (on that local day) to its promised delivery."""
    # Cached: a vendor's orders share a few hundred ship-by days, and counting business
    # days walks the holiday calendar day by day.
    day = add_business_days(ship_by_day, DELIVERY_PROMISE_BUSINESS_DAYS, calendar)
    return (day - ship_by_day).days


class WindowCounts(Struct, frozen=True):
    """How many orders of a window fall in each set of ``docs/metrics.md`` (the rates' parts)."""

    #: ship-by in the window, not cancelled; of those, shipped after ship-by or unshipped
    due: int = 0
    late: int = 0
    #: placed in the window; of those, cancelled before shipping for a seller reason
    placed: int = 0
    cancelled: int = 0
    #: shipped in the window; of those, with a tracking number and a carrier event
    shipped: int = 0
    tracked: int = 0
    #: delivered in the window (with a ship-by); of those, by the promised delivery date
    delivered: int = 0
    on_time: int = 0


def hours_to_ship(shipped_at: datetime, paid_at: datetime | None, created_at: datetime) -> float:
    """Hours from payment (or placement, if unpaid) to shipping."""
    return (shipped_at - (paid_at or created_at)).total_seconds() / 3600


def hours_from_microseconds(microseconds: int) -> float:
    """The same hours as :func:`hours_to_ship`, from the exact span in microseconds.

    ``timedelta.total_seconds()`` is the span's microseconds divided by a million, so a
    database that hands over the exact span gives the very same float.
    """
    return microseconds / 1_000_000 / 3600


def durations(hours: Sequence[float]) -> Durations:
    """Average, 90th percentile and shares within 24 h and 48 h of the hours to ship."""
    if not hours:
        return Durations(0, None, None, None, None)
    return Durations(
        count=len(hours),
        average_hours=sum(hours) / len(hours),
        p90_hours=percentile(hours, 90),
        within_24h=sum(h <= 24 for h in hours) / len(hours),
        within_48h=sum(h <= 48 for h in hours) / len(hours),
    )


def window_of(
    days: int, now: datetime, counts: WindowCounts, hours: Sequence[float]
) -> WindowMetrics:
    """The metrics of the trailing ``days`` from the window's counts and hours to ship."""
    c = counts
    return WindowMetrics(
        days=days,
        start=now - timedelta(days=days),
        end=now,
        late_shipment_rate=_rate("Late shipment rate", c.late, c.due, 0.04, "max"),
        cancellation_rate=_rate(
            "Pre-fulfilment cancellation rate", c.cancelled, c.placed, 0.025, "max"
        ),
        valid_tracking_rate=_rate("Valid tracking rate", c.tracked, c.shipped, 0.95, "min"),
        on_time_delivery_rate=_rate("On-time delivery rate", c.on_time, c.delivered, 0.97, "min"),
        time_to_ship=durations(hours),
    )


def window_metrics(
    facts: Iterable[OrderFacts], now: datetime, days: int, calendar: Calendar
) -> WindowMetrics:
    """The metrics of the trailing ``days`` ending ``now`` (definitions in docs/metrics.md)."""
    start = now - timedelta(days=days)
    due = late = created = cancelled = shipped = tracked = delivered = on_time = 0
    hours: list[float] = []

    def within(t: datetime | None) -> bool:
        return t is not None and start <= t < now

    for f in facts:
        # Late shipment: orders whose ship-by fell in the window and that were not
        # cancelled; late if shipped after ship-by or still unshipped at its end.
        if within(f.ship_by) and f.ship_by is not None and f.cancelled_at is None:
            due += 1
            if (f.shipped_at or now) > f.ship_by:
                late += 1
        # Cancellation: orders placed in the window cancelled by the seller before shipping.
        if within(f.created_at):
            created += 1
            if (
                f.cancelled_at is not None
                and f.shipped_at is None
                and f.cancel_reason in SELLER_CANCEL_REASONS
            ):
                cancelled += 1
        if within(f.shipped_at) and f.shipped_at is not None:
            shipped += 1
            if f.tracking_number and f.has_carrier_event:
                tracked += 1
            hours.append(hours_to_ship(f.shipped_at, f.paid_at, f.created_at))
        if within(f.delivered_at) and f.delivered_at is not None and f.ship_by is not None:
            delivered += 1
            if f.delivered_at <= promised_delivery(f.ship_by, calendar):
                on_time += 1
    counts = WindowCounts(due, late, created, cancelled, shipped, tracked, delivered, on_time)
    return window_of(days, now, counts, hours)
