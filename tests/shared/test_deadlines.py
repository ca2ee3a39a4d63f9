"""Ship-by deadlines in business days of the vendor's calendar, and the due badges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.deadlines import (
    Calendar,
    Due,
    Urgency,
    add_business_days,
    due,
    is_business_day,
    recommended_window,
    ship_by,
)

UTC_US = Calendar("UTC", "US")
NEW_YORK = Calendar("America/New_York", "US")
LONDON = Calendar("Europe/London", "GB")
MUNICH = Calendar("Europe/Berlin", "DE", "BY")
BERLIN = Calendar("Europe/Berlin", "DE", "BE")


def end_of(day: date, calendar: Calendar) -> datetime:
    """The last microsecond of a local day, in UTC."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), calendar.zone)
    return (midnight - timedelta(microseconds=1)).astimezone(UTC)


def paid(day: date, hour: int = 10, minute: int = 0, calendar: Calendar = UTC_US) -> datetime:
    """A payment at a local time of the vendor's calendar."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=calendar.zone)


# ------------------------------------------------------------------ weekends


def test_payment_on_a_monday_ships_by_the_end_of_thursday() -> None:
    assert ship_by(paid(date(2026, 11, 2)), UTC_US) == end_of(date(2026, 11, 5), UTC_US)


def test_payment_on_a_thursday_skips_the_weekend_and_ships_by_tuesday() -> None:
    assert ship_by(paid(date(2026, 10, 15)), UTC_US) == end_of(date(2026, 10, 20), UTC_US)


@pytest.mark.parametrize("day", [date(2026, 10, 17), date(2026, 10, 18)], ids=["sat", "sun"])
def test_payment_on_a_weekend_counts_from_monday_and_ships_by_wednesday(day: date) -> None:
    assert ship_by(paid(day), UTC_US) == end_of(date(2026, 10, 21), UTC_US)


def test_saturday_and_sunday_are_not_business_days() -> None:
    week = [date(2026, 10, 19) + timedelta(days=i) for i in range(7)]
    assert [is_business_day(d, UTC_US) for d in week] == [True] * 5 + [False] * 2


def test_zero_business_days_is_the_start_day_itself() -> None:
    assert add_business_days(date(2026, 10, 17), 0, UTC_US) == date(2026, 10, 17)


# ------------------------------------------------------------------ holidays


def test_us_thanksgiving_is_skipped_like_a_weekend_day() -> None:
    # Tue 24 Nov 2026 -> Wed 25 (1), Thu 26 Thanksgiving, Fri 27 (2), Mon 30 (3)
    assert not is_business_day(date(2026, 11, 26), NEW_YORK)
    assert ship_by(paid(date(2026, 11, 24), calendar=NEW_YORK), NEW_YORK) == end_of(
        date(2026, 11, 30), NEW_YORK
    )


def test_us_christmas_is_skipped() -> None:
    # Tue 22 Dec 2026 -> Wed 23 (1), Thu 24 (2), Fri 25 Christmas, Mon 28 (3)
    assert ship_by(paid(date(2026, 12, 22)), UTC_US) == end_of(date(2026, 12, 28), UTC_US)


def test_a_uk_vendor_also_skips_boxing_day_observed_on_the_monday() -> None:
    # Boxing Day 2026 falls on a Saturday; England observes it on Mon 28 Dec.
    assert not is_business_day(date(2026, 12, 28), LONDON)
    assert is_business_day(date(2026, 12, 28), UTC_US)
    assert ship_by(paid(date(2026, 12, 22), calendar=LONDON), LONDON) == end_of(
        date(2026, 12, 29), LONDON
    )


def test_a_regional_holiday_counts_only_in_its_region() -> None:
    # Epiphany (Wed 6 Jan 2027) is a public holiday in Bavaria, not in Berlin.
    payment = paid(date(2027, 1, 4), calendar=MUNICH)  # Monday
    assert ship_by(payment, MUNICH) == end_of(date(2027, 1, 8), MUNICH)
    assert ship_by(payment, BERLIN) == end_of(date(2027, 1, 7), BERLIN)


def test_the_count_runs_across_new_year_into_the_next_year_holidays() -> None:
    # Wed 30 Dec 2026 -> Thu 31 (1), Fri 1 Jan 2027 New Year, Mon 4 (2), Tue 5 (3)
    assert add_business_days(date(2026, 12, 30), 3, UTC_US) == date(2027, 1, 5)


# ------------------------------------------------------------------ the vendor's time zone


def test_a_late_evening_payment_counts_on_the_vendors_local_day_not_the_utc_day() -> None:
    # Thu 15 Oct 2026 23:30 in New York is already Friday 03:30 UTC.
    payment = paid(date(2026, 10, 15), 23, 30, NEW_YORK)
    assert payment.astimezone(UTC).date() == date(2026, 10, 16)
    deadline = ship_by(payment, NEW_YORK)
    assert deadline == end_of(date(2026, 10, 20), NEW_YORK)  # Tuesday, counted from Thursday
    assert deadline.astimezone(NEW_YORK.zone) == datetime(
        2026, 10, 20, 23, 59, 59, 999999, tzinfo=ZoneInfo("America/New_York")
    )


def test_an_early_morning_payment_east_of_utc_counts_on_the_local_monday() -> None:
    tokyo = Calendar("Asia/Tokyo", "JP")
    payment = paid(date(2026, 10, 19), 7, 0, tokyo)  # Monday 07:00 = Sunday 22:00 UTC
    assert payment.astimezone(UTC).date() == date(2026, 10, 18)
    assert ship_by(payment, tokyo) == end_of(date(2026, 10, 22), tokyo)


def test_the_deadline_is_returned_in_utc() -> None:
    assert ship_by(paid(date(2026, 11, 2), calendar=NEW_YORK), NEW_YORK).tzinfo is UTC


def test_the_deadline_is_the_end_of_the_local_day_across_a_daylight_saving_change() -> None:
    # US clocks go back on Sun 1 Nov 2026: payment Fri 30 Oct (EDT), deadline Wed 4 Nov (EST).
    deadline = ship_by(paid(date(2026, 10, 30), calendar=NEW_YORK), NEW_YORK)
    assert deadline == datetime(2026, 11, 5, 4, 59, 59, 999999, tzinfo=UTC)


# ------------------------------------------------------------------ recommended window


def test_the_recommended_window_is_24_to_48_hours_after_payment() -> None:
    payment = datetime(2026, 10, 16, 15, 0, tzinfo=UTC)
    assert recommended_window(payment) == (
        datetime(2026, 10, 17, 15, 0, tzinfo=UTC),
        datetime(2026, 10, 18, 15, 0, tzinfo=UTC),
    )


def test_the_recommended_window_closes_before_the_ship_by_deadline() -> None:
    payment = paid(date(2026, 11, 24), calendar=NEW_YORK)
    _, latest = recommended_window(payment)
    assert latest < ship_by(payment, NEW_YORK)


# ------------------------------------------------------------------ due badges

DEADLINE = end_of(date(2026, 10, 20), NEW_YORK)  # Tue 20 Oct, 23:59:59 in New York


def test_an_order_past_its_deadline_is_late_with_negative_hours() -> None:
    result = due(DEADLINE, DEADLINE + timedelta(hours=2), NEW_YORK)
    assert result.urgency is Urgency.LATE
    assert result.hours_left == pytest.approx(-2, abs=0.01)
    assert result.badge == "late"


def test_an_order_due_on_the_vendors_current_day_is_due_today() -> None:
    morning = datetime(2026, 10, 20, 8, 0, tzinfo=NEW_YORK.zone)
    result = due(DEADLINE, morning, NEW_YORK)
    assert result.urgency is Urgency.DUE_TODAY
    assert result.badge == "due today"


def test_due_today_follows_the_vendors_day_not_utcs() -> None:
    # 21:00 Monday in New York is already Tuesday in UTC, but the deadline is Tuesday local.
    evening = datetime(2026, 10, 19, 21, 0, tzinfo=NEW_YORK.zone)
    assert due(DEADLINE, evening, NEW_YORK).urgency is not Urgency.DUE_TODAY


def test_an_order_due_tomorrow_shows_the_hours_left() -> None:
    evening = datetime(2026, 10, 19, 21, 0, tzinfo=NEW_YORK.zone)
    result = due(DEADLINE, evening, NEW_YORK)
    assert result.urgency is Urgency.ON_TRACK
    assert result.badge == "due in 26 h"


def test_an_order_due_within_a_day_on_another_local_day_is_due_soon() -> None:
    deadline = datetime(2026, 10, 21, 2, 0, tzinfo=UTC)  # Tue 22:00 in New York
    now = datetime(2026, 10, 20, 4, 30, tzinfo=UTC)  # Tue 00:30 in New York: same day
    assert due(deadline, now, NEW_YORK).urgency is Urgency.DUE_TODAY
    now = datetime(2026, 10, 20, 3, 30, tzinfo=UTC)  # Mon 23:30 in New York, 22.5 h left
    result = due(deadline, now, NEW_YORK)
    assert result.urgency is Urgency.DUE_SOON
    assert result.badge == "due in 22 h"


def test_an_order_due_in_days_shows_days() -> None:
    result = due(DEADLINE, DEADLINE - timedelta(hours=80), NEW_YORK)
    assert result.urgency is Urgency.ON_TRACK
    assert result.badge == "due in 3 d"


def test_the_badge_is_computed_from_the_stored_values() -> None:
    assert Due(Urgency.DUE_SOON, 5.9).badge == "due in 5 h"
