"""The customer confirms delivery through a signed link from the delivered email."""

from __future__ import annotations

import hashlib
import hmac
from contextlib import suppress
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import not_found
from server.orders.models import OrderRow
from server.orders.service import OrderService
from server.orders.store import Origin, decode_order
from server.settings import Settings
from shared import commands as c
from shared.lifecycle import StepRefused
from shared.types import OrderStatus


def confirmation_signature(secret_key: str, order_id: str) -> str:
    """The signature that proves a confirmation link came from us, for this order."""
    mac = hmac.new(secret_key.encode(), f"confirm-delivery:{order_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def confirmation_url(settings: Settings, order_id: str) -> str:
    """The link the delivered email carries."""
    sig = confirmation_signature(settings.secret_key, order_id)
    return f"{settings.public_url}/api/public/orders/{order_id}/confirm-delivery?sig={sig}"


async def _row(session: AsyncSession, settings: Settings, order_id: str, sig: str) -> OrderRow:
    expected = confirmation_signature(settings.secret_key, order_id)
    # Bytes: compare_digest refuses non-ASCII text with a TypeError (a 500, not a 404).
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        raise not_found("confirmation link")  # never say whether the order exists
    row = await session.scalar(select(OrderRow).where(OrderRow.id == order_id))
    if row is None:
        raise not_found("confirmation link")
    return row


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
        f"padding:0 1rem;line-height:1.5'><h1>{escape(title)}</h1>{body}</body></html>"
    )


async def confirmation_page(
    session: AsyncSession, settings: Settings, order_id: str, sig: str
) -> str:
    """The page behind the link: a button, so mail scanners opening links confirm nothing."""
    order = decode_order(await _row(session, settings, order_id, sig))
    if order.delivery_confirmed_at is not None:
        return _page("Thank you", f"<p>Delivery of order {escape(order.number)} is confirmed.</p>")
    return _page(
        f"Did order {order.number} arrive?",
        f"<form method=post action='?sig={escape(sig)}'>"
        "<button type=submit style='font-size:1.2rem;padding:.8rem 1.6rem'>"
        "Yes, I received it</button></form>",
    )


async def confirm(session: AsyncSession, settings: Settings, order_id: str, sig: str) -> str:
    """Record the customer's confirmation (once) and thank them."""
    row = await _row(session, settings, order_id, sig)
    order = decode_order(row)
    if order.delivery_confirmed_at is None and order.status in (
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    ):
        service = OrderService(session, row.vendor_id)
        origin = Origin(source="customer", actor_name=order.customer.name)
        # Confirmed at the same moment by someone else? The page below is still true.
        with suppress(StepRefused):
            await service.act(order_id, c.ConfirmDelivery(), origin)
    elif order.delivery_confirmed_at is None:
        return _page(
            "Not shipped yet", f"<p>Order {escape(order.number)} has not been shipped yet.</p>"
        )
    return _page("Thank you", f"<p>Delivery of order {escape(order.number)} is confirmed.</p>")
