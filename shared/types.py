"""Wire types: the msgspec Structs that travel between marketplace, server and devices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

NonEmpty = Annotated[str, Meta(min_length=1, max_length=500)]
ShortText = Annotated[str, Meta(max_length=500)]
LongText = Annotated[str, Meta(max_length=5000)]
Quantity = Annotated[int, Meta(ge=1, le=100_000)]
MinorUnits = Annotated[int, Meta(ge=0, le=10**12)]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
#: A moment with its zone or offset: a bare local time means something else on each device.
Timestamp = Annotated[datetime, Meta(tz=True)]


class OrderStatus(StrEnum):
    """Where an order stands in the seller guide's lifecycle."""

    NEW = "new"
    PROCESSING = "processing"
    READY_TO_SHIP = "ready_to_ship"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The name a seller reads on screen."""
        return STATUS_LABELS[self]


#: statuses with work left on the floor (pick, pack, ship): the ones a person can claim
CLAIMABLE = frozenset({OrderStatus.NEW, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP})


STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.NEW: "New",
    OrderStatus.PROCESSING: "Processing",
    OrderStatus.READY_TO_SHIP: "Ready to ship",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.ON_HOLD: "On hold",
    OrderStatus.CANCELLED: "Cancelled",
}

#: Orders somebody still has to work on (not yet handed to a carrier, not cancelled).
OPEN_STATUSES = frozenset(
    {OrderStatus.NEW, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP, OrderStatus.ON_HOLD}
)


class PaymentStatus(StrEnum):
    """Whether the marketplace has collected the customer's money."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class Step(StrEnum):
    """The checks of each lifecycle stage, in the order the seller guide lists them."""

    AVAILABILITY = "availability"
    ADDRESS = "address"
    PAYMENT = "payment"
    PICK = "pick"
    INSPECT = "inspect"
    PACK = "pack"
    PACKING_SLIP = "packing_slip"
    LABEL_PRINTED = "label_printed"
    LABEL_ATTACHED = "label_attached"
    TRACKING = "tracking"
    DELIVERY_CONFIRMED = "delivery_confirmed"


class HoldReason(StrEnum):
    """Why an order was put aside."""

    OUT_OF_STOCK = "out_of_stock"
    ADDRESS = "address"
    PAYMENT = "payment"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


class CancelReason(StrEnum):
    """Who or what cancelled; only seller-initiated ones count against seller metrics."""

    OUT_OF_STOCK = "out_of_stock"
    SELLER = "seller"
    CUSTOMER_REQUEST = "customer_request"
    PAYMENT_FAILED = "payment_failed"
    MARKETPLACE = "marketplace"


class NoteKind(StrEnum):
    """The four kinds of internal note in the seller guide."""

    CUSTOMER_REQUEST = "customer_request"
    PACKAGING_INSTRUCTION = "packaging_instruction"
    FOLLOW_UP = "follow_up"
    TEAM_MESSAGE = "team_message"


class Address(Struct, kw_only=True):
    """A postal address as the marketplace sends it."""

    name: ShortText = ""
    company: ShortText = ""
    line1: ShortText = ""
    line2: ShortText = ""
    city: ShortText = ""
    region: ShortText = ""
    postal_code: ShortText = ""
    country: ShortText = ""
    phone: ShortText = ""


class Customer(Struct, kw_only=True):
    """The buyer, as far as the seller may contact them."""

    name: NonEmpty
    email: ShortText = ""
    phone: ShortText = ""


class OrderLine(Struct, kw_only=True):
    """One ordered item and how far picking has got."""

    id: str
    sku: NonEmpty
    name: ShortText = ""
    barcode: ShortText = ""
    quantity: Quantity
    unit_price_minor: MinorUnits = 0
    bin_location: ShortText = ""
    picked: int = 0
    #: units found missing on the shelf (reported short / out of stock)
    short: int = 0
    #: removed from the order while resolving an out-of-stock case
    removed: bool = False


class Package(Struct, kw_only=True):
    """How the order was packed."""

    package_type: NonEmpty
    weight_grams: Annotated[int, Meta(ge=1, le=1_000_000)]


class Note(Struct, kw_only=True):
    """An internal, append-only note on an order."""

    id: str
    kind: NoteKind
    text: Annotated[str, Meta(min_length=1, max_length=5000)]
    author_id: str = ""
    author_name: str = ""
    created_at: datetime
    due_at: datetime | None = None


class Order(Struct, kw_only=True):
    """An order with every lifecycle step it has passed, as devices and the server hold it.

    Steps are timestamps rather than booleans: when something happened is what the
    timeline, the metrics and the customer messages need.
    """

    id: str
    number: str
    marketplace: str = ""
    external_id: str = ""
    status: OrderStatus = OrderStatus.NEW
    customer: Customer
    shipping_address: Address
    lines: list[OrderLine]
    currency: str = "USD"
    shipping_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    payment_status: PaymentStatus = PaymentStatus.PENDING
    created_at: datetime
    paid_at: datetime | None = None
    ship_by: datetime | None = None
    # New
    availability_verified_at: datetime | None = None
    address_verified_at: datetime | None = None
    payment_confirmed_at: datetime | None = None
    # Processing
    processing_started_at: datetime | None = None
    inspected_at: datetime | None = None
    packed_at: datetime | None = None
    package: Package | None = None
    slip_printed_at: datetime | None = None
    # Ready to ship
    ready_at: datetime | None = None
    label_printed_at: datetime | None = None
    label_attached_at: datetime | None = None
    # Shipped
    shipped_at: datetime | None = None
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    # Delivered
    delivered_at: datetime | None = None
    delivery_confirmed_at: datetime | None = None
    payout_due_at: datetime | None = None
    # Side paths
    held_at: datetime | None = None
    held_from: OrderStatus | None = None
    hold_reason: HoldReason | None = None
    cancelled_at: datetime | None = None
    cancel_reason: CancelReason | None = None
    #: server change sequence of the last change (0 until the server has stored it)
    version: int = 0


class InventoryItem(Struct, kw_only=True):
    """A stock-keeping unit: what the shelf holds and what open orders have claimed."""

    sku: NonEmpty
    name: ShortText = ""
    barcode: ShortText = ""
    on_hand: Annotated[int, Meta(ge=0)] = 0
    reserved: Annotated[int, Meta(ge=0)] = 0
    bin_location: ShortText = ""
    low_stock_threshold: Annotated[int, Meta(ge=0)] = 0

    @property
    def available(self) -> int:
        """Units free to promise to a new order."""
        return self.on_hand - self.reserved


def item_count(order: Order) -> int:
    """Units the customer will receive (removed lines excluded)."""
    return sum(line.quantity for line in order.lines if not line.removed)


json_encoder = msgspec.json.Encoder()
