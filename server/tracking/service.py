"""Carrier events: verify, store once, put on the timeline, move the order to Delivered."""

from __future__ import annotations

import hashlib
import hmac

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import signing
from server.db import begin_write
from server.errors import not_found
from server.ids import utcnow
from server.orders.models import OrderRow
from server.orders.service import OrderService
from server.orders.store import Origin, decode_order
from server.settings import Settings
from server.tracking.models import TrackingEvent
from server.tracking.schemas import CarrierEventIn, CarrierEventResult, TrackingStatus
from shared import commands as c
from shared.carriers import CARRIERS, normalise_tracking
from shared.lifecycle import Event
from shared.types import OrderStatus


def webhook_secret(settings: Settings, carrier: str) -> str:
    """The carrier's webhook secret: configured, or derived from the server's secret key."""
    configured = settings.carrier_webhook_secrets.get(carrier)
    if configured:
        return configured
    return hmac.new(
        settings.secret_key.encode(), f"carrier-webhook:{carrier}".encode(), hashlib.sha256
    ).hexdigest()


def verify(
    settings: Settings, carrier: str, timestamp: str | None, signature: str | None, body: bytes
) -> None:
    """401 unless the body is signed with the carrier's secret within the clock window."""
    if carrier not in CARRIERS:
        raise not_found(f"carrier {carrier!r}")
    timestamp, signature = signing.check_headers(timestamp, signature)
    signing.verify(
        webhook_secret(settings, carrier),
        timestamp,
        signature,
        body,
        settings.intake_clock_skew_seconds,
    )


async def record_event(
    session: AsyncSession, carrier: str, event: CarrierEventIn
) -> CarrierEventResult:
    """Store a carrier event once and let it move the order (only ever forwards)."""
    number = normalise_tracking(event.tracking_number)
    row = (
        await session.execute(
            select(OrderRow)
            .where(OrderRow.carrier == carrier, OrderRow.tracking_number == number)
            .order_by(OrderRow.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found(f"tracking number {event.tracking_number!r} of carrier {carrier!r}")
    vendor_id, order_id = row.vendor_id, row.id
    service = OrderService(session, vendor_id)
    origin = Origin(source="carrier", actor_name=carrier)
    try:
        await begin_write(session)
        session.add(
            TrackingEvent(
                vendor_id=vendor_id,
                order_id=order_id,
                carrier=carrier,
                event_id=event.event_id,
                tracking_number=number,
                status=event.status.value,
                occurred_at=event.occurred_at,
                location=event.location,
                description=event.description,
                received_at=utcnow(),
            )
        )
        await session.flush()
    except IntegrityError:
        await session.rollback()
        order = decode_order(await service.row(order_id))
        return CarrierEventResult(order_id, True, order.status.value)
    detail = msgspec.to_builtins(event)
    detail.pop("tracking_number", None)
    timeline = [Event("carrier_event", detail)]
    order = decode_order(await service.row(order_id))
    delivered = event.status is TrackingStatus.DELIVERED and order.status is OrderStatus.SHIPPED
    # Events may arrive out of order: a late "in transit" after "delivered" only goes on
    # the timeline; status never moves backwards.
    result, _ = await service.apply_in_transaction(
        order_id, c.Deliver() if delivered else None, origin, timeline, at=event.occurred_at
    )
    await session.commit()
    return CarrierEventResult(order_id, False, result.status.value)
