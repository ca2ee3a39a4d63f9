"""What the server's API sends the app, as client-side msgspec Structs.

These mirror the server's response schemas (``server/accounts/schemas.py``,
``server/orders/schemas.py``) field by field, but live here because ``mobile/`` must not
import ``server`` (it also runs in Pyodide). Unknown fields are ignored, so the server may
add fields without breaking older apps. Orders, notes and commands come from ``shared``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import Struct

from shared.deadlines import Calendar
from shared.types import Note, Order, OrderStatus


class User(Struct):
    """The signed-in person."""

    id: str
    email: str
    name: str
    role: str
    vendor_id: str


class Vendor(Struct):
    """The seller the user works for, with the calendar their deadlines use."""

    id: str
    name: str
    timezone: str = "UTC"
    country: str = "US"
    subdivision: str | None = None

    @property
    def calendar(self) -> Calendar:
        """The working calendar for ship-by badges."""
        return Calendar(self.timezone, self.country, self.subdivision)


class TokenPair(Struct):
    """What a login or refresh returns."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: User
    vendor: Vendor
    token_type: str = "bearer"


class Me(Struct):
    """The signed-in user and their vendor."""

    user: User
    vendor: Vendor


class OrderSummary(Struct):
    """One row of the order list."""

    id: str
    number: str
    status: OrderStatus
    customer_name: str
    item_count: int
    total_minor: int
    currency: str
    created_at: datetime
    ship_by: datetime | None
    marketplace: str = ""
    carrier: str = ""
    tracking_number: str = ""
    version: int = 0


class OrderPage(Struct):
    """A page of the list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[OrderSummary]
    next_cursor: str | None = None


class StatusCounts(Struct):
    """How many orders each status holds (status value -> count), and all of them."""

    counts: dict[str, int]
    total: int


class TimelineEntry(Struct):
    """One step on an order's timeline."""

    at: datetime
    kind: str
    detail: dict[str, Any] = {}
    source: str = ""
    actor_id: str = ""
    actor_name: str = ""
    device_id: str = ""


class ActionState(Struct):
    """Whether an action can be taken now, and why not."""

    action: str
    allowed: bool
    code: str | None = None
    reason: str | None = None


class OrderDetail(Struct):
    """One order with its notes, timeline and the actions it allows now."""

    order: Order
    notes: list[Note] = []
    timeline: list[TimelineEntry] = []
    actions: list[ActionState] = []


class ActionResult(Struct):
    """The order after an action, and what the action wrote on the timeline."""

    order: Order
    events: list[str] = []
