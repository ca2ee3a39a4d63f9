"""Wire types of the orders API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from msgspec import Meta, Struct

from shared.commands import Command
from shared.sync import ConflictRecord
from shared.types import Note, NoteKind, Order, OrderStatus, Timestamp


class SortKey(StrEnum):
    """How the list is ordered."""

    SHIP_BY = "ship_by"
    CREATED = "created_at"
    NUMBER = "number"


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
    marketplace: str
    carrier: str
    tracking_number: str
    version: int


class OrderPage(Struct):
    """A page of the list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[OrderSummary]
    next_cursor: str | None


class StatusCounts(Struct):
    """How many orders each status holds (for the filter chips)."""

    counts: dict[str, int]
    total: int


class TimelineEntry(Struct):
    """One step on an order's timeline: what, when, who, from which device."""

    at: datetime
    kind: str
    detail: dict[str, Any]
    source: str
    actor_id: str
    actor_name: str
    device_id: str


class ActionState(Struct):
    """Whether an action can be taken now, and why not."""

    action: str
    allowed: bool
    code: str | None = None
    reason: str | None = None


class OrderDetail(Struct):
    """One order with its notes, timeline and the actions it allows now."""

    order: Order
    notes: list[Note]
    timeline: list[TimelineEntry]
    actions: list[ActionState]
    #: conflicts between devices on this order that nobody has settled yet
    conflicts: list[ConflictRecord] = []


class ActionResult(Struct):
    """The order after an action, and what the action wrote on the timeline."""

    order: Order
    events: list[str]


class NewNote(Struct, forbid_unknown_fields=True):
    """An internal note to add; ``id`` may be chosen by the client so a retry is harmless."""

    kind: NoteKind
    text: Annotated[str, Meta(min_length=1, max_length=5000)]
    due_at: Timestamp | None = None
    id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None


class BulkRequest(Struct, forbid_unknown_fields=True):
    """One command for many orders."""

    # No NUL in an id: PostgreSQL would refuse it after earlier orders were already changed.
    order_ids: Annotated[
        list[Annotated[str, Meta(max_length=64, pattern=r"^[^\x00]*$")]],
        Meta(min_length=1, max_length=500),
    ]
    command: Command


class BulkItem(Struct):
    """What happened to one order of a bulk action."""

    order_id: str
    ok: bool
    status: OrderStatus | None = None
    code: str | None = None
    message: str | None = None


class BulkResult(Struct):
    """A result for every order of a bulk action, in the order given."""

    results: list[BulkItem]
    succeeded: int
    failed: int
