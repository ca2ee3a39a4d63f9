"""Each user's notification preferences, their defaults, and quiet hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.accounts.security import Actor
from server.db import begin_write
from server.ids import utcnow
from server.notifications.models import NotificationPreference
from server.notifications.schemas import Preferences, QuietHours

_decoder = msgspec.json.Decoder(Preferences)
_encoder = msgspec.json.Encoder()


def defaults(role: str) -> Preferences:
    """What a user gets before choosing: push for their work, email of new orders for owners."""
    email: list[str] = ["new_order", "order_delayed", "conflict"] if role == "owner" else []
    return msgspec.convert(
        {
            "push": ["new_order", "order_delayed", "conflict"],
            "email": email,
            "dashboard": ["new_order", "order_changed", "conflict"],
        },
        Preferences,
    )


def decode(doc: str) -> Preferences:
    """Preferences stored as JSON."""
    return _decoder.decode(doc)


async def for_users(session: AsyncSession, users: Iterable[User]) -> dict[str, Preferences]:
    """Each user's preferences, defaults where they chose nothing."""
    users = list(users)
    rows = await session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id.in_([u.id for u in users])
        )
    )
    stored = {r.user_id: decode(r.doc) for r in rows}
    return {u.id: stored.get(u.id) or defaults(u.role) for u in users}


async def get(session: AsyncSession, actor: Actor) -> Preferences:
    """The signed-in user's preferences."""
    row = await session.get(NotificationPreference, actor.user_id)
    return decode(row.doc) if row is not None else defaults(actor.role)


async def read(factory: async_sessionmaker[AsyncSession], actor: Actor) -> Preferences:
    """The user's preferences from a short session of its own (for long-lived streams)."""
    async with factory() as session:
        return await get(session, actor)


async def put(session: AsyncSession, actor: Actor, prefs: Preferences) -> Preferences:
    """Replace the signed-in user's preferences (topics de-duplicated, order kept)."""
    prefs = msgspec.structs.replace(
        prefs,
        push=list(dict.fromkeys(prefs.push)),
        email=list(dict.fromkeys(prefs.email)),
        dashboard=list(dict.fromkeys(prefs.dashboard)),
    )
    await begin_write(session)
    row = await session.get(NotificationPreference, actor.user_id)
    doc = _encoder.encode(prefs).decode()
    if row is None:
        row = NotificationPreference(
            user_id=actor.user_id, vendor_id=actor.vendor_id, doc=doc, updated_at=utcnow()
        )
        session.add(row)
    else:
        row.doc = doc
        row.updated_at = utcnow()
    await session.commit()
    return prefs


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(quiet: QuietHours | None, now: datetime, timezone: str) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None if it is not quiet now.

    Hours are the vendor's local clock; a window may cross midnight (22:00–07:00).
    """
    if quiet is None or quiet.start == quiet.end:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start, end = _clock(quiet.start), _clock(quiet.end)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)
