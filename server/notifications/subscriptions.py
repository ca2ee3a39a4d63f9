"""Push subscriptions: one per user and device, kept until the browser or the service drops it."""

from __future__ import annotations

import base64
import ipaddress
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.security import Actor
from server.db import begin_write
from server.errors import BadRequest, not_found
from server.ids import new_id, utcnow
from server.notifications.models import PushSubscription, VapidKey
from server.notifications.schemas import NewSubscription, SubscriptionOut
from server.notifications.webpush import current_key


def _decoded_length(b64: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
    except ValueError:
        return -1


def endpoint_problem(endpoint: str, allow_http: bool) -> str | None:
    """Why this endpoint cannot be a push service, or None.

    Push services are public https URLs; an http or private-address endpoint would make
    the server post to whatever a user names (tests and local services opt in).
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "endpoint: must be an https URL of a push service"
    if parts.scheme == "http" and not allow_http:
        return "endpoint: must use https"
    if not allow_http:
        host = parts.hostname
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host == "localhost" or host.endswith(".localhost"):
                return "endpoint: must be a public push service"
        else:
            if not address.is_global:
                return "endpoint: must be a public push service"
    return None


def out(row: PushSubscription) -> SubscriptionOut:
    """The wire view of a subscription (the endpoint's origin only: the rest is a secret)."""
    parts = urlsplit(row.endpoint)
    return SubscriptionOut(
        row.id,
        row.device_id,
        f"{parts.scheme}://{parts.netloc}",
        row.created_at,
        row.last_success_at,
    )


async def subscribe(
    session: AsyncSession,
    actor: Actor,
    data: NewSubscription,
    device_id: str,
    user_agent: str,
    allow_http: bool,
) -> SubscriptionOut:
    """Store the browser's subscription for this user and device, replacing older ones.

    The same endpoint (a browser subscribing again, or another user signing in on it) and
    the same user's device keep one row: the newest.
    """
    problem = endpoint_problem(data.endpoint, allow_http)
    if problem:
        raise BadRequest(problem)
    if _decoded_length(data.keys.p256dh) != 65:
        raise BadRequest("keys.p256dh: must be an uncompressed P-256 public key (65 bytes)")
    if _decoded_length(data.keys.auth) != 16:
        raise BadRequest("keys.auth: must be the 16-byte auth secret")
    await begin_write(session)
    key: VapidKey | None
    if data.key_id:
        key = await session.get(VapidKey, data.key_id)
        if key is None:
            raise BadRequest("key_id: unknown VAPID key; fetch /api/push/vapid-public-key again")
    else:
        key = await current_key(session)
        if key is None:
            raise BadRequest("push is not set up on this server (no VAPID key)")
    device = device_id or data.device_id
    same = [PushSubscription.endpoint == data.endpoint]
    if device:
        same.append(
            (PushSubscription.user_id == actor.user_id) & (PushSubscription.device_id == device)
        )
    await session.execute(delete(PushSubscription).where(or_(*same)))
    row = PushSubscription(
        id=new_id(),
        vendor_id=actor.vendor_id,
        user_id=actor.user_id,
        device_id=device,
        endpoint=data.endpoint,
        p256dh=data.keys.p256dh,
        auth=data.keys.auth,
        vapid_key_id=key.id,
        user_agent=user_agent[:300],
        created_at=utcnow(),
    )
    session.add(row)
    await session.commit()
    return out(row)


async def unsubscribe(session: AsyncSession, actor: Actor, subscription_id: str) -> None:
    """Remove one of the user's subscriptions (404 for anyone else's)."""
    await begin_write(session)
    result = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id,
            PushSubscription.user_id == actor.user_id,
            PushSubscription.vendor_id == actor.vendor_id,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise not_found(f"push subscription {subscription_id!r}")
    await session.commit()


async def list_for(session: AsyncSession, actor: Actor) -> list[SubscriptionOut]:
    """The user's subscriptions, newest first."""
    rows = await session.scalars(
        select(PushSubscription)
        .where(
            PushSubscription.user_id == actor.user_id,
            PushSubscription.vendor_id == actor.vendor_id,
        )
        .order_by(PushSubscription.created_at.desc())
    )
    return [out(r) for r in rows]
