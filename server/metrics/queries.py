"""The one SQL statement behind the seller metrics: the database counts, Python only applies
the holiday calendar and the percentile.

Each condition below is a rule of ``shared/metrics.py`` or ``server/metrics/daily.py``
(definitions in ``docs/metrics.md``) written as SQL, over the orders the rules were always
given: the vendor's orders placed since the look-back began. Those rows are read from the
table once (a materialized CTE: reading the wide order rows is the expensive part, on
SQLite above all) and every figure is taken from that copy. ``tests/metrics/
test_sql_equivalence.py`` checks the answers against the pure rules on SQLite and
PostgreSQL.

The statement returns rows of four integers ``(part, ref, a, b)``:

=================  ==========================  ==========================  ===================
part               ref                         a                           b
=================  ==========================  ==========================  ===================
``WINDOW_DUE``     the window's days           ship-by in it, not          of those, late
                                               cancelled
``WINDOW_PLACED``  the window's days           placed in it                cancelled by seller
``WINDOW_SHIPPED`` the window's days           shipped in it               with valid tracking
``DAY_PLACED``     the local day (index)       placed that day             cancelled by seller
``DAY_DUE``        the local day (index)       ship-by that day            of those, late
``SHIPMENT``       its local day, or NULL      µs payment → shipping       shortest window (d)
                                                                           it is in, or NULL
``DELIVERY``       ship-by, in Unix seconds    µs ship-by → delivery       shortest window (d)
=================  ==========================  ==========================  ===================

One ``SHIPMENT`` row comes back per order shipped in the longest window or the series (on
the day clocks go back, the series starts up to an hour earlier), one ``DELIVERY`` row per
order delivered in the longest window that had a ship-by: the hours to ship need their
90th percentile, and the promised delivery date walks the holiday calendar. Spans are exact
microseconds, so the hours are the very floats ``timedelta.total_seconds()`` gives, and
"delivered by the promised date" is a comparison of whole microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    extract,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.db import UTCDateTime
from server.orders.models import OrderRow
from server.tracking.models import TrackingEvent
from shared.metrics import SELLER_CANCEL_REASONS

WINDOW_DUE, WINDOW_PLACED, WINDOW_SHIPPED = 1, 2, 3
DAY_PLACED, DAY_DUE = 4, 5
SHIPMENT, DELIVERY = 6, 7


class unix_seconds(FunctionElement[int]):
    """A timestamp in whole seconds since 1970 (rounded down)."""

    type = BigInteger()
    name = "unix_seconds"
    inherit_cache = True


class microseconds_between(FunctionElement[int]):
    """``later - earlier`` in whole microseconds, exactly (``timedelta`` precision)."""

    type = BigInteger()
    name = "microseconds_between"
    inherit_cache = True


# SQLite keeps UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (server/db.py). Its date functions
# round to milliseconds (".999999" becomes the next second), so whole seconds come from
# the first 19 characters and the microseconds from the digits after the point.


def _sqlite_seconds(t: Any) -> ColumnElement[int]:
    return cast(func.strftime("%s", func.substr(t, 1, 19)), Integer)


@compiles(unix_seconds, "sqlite")
def _unix_seconds_sqlite(element: unix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (t,) = list(element.clauses)
    return compiler.process(_sqlite_seconds(t), **kw)


@compiles(microseconds_between, "sqlite")
def _microseconds_sqlite(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)

    def micros(t: Any) -> ColumnElement[int]:
        return cast(func.substr(t, 21), Integer)

    seconds = _sqlite_seconds(later) - _sqlite_seconds(earlier)
    return compiler.process(seconds * 1_000_000 + (micros(later) - micros(earlier)), **kw)


# PostgreSQL's EXTRACT gives an exact numeric from version 14 (a double before: still exact
# to the microsecond for spans of days, and for whole seconds since 1970).


@compiles(unix_seconds, "postgresql")
def _unix_seconds_pg(element: unix_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (t,) = list(element.clauses)
    return compiler.process(cast(func.floor(extract("epoch", t)), BigInteger), **kw)


@compiles(microseconds_between, "postgresql")
def _microseconds_pg(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return compiler.process(cast(extract("epoch", later - earlier) * 1_000_000, BigInteger), **kw)


def _int(value: int | None) -> ColumnElement[Any]:
    return literal_column(str(value), Integer) if value is not None else null()


def metrics(
    vendor_id: str,
    since: datetime,
    now: datetime,
    windows: dict[int, datetime],
    day_starts: Sequence[datetime],
) -> tuple[CompoundSelect[*tuple[Any, ...]], dict[str, Any]]:
    """The statement and its parameters: every figure for the windows (their days and
    starts) and the local days (their starts in UTC), as ``(part, ref, a, b)`` rows."""
    parameters: dict[str, Any] = {
        "vendor_id": vendor_id,
        "since": since,
        "now": now,
        # The series may start up to an hour before the longest window (a 25-hour day).
        "earliest": min(day_starts[0], *windows.values()),
    }
    parameters.update((f"window_{days}", start) for days, start in windows.items())
    parameters.update((f"day_{i}", start) for i, start in enumerate(day_starts))
    return _statement(tuple(sorted(windows)), len(day_starts)), parameters


@lru_cache(maxsize=8)
def _statement(window_days: tuple[int, ...], days: int) -> CompoundSelect[*tuple[Any, ...]]:
    # Built once: the statement only changes with the number of windows and days, and
    # building it (and its cache key) each time cost more than a tenth of the work.
    def moment(name: str) -> BindParameter[datetime]:
        return bindparam(name, type_=UTCDateTime())

    now, earliest = moment("now"), moment("earliest")
    window_start = {d: moment(f"window_{d}") for d in window_days}
    day_start = [moment(f"day_{i}") for i in range(days)]
    longest = window_start[window_days[-1]]
    o = OrderRow
    recent = (
        select(
            o.created_at,
            o.paid_at,
            o.ship_by,
            o.shipped_at,
            o.delivered_at,
            o.cancelled_at,
            o.cancel_reason,
            # Valid tracking: a tracking number and at least one carrier event. Looked up
            # once here, and only for orders shipped in the longest window.
            case(
                (
                    and_(
                        o.shipped_at >= longest,
                        o.shipped_at < now,
                        o.tracking_number != "",
                        exists().where(TrackingEvent.order_id == o.id),
                    ),
                    1,
                ),
                else_=0,
            ).label("tracked"),
        )
        .where(
            o.vendor_id == bindparam("vendor_id", type_=String()),
            o.created_at >= moment("since"),
            # Only orders with a moment in the windows or the series count for anything.
            or_(
                o.created_at >= earliest,
                o.ship_by >= earliest,
                o.shipped_at >= earliest,
                o.delivered_at >= earliest,
            ),
        )
        .cte("recent")
        .prefix_with("MATERIALIZED")
    )
    r = recent.c

    def within(t: Any, start: Any) -> ColumnElement[bool]:
        return and_(t >= start, t < now)

    def shortest_window(t: Any) -> ColumnElement[int]:
        # Days of the shortest window ``t`` falls in, NULL if none (``t`` is before now).
        return case(*((t >= window_start[d], _int(d)) for d in window_days), else_=null())

    def day_of(t: Any) -> ColumnElement[int]:
        # ``bisect_right(day_starts, t) - 1`` for a moment of the series.
        return case(
            *((t < start, _int(i)) for i, start in enumerate(day_start[1:])), else_=_int(days - 1)
        )

    seller_cancelled = and_(
        r.cancelled_at.is_not(None),
        r.shipped_at.is_(None),
        r.cancel_reason.in_(sorted(SELLER_CANCEL_REASONS)),
    )
    # ``(shipped_at or now) > ship_by``: due before now and not shipped is late.
    late = or_(r.shipped_at.is_(None), r.shipped_at > r.ship_by)
    count = func.count

    def row(part: int, ref: Any, a: Any, b: Any) -> Select[*tuple[Any, ...]]:
        return select(
            _int(part).label("part"), ref.label("ref"), a.label("a"), b.label("b")
        ).select_from(recent)

    parts: list[Select[*tuple[Any, ...]]] = []
    for d in window_days:
        due = and_(within(r.ship_by, window_start[d]), r.cancelled_at.is_(None))
        placed = within(r.created_at, window_start[d])
        shipped = within(r.shipped_at, window_start[d])
        parts += [
            row(WINDOW_DUE, _int(d), count().filter(due), count().filter(and_(due, late))),
            row(
                WINDOW_PLACED,
                _int(d),
                count().filter(placed),
                count().filter(and_(placed, seller_cancelled)),
            ),
            row(
                WINDOW_SHIPPED,
                _int(d),
                count().filter(shipped),
                count().filter(and_(shipped, r.tracked == 1)),
            ),
        ]
    first = day_start[0]
    placed_day = day_of(r.created_at)
    due_day = day_of(r.ship_by)
    parts += [
        row(DAY_PLACED, placed_day, count(), count().filter(seller_cancelled))
        .where(within(r.created_at, first))
        .group_by(placed_day),
        row(DAY_DUE, due_day, count(), count().filter(late))
        .where(within(r.ship_by, first), r.cancelled_at.is_(None))
        .group_by(due_day),
        row(
            SHIPMENT,
            case((r.shipped_at < first, null()), else_=day_of(r.shipped_at)),
            microseconds_between(r.shipped_at, func.coalesce(r.paid_at, r.created_at)),
            shortest_window(r.shipped_at),
        ).where(within(r.shipped_at, earliest)),
        row(
            DELIVERY,
            unix_seconds(r.ship_by),
            microseconds_between(r.delivered_at, r.ship_by),
            shortest_window(r.delivered_at),
        ).where(within(r.delivered_at, longest), r.ship_by.is_not(None)),
    ]
    return union_all(*parts)
