"""The lifecycle actions a person (or the marketplace, or a carrier) can take on an order.

Each command is a tagged msgspec Struct: the same value is a REST action body, a bulk
action, and (later) the ``args`` of a sync mutation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from msgspec import Meta, Struct

from shared.types import CancelReason, HoldReason, NonEmpty, NoteKind, ShortText, Timestamp


class Resolution(StrEnum):
    """How an out-of-stock (or other) hold was settled."""

    RESUME = "resume"  # the problem went away (stock found, address fixed, paid)
    SUBSTITUTE = "substitute"  # the customer accepted another SKU for the short line
    REMOVE_LINE = "remove_line"  # the short line is dropped and refunded


class _Command(Struct, tag_field="action", kw_only=True, forbid_unknown_fields=True):
    """Base of every lifecycle command."""


class VerifyAvailability(_Command, tag="verify_availability", kw_only=True):
    """Every line is in stock (stock reserved)."""


class VerifyAddress(_Command, tag="verify_address", kw_only=True):
    """The shipping address is complete and deliverable."""


class ConfirmPayment(_Command, tag="confirm_payment", kw_only=True):
    """The marketplace has collected payment."""


class StartProcessing(_Command, tag="start_processing", kw_only=True):
    """Take a reviewed New order into Processing."""


class Pick(_Command, tag="pick", kw_only=True):
    """Count picked units of a line, found by line id or by a scanned SKU/barcode.

    ``quantity`` is a delta: +1 per scan; a negative delta puts units back.
    """

    line_id: str | None = None
    code: ShortText | None = None
    quantity: Annotated[int, Meta(ge=-100_000, le=100_000)] = 1


class MarkShort(_Command, tag="mark_short", kw_only=True):
    """Units of a line are not on the shelf: the order goes On hold (out of stock)."""

    line_id: NonEmpty
    missing: Annotated[int, Meta(ge=1, le=100_000)] | None = None


class Inspect(_Command, tag="inspect", kw_only=True):
    """The picked items passed the quality check."""


class Pack(_Command, tag="pack", kw_only=True):
    """The items are packed: package type and weight."""

    package_type: NonEmpty
    weight_grams: Annotated[int, Meta(ge=1, le=1_000_000)]


class PrintSlip(_Command, tag="print_slip", kw_only=True):
    """The packing slip was printed."""


class PrintLabel(_Command, tag="print_label", kw_only=True):
    """The shipping label was printed (its carrier and tracking number, when issued)."""

    carrier: ShortText = ""
    service: ShortText = ""
    tracking_number: ShortText = ""


class AttachLabel(_Command, tag="attach_label", kw_only=True):
    """The label is on the package."""


class Ship(_Command, tag="ship", kw_only=True):
    """The package left with the carrier under this tracking number."""

    carrier: NonEmpty
    tracking_number: NonEmpty
    service: ShortText = ""


class Deliver(_Command, tag="deliver", kw_only=True):
    """The carrier reports the package delivered."""


class ConfirmDelivery(_Command, tag="confirm_delivery", kw_only=True):
    """The customer (or seller on their word) confirms delivery: the payout falls due."""


class Hold(_Command, tag="hold", kw_only=True):
    """Put the order aside."""

    reason: HoldReason = HoldReason.OTHER


class Resolve(_Command, tag="resolve", kw_only=True):
    """Settle a hold and return the order to where it was."""

    resolution: Resolution = Resolution.RESUME
    line_id: str | None = None
    substitute_sku: ShortText = ""
    substitute_name: ShortText = ""
    substitute_barcode: ShortText = ""


class Cancel(_Command, tag="cancel", kw_only=True):
    """Cancel the order (no resolution possible, or on request)."""

    reason: CancelReason = CancelReason.SELLER


class AddNote(_Command, tag="add_note", kw_only=True):
    """Append an internal note; ``note_id`` is chosen by the writer so retries are safe."""

    note_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    kind: NoteKind
    text: Annotated[str, Meta(min_length=1, max_length=5000)]
    due_at: Timestamp | None = None


Command = (
    VerifyAvailability
    | VerifyAddress
    | ConfirmPayment
    | StartProcessing
    | Pick
    | MarkShort
    | Inspect
    | Pack
    | PrintSlip
    | PrintLabel
    | AttachLabel
    | Ship
    | Deliver
    | ConfirmDelivery
    | Hold
    | Resolve
    | Cancel
    | AddNote
)

COMMAND_TYPES: tuple[type[_Command], ...] = (
    VerifyAvailability,
    VerifyAddress,
    ConfirmPayment,
    StartProcessing,
    Pick,
    MarkShort,
    Inspect,
    Pack,
    PrintSlip,
    PrintLabel,
    AttachLabel,
    Ship,
    Deliver,
    ConfirmDelivery,
    Hold,
    Resolve,
    Cancel,
    AddNote,
)


def action_name(command: _Command) -> str:
    """The wire tag of a command (``"pick"``, ``"ship"``, …)."""
    return str(command.__struct_config__.tag)


ACTIONS: tuple[str, ...] = tuple(str(t.__struct_config__.tag) for t in COMMAND_TYPES)
