"""Who hears of an outbox item: one delivery row per person (and device) it must reach.

Sellers hear of new orders, delays and conflicts as each user's preferences say (push to
every subscribed device, email to their address); customers get an email when their
order ships, runs late or is delivered. A push falling in the user's quiet hours is due
when they end. Rows already there are skipped (the idempotency key), so fanning an item
out twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Boolean, Integer, String, Table, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, Vendor
from server.db import UTCDateTime
from server.notifications import preferences
from server.notifications.models import Delivery, OutboxItem, PushSubscription
from server.notifications.schemas import Kind
from server.notifications.service import decode_snapshot

#: sellers hear of these (push, email) as their preferences say
SELLER_KINDS = frozenset({Kind.NEW_ORDER, Kind.ORDER_DELAYED, Kind.CONFLICT})
#: customers get an email of these
CUSTOMER_KINDS = frozenset({Kind.ORDER_SHIPPED, Kind.ORDER_DELAYED, Kind.ORDER_DELIVERED})

_DELIVERIES = cast(Table, Delivery.__table__)
_KEY = ["outbox_id", "channel", "target"]
_COLUMNS = [
    "outbox_id",
    "vendor_id",
    "channel",
    "target",
    "user_id",
    "status",
    "attempts",
    "next_attempt_at",
    "expires_at",
    "claimed_by",
    "short_payload",
    "created_at",
    "last_error",
]


async def fan_out(
    session: AsyncSession, item: OutboxItem, now: datetime, push_ttl_seconds: int
) -> None:
    """Insert the delivery rows of one item (in the caller's transaction)."""
    kind = Kind(item.kind)
    emails: list[tuple[str, str | None]] = []
    if kind in SELLER_KINDS:
        vendor = await session.get_one(Vendor, item.vendor_id)
        users = list(
            await session.scalars(
                select(User).where(User.vendor_id == item.vendor_id, User.disabled.is_(False))
            )
        )
        prefs = await preferences.for_users(session, users)
        # Users whose pushes are due at the same moment (now, or the end of their quiet
        # hours) get theirs in one INSERT … SELECT: a thousand devices, one statement.
        due: dict[datetime, list[str]] = {}
        for user in users:
            if kind.value in prefs[user.id].push:
                quiet = preferences.quiet_until(prefs[user.id].quiet_hours, now, vendor.timezone)
                due.setdefault(quiet or now, []).append(user.id)
            if kind.value in prefs[user.id].email:
                emails.append((user.email, user.id))
        for when, user_ids in due.items():
            await _push_rows(session, item, user_ids, now, when, push_ttl_seconds)
    if kind in CUSTOMER_KINDS:
        email = decode_snapshot(item.payload).customer_email.strip().lower()
        if email:
            emails.append((email, None))
    if emails:
        rows = [_email_row(item, address, user_id, now) for address, user_id in emails]
        await session.execute(_insert_ignore(session, _DELIVERIES), rows)


async def _push_rows(
    session: AsyncSession,
    item: OutboxItem,
    user_ids: list[str],
    now: datetime,
    due: datetime,
    push_ttl_seconds: int,
) -> None:
    """One delivery per subscribed device of these users, due at ``due``."""
    # A push older than its TTL is noise: the seller has long seen the order.
    expires = due + timedelta(seconds=push_ttl_seconds)
    s = PushSubscription
    devices = select(
        literal(item.id, Integer),
        s.vendor_id,
        literal("push", String),
        s.id,
        s.user_id,
        literal("pending", String),
        literal(0, Integer),
        literal(due, UTCDateTime()),
        literal(expires, UTCDateTime()),
        literal("", String),
        literal(False, Boolean),
        literal(now, UTCDateTime()),
        literal("", String),
    ).where(s.vendor_id == item.vendor_id, s.user_id.in_(user_ids))
    stmt = _insert_ignore(session, _DELIVERIES, devices)
    await session.execute(stmt)


def _email_row(
    item: OutboxItem, address: str, user_id: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "outbox_id": item.id,
        "vendor_id": item.vendor_id,
        "channel": "email",
        "target": address,
        "user_id": user_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "expires_at": None,
        "claimed_by": "",
        "short_payload": False,
        "created_at": now,
        "last_error": "",
    }


def _insert_ignore(session: AsyncSession, table: Table, rows_from: Any = None) -> Any:
    """INSERT (of values, or ``FROM SELECT``) skipping rows whose key is already there."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql as dialect
    else:
        from sqlalchemy.dialects import sqlite as dialect  # type: ignore[no-redef]
    stmt = dialect.insert(table)
    if rows_from is not None:
        stmt = stmt.from_select(_COLUMNS, rows_from)
    return stmt.on_conflict_do_nothing(index_elements=_KEY)
