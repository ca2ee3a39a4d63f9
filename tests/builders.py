"""Orders in every lifecycle stage, built by the real rules of ``shared/`` (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import structs

from shared import commands as c
from shared.lifecycle import Outcome, apply
from shared.types import Address, Customer, Order, OrderLine, OrderStatus, PaymentStatus

#: the clock every builder uses; steps are a minute apart so timestamps stay distinct
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

GOOD_ADDRESS = Address(
    name="Casey Customer",
    line1="12 Elm St",
    city="Springfield",
    region="IL",
    postal_code="62701",
    country="US",
)

#: a real UPS tracking number shape (1Z + 16 characters)
UPS_TRACKING = "1Z999AA10123456784"


def new_order(**overrides: Any) -> Order:
    """A paid New order with two lines (2 mugs, 1 tote) and a deliverable address."""
    order = Order(
        id="order-1",
        number="SF10001",
        customer=Customer(name="Casey Customer", email="casey@example.com"),
        shipping_address=GOOD_ADDRESS,
        lines=[
            OrderLine(id="L1", sku="MUG-1", barcode="4006381333931", quantity=2),
            OrderLine(id="L2", sku="TOTE-2", barcode="4006381333948", quantity=1),
        ],
        payment_status=PaymentStatus.PAID,
        created_at=T0,
        paid_at=T0,
    )
    return structs.replace(order, **overrides) if overrides else order


def at(minutes: int) -> datetime:
    """A moment ``minutes`` after the builders' start."""
    return T0 + timedelta(minutes=minutes)


def run(order: Order, *commands: c.Command) -> Order:
    """Apply each command in turn (a minute apart); any refusal fails the caller's test."""
    for i, command in enumerate(commands, start=1):
        order = apply(order, command, at(i)).order
    return order


def step(order: Order, command: c.Command, minute: int = 100) -> Outcome:
    """Apply one command at a known moment."""
    return apply(order, command, at(minute))


REVIEW = (c.VerifyAvailability(), c.VerifyAddress(), c.ConfirmPayment())
PICK_ALL = (c.Pick(line_id="L1", quantity=2), c.Pick(line_id="L2"))
PROCESS = (*PICK_ALL, c.Inspect(), c.Pack(package_type="box-s", weight_grams=900), c.PrintSlip())


def reviewed() -> Order:
    """A New order with availability, address and payment checked."""
    return run(new_order(), *REVIEW)


def processing() -> Order:
    """An order just taken into Processing (nothing picked yet)."""
    return run(new_order(), *REVIEW, c.StartProcessing())


def ready_to_ship() -> Order:
    """An order picked, inspected, packed and with its slip printed."""
    return run(processing(), *PROCESS)


def labelled() -> Order:
    """Ready to ship with the label printed and attached."""
    return run(ready_to_ship(), c.PrintLabel(), c.AttachLabel())


def shipped() -> Order:
    """Handed to UPS."""
    return run(labelled(), c.Ship(carrier="ups", tracking_number=UPS_TRACKING))


def delivered() -> Order:
    """Reported delivered by the carrier (not yet confirmed)."""
    return run(shipped(), c.Deliver())


def on_hold(from_status: OrderStatus = OrderStatus.NEW) -> Order:
    """Put aside (reason: other) from New, Processing or Ready to ship."""
    base = {
        OrderStatus.NEW: new_order,
        OrderStatus.PROCESSING: processing,
        OrderStatus.READY_TO_SHIP: ready_to_ship,
    }[from_status]()
    return run(base, c.Hold())


def cancelled() -> Order:
    """Cancelled by the seller while New."""
    return run(new_order(), c.Cancel())


#: one order in every status, for tables of "what may be done where"
BY_STATUS = {
    OrderStatus.NEW: new_order,
    OrderStatus.PROCESSING: processing,
    OrderStatus.READY_TO_SHIP: ready_to_ship,
    OrderStatus.SHIPPED: shipped,
    OrderStatus.DELIVERED: delivered,
    OrderStatus.ON_HOLD: on_hold,
    OrderStatus.CANCELLED: cancelled,
}
