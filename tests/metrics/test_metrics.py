"""Seller metrics on a constructed history whose figures are known by hand.

Vendor calendar: New York, US holidays (Thanksgiving is Thursday 2026-11-26). "Now" is
Tuesday 2026-12-01 12:00 UTC, so the 7-day window starts Tuesday 2026-11-24 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.deadlines import Calendar, ship_by
from shared.metrics import OrderFacts, percentile, promised_delivery, window_metrics

NY = Calendar("America/New_York", "US")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def t(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def facts(
    paid: datetime,
    shipped: datetime | None = None,
    delivered: datetime | None = None,
    cancelled: datetime | None = None,
    reason: str | None = None,
    tracking: str = "",
    event: bool = False,
) -> OrderFacts:
    return OrderFacts(
        created_at=paid,
        paid_at=paid,
        ship_by=ship_by(paid, NY),
        shipped_at=shipped,
        delivered_at=delivered,
        cancelled_at=cancelled,
        cancel_reason=reason,
        tracking_number=tracking,
        has_carrier_event=event,
    )


HISTORY = [
    # 1: paid Fri 20th; ship-by end of Wed 25th; shipped Mon 23rd (68 h); delivered Fri 27th.
    facts(t(20, 14), shipped=t(23, 10), delivered=t(27, 15), tracking="SFD1", event=True),
    # 2: paid Tue 24th; Thanksgiving and the weekend skipped -> ship-by end of Mon 30th;
    #    shipped Tue 1st 10:00 UTC: late (162 h).
    facts(t(24, 16), shipped=t(1, 10, 12), tracking="SFD2", event=True),
    # 3: paid Wed 25th 13:00, shipped 20:00 (7 h), delivered Mon 30th.
    facts(t(25, 13), shipped=t(25, 20), delivered=t(30, 18), tracking="SFD3", event=True),
    # 4: paid on Thanksgiving, shipped next morning (23 h); tracking but no carrier event yet.
    facts(t(26, 10), shipped=t(27, 9), tracking="SFD4"),
    # 5: cancelled by the seller (out of stock) before shipping, placed Mon 23rd.
    facts(t(23, 12), cancelled=t(23, 15), reason="out_of_stock"),
    # 6: cancelled at the customer's request: not the seller's doing.
    facts(t(28, 12), cancelled=t(28, 13), reason="customer_request"),
    # 7: paid Mon 23rd 15:00 New York; ship-by end of Fri 27th; never shipped: late.
    facts(t(23, 20)),
]


def test_ship_by_dates_of_the_history_skip_the_weekend_and_thanksgiving() -> None:
    assert ship_by(t(24, 16), NY) == datetime(2026, 12, 1, 4, 59, 59, 999999, tzinfo=UTC)
    assert ship_by(t(23, 20), NY) == datetime(2026, 11, 28, 4, 59, 59, 999999, tzinfo=UTC)
    assert ship_by(t(26, 10), NY) == datetime(2026, 12, 2, 4, 59, 59, 999999, tzinfo=UTC)


def test_seven_day_window() -> None:
    m = window_metrics(HISTORY, NOW, 7, NY)
    # due in window and not cancelled: orders 1, 2, 7; late: 2 and 7.
    assert (m.late_shipment_rate.numerator, m.late_shipment_rate.denominator) == (2, 3)
    assert m.late_shipment_rate.ok is False
    # placed in window: 2, 3, 4, 6; none cancelled by the seller.
    assert (m.cancellation_rate.numerator, m.cancellation_rate.denominator) == (0, 4)
    assert m.cancellation_rate.value == 0 and m.cancellation_rate.ok is True
    # shipped in window: 2, 3, 4; with tracking and a carrier event: 2, 3.
    assert (m.valid_tracking_rate.numerator, m.valid_tracking_rate.denominator) == (2, 3)
    assert m.valid_tracking_rate.ok is False
    # delivered in window: 1 and 3, both within five business days of ship-by.
    assert (m.on_time_delivery_rate.numerator, m.on_time_delivery_rate.denominator) == (2, 2)
    d = m.time_to_ship
    assert d.count == 3
    assert d.average_hours == pytest.approx((162 + 7 + 23) / 3)
    assert d.p90_hours == pytest.approx(162)
    assert d.within_24h == pytest.approx(2 / 3)
    assert d.within_48h == pytest.approx(2 / 3)


def test_thirty_day_window() -> None:
    m = window_metrics(HISTORY, NOW, 30, NY)
    assert (m.late_shipment_rate.numerator, m.late_shipment_rate.denominator) == (2, 3)
    # all seven placed in window; order 5 cancelled by the seller.
    assert (m.cancellation_rate.numerator, m.cancellation_rate.denominator) == (1, 7)
    assert m.cancellation_rate.ok is False  # 14 % is over Amazon's 2.5 %
    assert (m.valid_tracking_rate.numerator, m.valid_tracking_rate.denominator) == (3, 4)
    d = m.time_to_ship
    assert d.count == 4
    assert d.average_hours == pytest.approx((68 + 162 + 7 + 23) / 4)
    assert d.p90_hours == pytest.approx(162)
    assert d.within_24h == pytest.approx(0.5)
    assert d.within_48h == pytest.approx(0.5)


def test_empty_window_has_no_value_rather_than_a_perfect_score() -> None:
    m = window_metrics([], NOW, 7, NY)
    assert m.late_shipment_rate.value is None and m.late_shipment_rate.ok is None
    assert m.time_to_ship.average_hours is None


def test_promised_delivery_counts_business_days_after_ship_by() -> None:
    # Ship-by end of Wed 25th; Thanksgiving skipped: Fri, Mon, Tue, Wed, Thu -> end of Thu 3 Dec.
    promised = promised_delivery(datetime(2026, 11, 26, 4, 59, 59, tzinfo=UTC), NY)
    assert promised == datetime(2026, 12, 4, 4, 59, 59, tzinfo=UTC)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([5], 90) == 5
    assert percentile([], 90) is None
