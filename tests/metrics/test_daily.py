"""The dashboard's day-by-day series on the hand-worked history of ``test_metrics.py``.

"Now" is Tuesday 2026-12-01 07:00 in New York, so the 30 local days run from Monday
2 November to today; Thanksgiving (Thursday 26 November) and the weekend sit in the middle.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from server.metrics.daily import SERIES_DAYS, daily_series
from shared.metrics import window_metrics
from tests.metrics.test_metrics import HISTORY, NOW, NY, facts, t


def by_day() -> dict[date, tuple[int, int, int, int, int, int]]:
    """(placed, cancelled by seller, due, late, shipped, within 24 h) of each non-empty day."""
    return {
        d.day: (d.placed, d.cancelled_by_seller, d.due, d.late, d.shipped, d.shipped_within_24h)
        for d in daily_series(HISTORY, NOW, NY)
        if (d.placed, d.due, d.shipped) != (0, 0, 0)
    }


def test_the_series_is_thirty_local_days_oldest_first_ending_today() -> None:
    series = daily_series(HISTORY, NOW, NY)
    assert len(series) == SERIES_DAYS
    assert series[0].day == date(2026, 11, 2)
    assert series[-1].day == date(2026, 12, 1)  # 07:00 in New York: still 1 December there
    assert [b.day - a.day for a, b in itertools.pairwise(series)] == [timedelta(days=1)] * (
        SERIES_DAYS - 1
    )


def test_each_order_lands_on_the_local_day_of_each_of_its_moments() -> None:
    assert by_day() == {
        date(2026, 11, 20): (1, 0, 0, 0, 0, 0),  # 1 placed
        # 5 and 7 placed, 5 cancelled out of stock; 1 shipped after 68 h
        date(2026, 11, 23): (2, 1, 0, 0, 1, 0),
        date(2026, 11, 24): (1, 0, 0, 0, 0, 0),  # 2 placed
        # 3 placed and shipped in 7 h; 1's ship-by (end of Wed 25th) met
        date(2026, 11, 25): (1, 0, 1, 0, 1, 1),
        date(2026, 11, 26): (1, 0, 0, 0, 0, 0),  # 4 placed on Thanksgiving
        # 7's ship-by passed unshipped (late); 4 shipped at 04:00 local after 23 h
        date(2026, 11, 27): (0, 0, 1, 1, 1, 1),
        date(2026, 11, 28): (1, 0, 0, 0, 0, 0),  # 6 placed (cancelled by the customer)
        date(2026, 11, 30): (0, 0, 1, 1, 0, 0),  # 2's ship-by passed; shipped next morning
        date(2026, 12, 1): (0, 0, 0, 0, 1, 0),  # 2 shipped after 162 h
    }


def test_the_days_add_up_to_the_thirty_day_window() -> None:
    series = daily_series(HISTORY, NOW, NY)
    window = window_metrics(HISTORY, NOW, 30, NY)
    assert sum(d.placed for d in series) == window.cancellation_rate.denominator
    assert sum(d.cancelled_by_seller for d in series) == window.cancellation_rate.numerator
    assert sum(d.due for d in series) == window.late_shipment_rate.denominator
    assert sum(d.late for d in series) == window.late_shipment_rate.numerator
    assert sum(d.shipped for d in series) == window.time_to_ship.count


def test_average_hours_are_per_shipping_day_and_absent_without_shipments() -> None:
    series = {d.day: d for d in daily_series(HISTORY, NOW, NY)}
    assert series[date(2026, 11, 23)].average_hours_to_ship == pytest.approx(68)
    assert series[date(2026, 11, 25)].average_hours_to_ship == pytest.approx(7)
    assert series[date(2026, 11, 24)].average_hours_to_ship is None


def test_a_ship_by_later_today_is_not_due_yet() -> None:
    # Paid Thu 26th: ship-by end of Tue 1 December, which has not ended at "now".
    open_order = facts(t(26, 10))
    assert all(d.due == 0 for d in daily_series([open_order], NOW, NY))


def test_orders_older_than_the_series_are_left_out() -> None:
    old = facts(t(1, 14, month=10), shipped=t(2, 14, month=10))
    assert all((d.placed, d.shipped, d.due) == (0, 0, 0) for d in daily_series([old], NOW, NY))


def test_local_days_follow_the_clock_change() -> None:
    # New York leaves daylight time on Sunday 1 November 2026: 23:30 local is 03:30 UTC
    # the next day before the change and 04:30 UTC after it.
    now = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    before = facts(t(30, 12, month=10), shipped=datetime(2026, 10, 31, 3, 30, tzinfo=UTC))
    after = facts(t(1, 12), shipped=datetime(2026, 11, 2, 4, 30, tzinfo=UTC))
    shipped = {
        d.day: d.shipped for d in daily_series([before, after], now, NY, days=7) if d.shipped
    }
    assert shipped == {date(2026, 10, 30): 1, date(2026, 11, 1): 1}
