"""Wire types of the sync protocol: devices push mutations, then pull changes.

A mutation is one thing a person did on a device (a scan, a step, a note), recorded
offline and sent later, exactly once thanks to ``(device_id, mutation_id)``. See
``docs/sync.md`` for the protocol and the conflict rules.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import Meta, Struct

from shared.commands import Command
from shared.types import Note, Order, Timestamp

Id = Annotated[str, Meta(min_length=1, max_length=64)]

#: the most mutations one push may carry, and the most changes one pull page may return
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 1000


class Mutation(Struct, kw_only=True, forbid_unknown_fields=True):
    """One recorded user action, applied optimistically on the device and pushed later."""

    mutation_id: Id
    device_id: Id
    user_id: Annotated[str, Meta(max_length=64)] = ""
    order_id: Id
    command: Command
    #: the device's clock: kept for the timeline only; the server's sequence decides order
    client_time: Timestamp


class PushRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """An ordered batch of a device's pending mutations (oldest first)."""

    device_id: Id
    mutations: Annotated[list[Mutation], Meta(max_length=MAX_PUSH_BATCH)]


class MutationStatus(StrEnum):
    """What the server did with a pushed mutation."""

    APPLIED = "applied"  # taken as it was
    MERGED = "merged"  # taken in part, or already true on the server (no harm, no repeat)
    REJECTED = "rejected"  # not allowed on the server's state; ``code``/``message`` say why


class MutationResult(Struct, kw_only=True):
    """The server's answer for one mutation; the same answer on every retry."""

    mutation_id: str
    status: MutationStatus
    code: str = ""
    message: str = ""
    #: the order's change sequence after this mutation (0 when nothing changed)
    version: int = 0


class PushResponse(Struct, kw_only=True):
    """One result per pushed mutation, in the order pushed."""

    results: list[MutationResult]


class ConflictKind(StrEnum):
    """True conflicts between devices that a rule settles and people must see."""

    SHIP_VS_CANCEL = "ship_vs_cancel"
    SHIP_VS_HOLD = "ship_vs_hold"
    TRACKING_MISMATCH = "tracking_mismatch"
    DELIVERY_VS_CANCEL = "delivery_vs_cancel"
    SHORT_VS_PICKED = "short_vs_picked"
    OVER_PICK = "over_pick"


class ConflictRecord(Struct, kw_only=True):
    """A recorded conflict on an order: what clashed, which rule won, what to do next."""

    id: str
    order_id: str
    kind: ConflictKind
    message: str
    mutation_id: str = ""
    device_id: str = ""
    user_id: str = ""
    at: datetime


class OrderChange(Struct, kw_only=True):
    """An order as the server now holds it, with its notes and conflicts."""

    order: Order
    notes: list[Note] = []
    conflicts: list[ConflictRecord] = []


class PullResponse(Struct, kw_only=True):
    """A bounded page of changes after the cursor; pass ``cursor`` back for the next page."""

    changes: list[OrderChange]
    cursor: str
    has_more: bool
    server_time: datetime
