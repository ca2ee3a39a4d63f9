"""What a marketplace posts to ``POST /api/intake/orders``."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from shared.types import (
    Address,
    CurrencyCode,
    Customer,
    MinorUnits,
    PaymentStatus,
    Quantity,
    Timestamp,
)


class IntakeLine(Struct, forbid_unknown_fields=True, kw_only=True):
    """One ordered item."""

    sku: Annotated[str, Meta(min_length=1, max_length=64)]
    quantity: Quantity
    name: Annotated[str, Meta(max_length=500)] = ""
    unit_price_minor: MinorUnits = 0
    barcode: Annotated[str, Meta(max_length=64)] = ""


class IntakeOrder(Struct, forbid_unknown_fields=True, kw_only=True):
    """A new (or re-sent) marketplace order; ``external_id`` makes re-sending harmless."""

    external_id: Annotated[str, Meta(min_length=1, max_length=128)]
    number: (
        Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-_.]+$")] | None
    ) = None
    placed_at: Timestamp | None = None
    customer: Customer
    shipping_address: Address
    lines: Annotated[list[IntakeLine], Meta(min_length=1, max_length=500)]
    currency: CurrencyCode = "USD"
    shipping_minor: MinorUnits = 0
    tax_minor: MinorUnits = 0
    payment_status: PaymentStatus = PaymentStatus.PENDING
    paid_at: Timestamp | None = None


class IntakeResult(Struct):
    """What intake did with the order."""

    order_id: str
    number: str
    status: str
    created: bool
    problems: list[str]
