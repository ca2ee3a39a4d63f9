"""Hooks that write notifications into the outbox, inside the caller's transaction.

Whatever changes an order calls one of these before it commits:

- :func:`on_order_created` (intake),
- :func:`on_order_changed` (every lifecycle step), or :func:`on_orders_changed` for a batch
  (the sync engine's merged changes),
- :func:`on_conflict` (a conflict recorded without a step, e.g. by sync).

They only insert rows (and, on PostgreSQL, a ``NOTIFY`` that is delivered at commit), so a
rolled-back change notifies nobody and a committed one cannot lose its notification.
Delivery happens later, in :mod:`server.notifications.dispatcher`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import Select, Table, and_, exists, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.ids import utcnow
from server.notifications import events as live
from server.notifications.models import OutboxItem
from server.notifications.schemas import DashboardEvent, Kind, OrderSnapshot
from server.orders.models import OrderRow
from server.orders.store import decode_order
from shared.deadlines import Calendar, add_business_days
from shared.lifecycle import Event
from shared.types import OPEN_STATUSES, Order, OrderStatus, item_count

#: kinds the dashboard shows live; the others only go to people (push, email)
DASHBOARD_KINDS = frozenset({Kind.NEW_ORDER, Kind.ORDER_CHANGED, Kind.CONFLICT})
#: kinds a dispatcher must fan out to push subscriptions and email addresses
DELIVERED_KINDS = frozenset(
    {Kind.NEW_ORDER, Kind.CONFLICT, Kind.ORDER_DELAYED, Kind.ORDER_SHIPPED, Kind.ORDER_DELIVERED}
)

_encoder = msgspec.json.Encoder()
_snapshot = msgspec.json.Decoder(OrderSnapshot)


def snapshot_of(order: Order, **extra: Any) -> OrderSnapshot:
    """What messages about this order show."""
    return OrderSnapshot(
        order_id=order.id,
        number=order.number,
        status=order.status.value,
        item_count=item_count(order),
        total_minor=order.total_minor,
        currency=order.currency,
        ship_by=order.ship_by,
        customer_name=order.customer.name,
        customer_email=order.customer.email,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        **extra,
    )


def decode_snapshot(payload: str) -> OrderSnapshot:
    """The snapshot stored in an outbox row."""
    return _snapshot.decode(payload)


def dashboard_event(item_id: int, kind: str, snap: OrderSnapshot, at: datetime) -> DashboardEvent:
    """The live alert for an outbox row."""
    return DashboardEvent(
        id=item_id,
        type=kind,
        order_id=snap.order_id,
        number=snap.number,
        status=snap.status,
        item_count=snap.item_count,
        total_minor=snap.total_minor,
        currency=snap.currency,
        ship_by=snap.ship_by,
        message=snap.message,
        at=at,
    )


async def enqueue(
    session: AsyncSession,
    vendor_id: str,
    kind: Kind,
    snap: OrderSnapshot,
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> int | None:
    """Write one outbox row in the session's transaction; None if ``dedupe_key`` was taken.

    A dedupe key makes the row unique (``delayed:<order>``): enqueuing twice, from two
    instances at once, still gives one notification.
    """
    now = utcnow()
    status = "pending" if kind in DELIVERED_KINDS else "done"
    values = {
        "vendor_id": vendor_id,
        "order_id": snap.order_id,
        "kind": kind.value,
        "payload": _encoder.encode(snap).decode(),
        "status": status,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "available_at": available_at or now,
    }
    stmt = _insert(session)(OutboxItem).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    item_id = (await session.execute(stmt.returning(OutboxItem.id))).scalar_one_or_none()
    if item_id is None:
        return None
    event = dashboard_event(item_id, kind.value, snap, now) if kind in DASHBOARD_KINDS else None
    await live.announce(session, vendor_id, event, wake=status == "pending")
    return int(item_id)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (both have ON CONFLICT DO NOTHING)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


# ---------------------------------------------------------------- hooks


async def on_order_created(session: AsyncSession, vendor_id: str, order: Order) -> None:
    """A new order: the seller's push and email, and the dashboard's "new order" alert."""
    await enqueue(session, vendor_id, Kind.NEW_ORDER, snapshot_of(order), f"new:{order.id}")


async def on_order_changed(
    session: AsyncSession,
    vendor_id: str,
    before: Order,
    after: Order,
    events: Iterable[Event] = (),
) -> None:
    """An order changed: the dashboard hears of it; customers of a shipment or delivery;
    the sellers of any conflict among ``events`` (an event of kind ``conflict``)."""
    snap = snapshot_of(after)
    await enqueue(session, vendor_id, Kind.ORDER_CHANGED, snap)
    await _tell_people(session, vendor_id, before, after, snap, events)


async def on_orders_changed(
    session: AsyncSession,
    vendor_id: str,
    changes: Sequence[tuple[Order, Order, Iterable[Event]]],
) -> None:
    """:func:`on_order_changed` for many orders in one transaction (a sync batch): the
    dashboard rows go in with one multi-row insert instead of one round trip each."""
    if not changes:
        return
    now = utcnow()
    snaps = [snapshot_of(after) for _, after, _ in changes]
    rows = [
        {
            "vendor_id": vendor_id,
            "order_id": snap.order_id,
            "kind": Kind.ORDER_CHANGED.value,
            "payload": _encoder.encode(snap).decode(),
            "status": "done",
            "dedupe_key": None,
            "created_at": now,
            "available_at": now,
        }
        for snap in snaps
    ]
    # One multi-row INSERT … RETURNING. Asking SQLAlchemy for the ids in parameter order
    # (sort_by_parameter_order) made it one statement per row on SQLite, so the ids are
    # matched to the rows by order instead; autoincrement ids ascend in VALUES order, which
    # only matters if an order appears twice.
    stmt = insert(cast(Table, OutboxItem.__table__)).returning(OutboxItem.id, OutboxItem.order_id)
    ids: dict[str | None, list[int]] = {}
    for item_id, order_id in sorted((await session.execute(stmt, rows)).all()):
        ids.setdefault(order_id, []).append(item_id)
    alerts = [
        dashboard_event(ids[snap.order_id].pop(0), Kind.ORDER_CHANGED.value, snap, now)
        for snap in snaps
    ]
    await live.announce_many(session, vendor_id, alerts, wake=False)
    for (before, after, events), snap in zip(changes, snaps, strict=True):
        await _tell_people(session, vendor_id, before, after, snap, events)


async def _tell_people(
    session: AsyncSession,
    vendor_id: str,
    before: Order,
    after: Order,
    snap: OrderSnapshot,
    events: Iterable[Event],
) -> None:
    """The customer's shipped/delivered message and the sellers' conflict alerts."""
    moved = before.status is not after.status
    if after.customer.email and moved:
        if after.status is OrderStatus.SHIPPED:
            await enqueue(session, vendor_id, Kind.ORDER_SHIPPED, snap, f"shipped:{after.id}")
        elif after.status is OrderStatus.DELIVERED:
            await enqueue(session, vendor_id, Kind.ORDER_DELIVERED, snap, f"delivered:{after.id}")
    for event in events:
        if event.kind == "conflict":
            await on_conflict(session, vendor_id, after, event.detail)


async def on_conflict(
    session: AsyncSession, vendor_id: str, order: Order, detail: dict[str, Any]
) -> None:
    """A conflict on the order that people must see (``detail``: ``id``, ``message``)."""
    message = str(detail.get("message") or detail.get("kind") or "conflicting changes")
    key = f"conflict:{detail['id']}" if detail.get("id") else None
    await enqueue(session, vendor_id, Kind.CONFLICT, snapshot_of(order, message=message), key)


# ---------------------------------------------------------------- delays


def delayed_orders(now: datetime, warn: timedelta, limit: int) -> Select[OrderRow, Vendor]:
    """Open, paid orders whose ship-by has passed or is about to, not yet told about."""
    key = literal("delayed:") + OrderRow.id
    told = exists().where(OutboxItem.dedupe_key == key)
    return (
        select(OrderRow, Vendor)
        .join(Vendor, Vendor.id == OrderRow.vendor_id)
        .where(
            OrderRow.status.in_([s.value for s in OPEN_STATUSES]),
            and_(
                OrderRow.ship_by.is_not(None),
                OrderRow.ship_by <= now + warn,
                # Orders late for over a week were dealt with by people long ago.
                OrderRow.ship_by >= now - timedelta(days=7),
            ),
            ~told,
        )
        .limit(limit)
    )


def new_estimate(ship_by: datetime, now: datetime, calendar: Calendar) -> str:
    """The next business day after the later of ship-by and today (vendor's local date)."""
    zone = calendar.zone
    base = max(ship_by.astimezone(zone).date(), now.astimezone(zone).date())
    return add_business_days(base, 1, calendar).isoformat()


async def enqueue_delays(session: AsyncSession, warn_minutes: int, limit: int = 500) -> int:
    """Enqueue a delay notice for every order that needs one (once per order). Commits."""
    from server.db import begin_write

    now = utcnow()
    rows = (
        await session.execute(delayed_orders(now, timedelta(minutes=warn_minutes), limit))
    ).all()
    if not rows:
        await session.rollback()
        return 0
    notices = []
    for row, vendor in rows:
        order = decode_order(row)
        assert order.ship_by is not None  # the query asks for it
        calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
        snap = snapshot_of(order, new_estimate=new_estimate(order.ship_by, now, calendar))
        notices.append((vendor.id, snap))
    # Found with a read; written under the write lock. The unique key still makes it one
    # notice per order if another instance got there in between.
    await begin_write(session)
    count = 0
    for vendor_id, snap in notices:
        if await enqueue(session, vendor_id, Kind.ORDER_DELAYED, snap, f"delayed:{snap.order_id}"):
            count += 1
    await session.commit()
    return count
