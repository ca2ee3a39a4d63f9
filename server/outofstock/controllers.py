"""HTTP routes of the out-of-stock domain."""

from __future__ import annotations

import hmac
from html import escape
from typing import Annotated

from litestar import Controller, MediaType, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter, URLEncodedBody
from msgspec import Meta, Struct
from sqlalchemy import select

from server.accounts.models import Vendor
from server.db import begin_write
from server.deps import ActingOrigin, AppSettings, DbSession, Orders
from server.errors import not_found
from server.ids import new_id, utcnow
from server.orders.models import OrderNote, OrderRow
from server.orders.service import OrderService
from server.orders.store import Origin, decode_order
from server.outofstock import service
from server.outofstock.service import CHOICE_TEXT, CustomerChoice, CustomerMessage
from shared.lifecycle import Event
from shared.types import NoteKind

Signature = Annotated[str, QueryParameter(name="sig", min_length=1, max_length=64)]


class ContactRequest(Struct, forbid_unknown_fields=True):
    """What to offer the customer besides a refund (an alternative SKU or product)."""

    alternative: Annotated[str, Meta(max_length=200)] = ""


class ChoiceForm(Struct, forbid_unknown_fields=True):
    """The button the customer pressed."""

    choice: CustomerChoice


class OutOfStockController(Controller):
    """Contacting the customer about missing items, and their answer."""

    path = "/api"
    tags = ["out of stock"]

    @post(
        "/orders/{order_id:str}/contact-customer",
        status_code=200,
        summary="Message the customer about missing items",
    )
    async def contact(
        self,
        orders: Orders,
        origin: ActingOrigin,
        settings: AppSettings,
        order_id: FromPath[str],
        data: JSONBody[ContactRequest],
    ) -> CustomerMessage:
        """Builds the templated message with the customer's answer link; records it on the timeline."""
        order = decode_order(await orders.row(order_id))
        if not any(ln.short for ln in order.lines if not ln.removed):
            raise ValidationException(f"order {order.number} has no line reported out of stock")
        vendor = await orders.session.get_one(Vendor, orders.vendor_id)
        message = service.customer_message(settings, vendor.name, order, data.alternative)
        event = Event("customer_contacted", {"to": message.to, "alternative": data.alternative})
        await begin_write(orders.session)
        await orders.apply_in_transaction(order_id, None, origin, [event])
        await orders.session.commit()
        return message

    @get(
        "/public/orders/{order_id:str}/stock-choice",
        summary="The customer's answer page (signed link)",
        media_type=MediaType.HTML,
    )
    async def choice_page(
        self, db_session: DbSession, settings: AppSettings, order_id: FromPath[str], sig: Signature
    ) -> str:
        """Buttons for each choice; opening the link alone records nothing."""
        row = await _signed_row(db_session, settings.secret_key, order_id, sig)
        buttons = "".join(
            f"<p><button name=choice value={c.value} style='font-size:1.1rem;padding:.6rem 1rem'>{escape(t)}</button></p>"
            for c, t in CHOICE_TEXT.items()
        )
        return _page(
            f"Order {decode_order(row).number}: what would you like us to do?",
            f"<form method=post action='?sig={escape(sig)}'>{buttons}</form>",
        )

    @post(
        "/public/orders/{order_id:str}/stock-choice",
        status_code=200,
        summary="The customer answers (signed link)",
        media_type=MediaType.HTML,
    )
    async def choose(
        self,
        db_session: DbSession,
        settings: AppSettings,
        order_id: FromPath[str],
        sig: Signature,
        data: URLEncodedBody[ChoiceForm],
    ) -> str:
        """Records the choice on the timeline and as a customer-request note for the seller."""
        row = await _signed_row(db_session, settings.secret_key, order_id, sig)
        choice = data.choice
        order = decode_order(row)
        service_ = OrderService(db_session, row.vendor_id)
        origin = Origin(source="customer", actor_name=order.customer.name)
        await begin_write(db_session)
        db_session.add(
            OrderNote(
                id=new_id(),
                vendor_id=row.vendor_id,
                order_id=order.id,
                kind=NoteKind.CUSTOMER_REQUEST.value,
                text=f"Customer's answer about the missing item: {CHOICE_TEXT[choice]}.",
                author_id="",
                author_name=order.customer.name,
                created_at=utcnow(),
            )
        )
        await service_.apply_in_transaction(
            order.id, None, origin, [Event("customer_choice", {"choice": choice.value})]
        )
        await db_session.commit()
        return _page(
            "Thank you",
            f"<p>We got your answer for order {escape(order.number)}: {escape(CHOICE_TEXT[choice])}.</p>",
        )


async def _signed_row(session: DbSession, secret: str, order_id: str, sig: str) -> OrderRow:
    # Bytes: compare_digest refuses non-ASCII text with a TypeError (a 500, not a 404).
    if not hmac.compare_digest(service.choice_signature(secret, order_id).encode(), sig.encode()):
        raise not_found("link")
    row = await session.scalar(select(OrderRow).where(OrderRow.id == order_id))
    if row is None:
        raise not_found("link")
    return row


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><body style='font-family:system-ui,sans-serif;"
        f"max-width:34rem;margin:3rem auto;padding:0 1rem'><h1>{escape(title)}</h1>{body}</body></html>"
    )
