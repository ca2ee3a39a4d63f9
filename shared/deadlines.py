"""Business-day maths for the ship-by deadline and the recommended 24–48 h target.

The seller guide: maximum processing time 3 business days, recommended shipping within
24–48 hours. Business days skip weekends and the public holidays of the vendor's country
(and region), taken from the maintained ``holidays`` package, in the vendor's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from msgspec import Struct

MAX_PROCESSING_BUSINESS_DAYS = 3
RECOMMENDED_HOURS = (24, 48)


class Calendar(Struct, frozen=True):
    """Where a vendor works: time zone, country and optional region for holidays."""

    timezone: str = "UTC"
    country: str = "US"
    subdivision: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The vendor's time zone."""
        return _zone(self.timezone)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def is_business_day(day: date, calendar: Calendar) -> bool:
    """Monday–Friday and not a public holiday of the vendor's country/region."""
    if day.weekday() >= 5:
        return False
    return day not in _holidays(calendar.country, calendar.subdivision, day.year)


def add_business_days(start: date, days: int, calendar: Calendar) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself is never counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, calendar):
            remaining -= 1
    return current


def ship_by(
    paid_at: datetime, calendar: Calendar, days: int = MAX_PROCESSING_BUSINESS_DAYS
) -> datetime:
    """The latest moment to ship: end of the ``days``-th business day after payment (UTC).

    Payment on a Monday gives end of Thursday; on a Saturday, end of Wednesday; holidays are
    skipped like weekends. Days are the vendor's local days.
    """
    local_day = paid_at.astimezone(calendar.zone).date()
    last = add_business_days(local_day, days, calendar)
    end_local = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=calendar.zone)
    return (end_local - timedelta(microseconds=1)).astimezone(UTC)


def recommended_window(paid_at: datetime) -> tuple[datetime, datetime]:
    """The seller guide's recommended shipping window: 24 to 48 hours after payment."""
    low, high = RECOMMENDED_HOURS
    return paid_at + timedelta(hours=low), paid_at + timedelta(hours=high)


class Urgency(StrEnum):
    """How pressing an open order is, for badges and the due views."""

    LATE = "late"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"  # within 24 h but not today
    ON_TRACK = "on_track"


class Due(Struct, frozen=True):
    """An order's urgency and the hours left (negative once late)."""

    urgency: Urgency
    hours_left: float

    @property
    def badge(self) -> str:
        """The short text a list row shows: "late", "due today", "due in 5 h"."""
        if self.urgency is Urgency.LATE:
            return "late"
        if self.urgency is Urgency.DUE_TODAY:
            return "due today"
        hours = int(self.hours_left)
        if hours < 48:
            return f"due in {hours} h"
        return f"due in {hours // 24} d"


def due(ship_by_at: datetime, now: datetime, calendar: Calendar) -> Due:
    """Classify an open order against its ship-by deadline."""
    hours_left = (ship_by_at - now).total_seconds() / 3600
    if hours_left < 0:
        return Due(Urgency.LATE, hours_left)
    zone = calendar.zone
    if ship_by_at.astimezone(zone).date() == now.astimezone(zone).date():
        return Due(Urgency.DUE_TODAY, hours_left)
    if hours_left <= 24:
        return Due(Urgency.DUE_SOON, hours_left)
    return Due(Urgency.ON_TRACK, hours_left)


class DueView(StrEnum):
    """The processing-time views of the dashboard."""

    OVERDUE = "overdue"  # ship-by has passed
    TODAY = "today"  # ship-by is later today (vendor's day), not yet passed
    WITHIN_24H = "24h"  # ship-by within the next 24 hours


def due_window(
    view: DueView, now: datetime, calendar: Calendar
) -> tuple[datetime | None, datetime]:
    """The ship-by range ``[start, end)`` of a due view (``start`` None: no lower bound)."""
    if view is DueView.OVERDUE:
        return None, now
    if view is DueView.WITHIN_24H:
        return now, now + timedelta(hours=24)
    tomorrow = now.astimezone(calendar.zone).date() + timedelta(days=1)
    return now, datetime.combine(tomorrow, time(0, 0), tzinfo=calendar.zone).astimezone(UTC)
