"""Out of stock: what happens, in the order's transaction, when a line runs short or is settled.

The seller guide: contact the customer immediately, offer alternatives or a refund, update
inventory, cancel if no resolution is possible.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import StrEnum

from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.ids import new_id, utcnow
from server.orders.models import OrderNote
from server.outofstock.models import Refund
from server.settings import Settings
from shared.lifecycle import Event, open_lines
from shared.types import HoldReason, NoteKind, Order, OrderStatus, PaymentStatus

#: how soon after an order goes on hold (out of stock) the customer should hear from us
CONTACT_WITHIN = timedelta(hours=4)


class CustomerChoice(StrEnum):
    """What the customer may answer to an out-of-stock message."""

    ALTERNATIVE = "alternative"  # happy with the offered alternative
    WAIT = "wait"  # will wait for restock
    REFUND_ITEM = "refund_item"  # drop the missing item, refund it
    CANCEL = "cancel"  # cancel the whole order


CHOICE_TEXT = {
    CustomerChoice.ALTERNATIVE: "Send me the alternative you offered",
    CustomerChoice.WAIT: "I'll wait until it is back in stock",
    CustomerChoice.REFUND_ITEM: "Send the rest and refund the missing item",
    CustomerChoice.CANCEL: "Cancel my order and refund everything",
}


class CustomerMessage(Struct):
    """The templated message to the customer, and the link they answer through."""

    to: str
    subject: str
    body: str
    link: str


async def refunded(session: AsyncSession, order_id: str) -> int:
    """Minor units already refunded on this order."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(Refund.order_id == order_id)
    )
    return int(total or 0)


async def after_change(
    session: AsyncSession, vendor_id: str, before: Order, after: Order
) -> list[Event]:
    """Refund records and the follow-up task that a change of the order calls for."""
    events: list[Event] = []
    now = utcnow()
    paid = after.payment_status is PaymentStatus.PAID
    if paid:
        before_removed = {ln.id for ln in before.lines if ln.removed}
        for line in after.lines:
            if line.removed and line.id not in before_removed:
                amount = line.quantity * line.unit_price_minor
                session.add(
                    Refund(
                        id=new_id(),
                        vendor_id=vendor_id,
                        order_id=after.id,
                        line_id=line.id,
                        amount_minor=amount,
                        currency=after.currency,
                        reason="line_removed",
                        created_at=now,
                    )
                )
                events.append(
                    Event("refund", {"line_id": line.id, "sku": line.sku, "amount_minor": amount})
                )
        if after.status is OrderStatus.CANCELLED and before.status is not OrderStatus.CANCELLED:
            amount = max(0, after.total_minor - await refunded(session, after.id))
            if amount:
                session.add(
                    Refund(
                        id=new_id(),
                        vendor_id=vendor_id,
                        order_id=after.id,
                        line_id=None,
                        amount_minor=amount,
                        currency=after.currency,
                        reason="cancelled",
                        created_at=now,
                    )
                )
                events.append(Event("refund", {"amount_minor": amount, "reason": "cancelled"}))
    went_short = (
        after.hold_reason is HoldReason.OUT_OF_STOCK and before.status is not OrderStatus.ON_HOLD
    )
    if after.status is OrderStatus.ON_HOLD and went_short:
        events.append(add_follow_up(session, vendor_id, after))
    return events


def add_follow_up(session: AsyncSession, vendor_id: str, order: Order) -> Event:
    """The "contact the customer" task, as a follow-up note due soon."""
    short = ", ".join(f"{ln.sku} ×{ln.short}" for ln in open_lines(order) if ln.short)
    now = utcnow()
    note_id = new_id()
    session.add(
        OrderNote(
            id=note_id,
            vendor_id=vendor_id,
            order_id=order.id,
            kind=NoteKind.FOLLOW_UP.value,
            text=f"Out of stock ({short}): contact the customer and offer an alternative or a refund.",
            author_id="",
            author_name="Shipfloor",
            created_at=now,
            due_at=now + CONTACT_WITHIN,
        )
    )
    return Event("follow_up", {"note_id": note_id, "due_at": (now + CONTACT_WITHIN).isoformat()})


def choice_signature(secret_key: str, order_id: str) -> str:
    """Proves a choice link was sent by us for this order."""
    return hmac.new(
        secret_key.encode(), f"stock-choice:{order_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def choice_url(settings: Settings, order_id: str) -> str:
    """The link in the out-of-stock message."""
    sig = choice_signature(settings.secret_key, order_id)
    return f"{settings.public_url}/api/public/orders/{order_id}/stock-choice?sig={sig}"


def customer_message(
    settings: Settings, seller: str, order: Order, alternative: str
) -> CustomerMessage:
    """The seller guide's message: say what is missing, offer an alternative or a refund."""
    missing = [ln for ln in open_lines(order) if ln.short]
    items = "\n".join(f"  - {ln.name or ln.sku} (×{ln.short})" for ln in missing)
    offer = f"We can send {alternative} instead at no extra cost.\n" if alternative else ""
    link = choice_url(settings, order.id)
    body = (
        f"Hello {order.customer.name},\n\n"
        f"We are sorry: part of your order {order.number} is out of stock:\n{items}\n\n"
        f"{offer}Please tell us what you prefer — an alternative, waiting for restock, a refund "
        f"of the missing item, or cancelling the order:\n{link}\n\n"
        f"Thank you for your patience,\n{seller}\n"
    )
    return CustomerMessage(
        order.customer.email, f"Your order {order.number}: an item is out of stock", body, link
    )
