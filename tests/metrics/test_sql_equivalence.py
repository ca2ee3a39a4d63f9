"""The SQL counts of ``server/metrics`` equal what the pure rules make of the same orders.

The rules of ``shared/metrics.py`` and ``server/metrics/daily.py`` are the spec (their own
tests work each figure out by hand); the server counts in SQL for speed. Here the same
orders go into a real database (SQLite and PostgreSQL) and ``compute`` must answer what the
rules answer over the facts read back row by row, as the service used to do: on the
hand-worked history, and on random histories crowded around every edge (window starts, the
look-back, local midnights and the clock change, ship-by and promised dates to the
microsecond, unpaid, cancelled and untracked orders, another vendor's orders).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace
from sqlalchemy import Table, insert, select

from server.accounts.models import Vendor
from server.db import create_engine, session_factory
from server.metrics.daily import daily_series, day_starts
from server.metrics.service import LOOKBACK, WINDOWS, Metrics, compute
from server.orders.models import OrderRow
from server.tracking.models import TrackingEvent
from shared.deadlines import Calendar, ship_by
from shared.metrics import OrderFacts, WindowMetrics, promised_delivery, window_metrics
from tests.metrics.test_metrics import HISTORY, NOW, NY

CALENDARS = [NY, Calendar("Europe/Berlin", "DE", "BY"), Calendar("UTC", "GB")]
REASONS = [None, "seller", "out_of_stock", "customer_request", "payment", "marketplace"]


def order_row(vendor_id: str, seq: int, f: OrderFacts) -> dict[str, Any]:
    """An orders row carrying the facts (the other columns only have to be valid)."""
    n = uuid.uuid4().hex
    return {
        "id": str(uuid.uuid4()),
        "vendor_id": vendor_id,
        "number": n[:12],
        "number_key": n[:12],
        "marketplace": "manual",
        "external_id": n,
        "status": "new",
        "customer_name": "Casey",
        "search": n[:12] + " casey",
        "created_at": f.created_at,
        "paid_at": f.paid_at,
        "ship_by": f.ship_by,
        "due_key": f.ship_by or datetime(9999, 1, 1, tzinfo=UTC),
        "shipped_at": f.shipped_at,
        "delivered_at": f.delivered_at,
        "cancelled_at": f.cancelled_at,
        "cancel_reason": f.cancel_reason,
        "updated_at": f.created_at,
        "total_minor": 1000,
        "currency": "USD",
        "item_count": 1,
        "carrier": "ups",
        "tracking_number": f.tracking_number,
        "seq": seq,
        "doc": "{}",
    }


class Database:
    """The test database, with one event loop and engine kept for the module."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(url)

    def close(self) -> None:
        """Dispose of the engine and close the loop."""
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()

    def both_ways(
        self, calendar: Calendar, now: datetime, mine: list[OrderFacts], theirs: list[OrderFacts]
    ) -> tuple[Metrics, Metrics]:
        """Store the orders of a vendor (and of another), then answer for the first."""
        vendor_id, _ = self.loop.run_until_complete(self.store(calendar, [mine, theirs]))
        return self.loop.run_until_complete(self.answers(vendor_id, now))

    async def store(self, calendar: Calendar, histories: list[list[OrderFacts]]) -> list[str]:
        """One new vendor per history, with its orders and a carrier event where told."""
        vendor_ids = [str(uuid.uuid4()) for _ in histories]
        async with self.engine.begin() as conn:
            for vendor_id, facts in zip(vendor_ids, histories, strict=True):
                await conn.execute(
                    insert(cast(Table, Vendor.__table__)),
                    {
                        "id": vendor_id,
                        "name": "Equivalence",
                        "timezone": calendar.timezone,
                        "country": calendar.country,
                        "subdivision": calendar.subdivision,
                    },
                )
                rows = [order_row(vendor_id, seq, f) for seq, f in enumerate(facts, start=1)]
                if not rows:
                    continue
                await conn.execute(insert(cast(Table, OrderRow.__table__)), rows)
                events = [
                    {
                        "vendor_id": vendor_id,
                        "order_id": row["id"],
                        "carrier": "ups",
                        "event_id": f"ev-{uuid.uuid4()}",
                        "tracking_number": row["tracking_number"],
                        "status": "in_transit",
                        "occurred_at": f.shipped_at or f.created_at,
                        "received_at": f.created_at,
                    }
                    for row, f in zip(rows, facts, strict=True)
                    if f.has_carrier_event
                ]
                if events:
                    await conn.execute(insert(cast(Table, TrackingEvent.__table__)), events)
        return vendor_ids

    async def answers(self, vendor_id: str, now: datetime) -> tuple[Metrics, Metrics]:
        """What ``compute`` says, and what the rules say of the facts read row by row."""
        async with session_factory(self.engine)() as session:
            said = await compute(session, vendor_id, now)
            vendor = await session.get_one(Vendor, vendor_id)
            calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
            since = now - timedelta(days=max(WINDOWS)) - LOOKBACK
            recent = (OrderRow.vendor_id == vendor_id, OrderRow.created_at >= since)
            ids = select(OrderRow.id).where(*recent).scalar_subquery()
            tracked = set(
                await session.scalars(
                    select(TrackingEvent.order_id).where(TrackingEvent.order_id.in_(ids)).distinct()
                )
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
                for r in await session.scalars(select(OrderRow).where(*recent))
            ]
        expected = Metrics(
            vendor_id,
            now,
            [window_metrics(facts, now, days, calendar) for days in WINDOWS],
            calendar.timezone,
            daily_series(facts, now, calendar),
        )
        return said, expected


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Database]:
    """The database under test (SQLite, then PostgreSQL)."""
    database = Database(database_url)
    yield database
    database.close()


def assert_close(said: float | None, expected: float | None) -> None:
    """The same float but for its last bits (sums in another order), or both absent."""
    if expected is None:
        assert said is None
    else:
        assert said == pytest.approx(expected, rel=1e-12)


def assert_same_window(said: WindowMetrics, expected: WindowMetrics) -> None:
    """Equal field by field; an average may differ in its last bits (summing order)."""
    assert_close(said.time_to_ship.average_hours, expected.time_to_ship.average_hours)
    average = expected.time_to_ship.average_hours
    assert replace(said.time_to_ship, average_hours=average) == expected.time_to_ship
    assert replace(said, time_to_ship=expected.time_to_ship) == expected


def assert_same(said: Metrics, expected: Metrics) -> None:
    """The whole answer is the rules' answer (averages to the last bits aside)."""
    assert (said.vendor_id, said.computed_at, said.timezone) == (
        expected.vendor_id,
        expected.computed_at,
        expected.timezone,
    )
    assert len(said.windows) == len(expected.windows)
    for s, e in zip(said.windows, expected.windows, strict=True):
        assert_same_window(s, e)
    assert len(said.daily) == len(expected.daily)
    for day, wanted in zip(said.daily, expected.daily, strict=True):
        assert_close(day.average_hours_to_ship, wanted.average_hours_to_ship)
        assert replace(day, average_hours_to_ship=wanted.average_hours_to_ship) == wanted


def test_the_hand_worked_history_reads_the_same_from_the_database(db: Database) -> None:
    said, expected = db.both_ways(NY, NOW, HISTORY, [])
    assert_same(said, expected)
    seven = said.windows[0]
    assert (seven.late_shipment_rate.numerator, seven.late_shipment_rate.denominator) == (2, 3)
    assert (seven.valid_tracking_rate.numerator, seven.valid_tracking_rate.denominator) == (2, 3)
    assert seven.time_to_ship.p90_hours == pytest.approx(162)


def test_a_vendor_with_no_orders_has_nothing_to_measure(db: Database) -> None:
    said, expected = db.both_ways(NY, NOW, [], HISTORY)
    assert_same(said, expected)
    assert said.windows[1].time_to_ship.count == 0
    assert said.windows[1].late_shipment_rate.value is None


US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


def edges(now: datetime, calendar: Calendar) -> list[datetime]:
    """The moments where a figure changes: window starts, look-back, local midnights."""
    since = now - timedelta(days=max(WINDOWS)) - LOOKBACK
    return [now, since, *(now - timedelta(days=d) for d in WINDOWS), *day_starts(now, calendar)]


def orders_on_the_edge(e: datetime, calendar: Calendar) -> list[OrderFacts]:
    """Orders with each of their moments at ``e``, and just either side of the rules' lines."""
    due = ship_by(e - 3 * 24 * HOUR, calendar)
    base = OrderFacts(e, e, due, None, None, None, None, "1Z999AA10123456784", True)
    return [
        base,  # placed at e, unshipped (late once its ship-by passes)
        replace(base, paid_at=None, ship_by=None),
        replace(base, cancelled_at=e + HOUR, cancel_reason="out_of_stock"),
        replace(base, cancelled_at=e + HOUR, cancel_reason="customer_request"),
        replace(base, cancelled_at=e + HOUR, cancel_reason="seller", shipped_at=e),
        # ship-by at e: shipped right on it (on time) or a microsecond after (late)
        replace(base, created_at=e - 48 * HOUR, paid_at=e - 48 * HOUR, ship_by=e),
        replace(base, created_at=e - 48 * HOUR, paid_at=None, ship_by=e, shipped_at=e),
        replace(base, created_at=e - 48 * HOUR, ship_by=e, shipped_at=e + US),
        replace(base, created_at=e - 48 * HOUR, ship_by=e, cancelled_at=e - HOUR),
        # shipped at e exactly 24 h / 48 h after payment (or placement), or a microsecond more
        replace(base, created_at=e - 24 * HOUR, paid_at=e - 24 * HOUR, shipped_at=e),
        replace(base, created_at=e - 24 * HOUR - US, paid_at=None, shipped_at=e),
        replace(base, created_at=e - 49 * HOUR, paid_at=e - 48 * HOUR, shipped_at=e),
        replace(base, created_at=e - 49 * HOUR, paid_at=e - 48 * HOUR - US, shipped_at=e),
        replace(base, created_at=e - 30 * HOUR, shipped_at=e, tracking_number=""),
        replace(base, created_at=e - 30 * HOUR, shipped_at=e, has_carrier_event=False),
        # delivered at e; promised exactly then, a microsecond before, or long after
        *(
            replace(
                base,
                created_at=e - 12 * 24 * HOUR,
                paid_at=e - 12 * 24 * HOUR,
                ship_by=sb,
                shipped_at=sb - HOUR,
                delivered_at=e,
            )
            for sb in {
                e - timedelta(days=5),
                e - timedelta(days=7),
                e - timedelta(days=9),
                ship_by(e - 8 * 24 * HOUR, calendar),
            }
        ),
        replace(base, delivered_at=e, shipped_at=e - HOUR, ship_by=None),
    ]


def promised_on_the_edge(now: datetime, calendar: Calendar) -> list[OrderFacts]:
    """Orders delivered exactly at their promised date, and a microsecond after it."""
    out = []
    for days_ago in range(1, 31):
        paid = now - timedelta(days=days_ago + 9)
        due = ship_by(paid, calendar)
        promised = promised_delivery(due, calendar)
        for delivered in (promised - US, promised, promised + US):
            out.append(OrderFacts(paid, paid, due, paid + HOUR, delivered, None, None, "", False))
    return out


def placed_on_the_look_back(now: datetime) -> list[OrderFacts]:
    """Orders placed as the look-back begins (or just before) with every moment since recent:
    the rules never see the ones placed before it."""
    since = now - timedelta(days=max(WINDOWS)) - LOOKBACK
    recent = now - 2 * 24 * HOUR
    return [
        OrderFacts(t, t, recent, recent + US, recent + HOUR, None, None, "1Z999AA10123456784", True)
        for t in (since - US, since, since + US)
    ]


#: "now" need not be a whole second; late on the day clocks go back (a 25-hour day), the
#: series of 30 local days starts half an hour before the 30-day window does
NOWS = [
    NOW + timedelta(microseconds=999_999),
    datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 23:30 in New York, 1 November
    datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 23:30 in Berlin, 25 October
]


@pytest.mark.parametrize("now", NOWS, ids=["now", "new-york-fall-back", "berlin-fall-back"])
@pytest.mark.parametrize("calendar", CALENDARS, ids=lambda c: c.timezone)
def test_orders_on_every_edge_count_as_the_rules_count_them(
    db: Database, calendar: Calendar, now: datetime
) -> None:
    history = [
        *(
            f
            for e in edges(now, calendar)
            for d in (-US, 0 * US, US)
            for f in orders_on_the_edge(e + d, calendar)
        ),
        *promised_on_the_edge(now, calendar),
        *placed_on_the_look_back(now),
    ]
    said, expected = db.both_ways(calendar, now, history, history[:5])
    assert_same(said, expected)
    # the edges are really crossed: each kind of figure has some of each
    month = said.windows[1]
    assert 0 < month.late_shipment_rate.numerator < month.late_shipment_rate.denominator
    assert 0 < month.on_time_delivery_rate.numerator < month.on_time_delivery_rate.denominator
    assert 0 < month.valid_tracking_rate.numerator < month.valid_tracking_rate.denominator
    assert 0 < month.cancellation_rate.numerator < month.cancellation_rate.denominator


# -- random histories crowded around the edges ------------------------------------------


def moment(now: datetime, calendar: Calendar) -> st.SearchStrategy[datetime]:
    """A moment of the last 100 days, often on (or a microsecond either side of) an edge."""
    anywhere = st.integers(0, 100 * 86_400_000_000).map(lambda us: now - timedelta(microseconds=us))
    near_edge = st.tuples(st.sampled_from(edges(now, calendar)), st.sampled_from([-1, 0, 1])).map(
        lambda p: p[0] + timedelta(microseconds=p[1])
    )
    return st.one_of(anywhere, near_edge)


def near(t: datetime) -> st.SearchStrategy[datetime]:
    """``t`` itself, a microsecond either side, or up to ten days later."""
    return st.one_of(
        st.just(t),
        st.sampled_from([-1, 1]).map(lambda us: t + timedelta(microseconds=us)),
        st.integers(0, 10 * 86_400_000_000).map(lambda us: t + timedelta(microseconds=us)),
    )


@st.composite
def order(draw: st.DrawFn, now: datetime, calendar: Calendar) -> OrderFacts:
    """One order with any mix of moments, the rules' own ship-by most of the time."""
    created = draw(moment(now, calendar))
    paid = draw(st.one_of(st.none(), near(created)))
    due = draw(
        st.one_of(
            st.just(ship_by(paid, calendar) if paid else None),
            st.none(),
            moment(now, calendar),
        )
    )
    shipped = draw(st.one_of(st.none(), near(due or paid or created), moment(now, calendar)))
    delivered = None
    if shipped is not None and draw(st.booleans()):
        promised = promised_delivery(due, calendar) if due else shipped
        delivered = draw(
            st.one_of(near(shipped), near(promised - timedelta(days=2)), near(promised))
        )
    cancelled = draw(st.one_of(st.none(), near(created)))
    return OrderFacts(
        created_at=created,
        paid_at=paid,
        ship_by=due,
        shipped_at=shipped,
        delivered_at=delivered,
        cancelled_at=cancelled,
        cancel_reason=draw(st.sampled_from(REASONS)) if cancelled else None,
        tracking_number=draw(st.sampled_from(["", "1Z999AA10123456784"])),
        has_carrier_event=draw(st.booleans()),
    )


@st.composite
def history(draw: st.DrawFn) -> tuple[Calendar, datetime, list[OrderFacts], list[OrderFacts]]:
    """A calendar, a "now" (any microsecond of 2026), the vendor's orders and another's."""
    calendar = draw(st.sampled_from(CALENDARS))
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=draw(st.integers(0, 365 * 86_400_000_000))
    )
    mine = draw(st.lists(order(now, calendar), max_size=40))
    theirs = draw(st.lists(order(now, calendar), max_size=3))
    return calendar, now, mine, theirs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=history())
def test_sql_counts_equal_the_rules_on_random_histories(
    db: Database, case: tuple[Calendar, datetime, list[OrderFacts], list[OrderFacts]]
) -> None:
    calendar, now, mine, theirs = case
    said, expected = db.both_ways(calendar, now, mine, theirs)
    assert_same(said, expected)
