"""What the device store takes in (pulled pages) and hands out (rows the screens read).

A pulled page keeps each order and its notes as the MessagePack bytes the server sent
(``msgspec.Raw``): the store files them as they are and reads only the few fields its
columns need, so an initial sync of thousands of orders never builds a full ``Order``
for each one. The screens get small Structs; a whole ``Order`` only for one order's page.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec import Struct

from shared.sync import ConflictRecord, Mutation
from shared.types import Note, Order, OrderStatus

#: an empty MessagePack array: the notes of an order that has none
EMPTY_LIST = msgspec.Raw(b"\x90")


class PulledChange(Struct, kw_only=True, gc=False):
    """One ``OrderChange`` of a pull page, with the order and its notes still encoded."""

    #: the order as MessagePack bytes (``shared.types.Order``)
    order: msgspec.Raw
    #: the order's notes as MessagePack bytes (``list[shared.types.Note]``)
    notes: msgspec.Raw = EMPTY_LIST
    conflicts: list[ConflictRecord] = []


class PulledPage(Struct, kw_only=True, gc=False):
    """A ``PullResponse`` page as the device files it."""

    changes: list[PulledChange]
    cursor: str
    has_more: bool
    server_time: datetime


class OrderListItem(Struct, kw_only=True):
    """One row of the orders list, read from the store's columns (no document decoded)."""

    id: str
    number: str
    status: OrderStatus
    customer_name: str
    item_count: int
    total_minor: int
    currency: str
    created_at: datetime
    ship_by: datetime | None
    carrier: str
    tracking_number: str
    #: the server's change sequence of the state this row is based on
    version: int
    #: changes made on this device are waiting to reach the server
    pending: bool


class ListCursor(Struct, frozen=True):
    """Where the next page of a list starts (keyset: deadline, search text, row id)."""

    due_key: int
    search: str
    rid: int


class OrderList(Struct, kw_only=True):
    """A page of the orders list; pass ``next`` back as ``after`` for the following page."""

    items: list[OrderListItem]
    next: ListCursor | None = None


class StatusCounts(Struct, kw_only=True):
    """Orders per status (every status present, zero when none) and their total."""

    counts: dict[OrderStatus, int]
    total: int


class StoredConflict(Struct, kw_only=True):
    """A conflict the server recorded on an order, until someone dismisses it."""

    conflict: ConflictRecord
    order_number: str
    dismissed_at: datetime | None = None


class RejectedMutation(Struct, kw_only=True):
    """A change the server refused: kept and shown until the person dismisses it."""

    mutation: Mutation
    order_number: str
    code: str
    message: str
    rejected_at: datetime
    dismissed_at: datetime | None = None


class OrderDetail(Struct, kw_only=True):
    """One order as the device shows it: the rebased view, its notes, conflicts, pending work."""

    order: Order
    notes: list[Note]
    conflicts: list[StoredConflict]
    #: this device's changes to the order not yet confirmed by the server, oldest first
    pending: list[Mutation]
    #: this device's changes to the order that the server refused (not dismissed yet)
    rejected: list[RejectedMutation]
    #: the server's state the view is based on (``None`` when the view is the server's)
    base_version: int


class LocalChange(Struct, kw_only=True):
    """What a recorded action produced: the queued mutation and the order as now shown."""

    mutation: Mutation
    order: Order
    note: Note | None = None
