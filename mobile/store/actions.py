"""One function per thing a person does to an order on the device, named after the work.

Each records a mutation through :meth:`Store.record`: applied at once to what the screen
shows, queued for the server in the same transaction, stamped with a fresh mutation id,
this device, the signed-in person and the device's clock. A step the lifecycle does not
allow raises ``shared.lifecycle.StepRefused`` with the reason, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from mobile.store.database import Store
from mobile.store.records import LocalChange
from shared import commands as c
from shared.types import CancelReason, HoldReason, NoteKind


def verify_availability(store: Store, order_id: str) -> LocalChange:
    """Every line is on the shelf (New stage)."""
    return store.record(order_id, c.VerifyAvailability())


def verify_address(store: Store, order_id: str) -> LocalChange:
    """The shipping address is complete and deliverable (New stage)."""
    return store.record(order_id, c.VerifyAddress())


def confirm_payment(store: Store, order_id: str) -> LocalChange:
    """The marketplace has collected payment (New stage)."""
    return store.record(order_id, c.ConfirmPayment())


def start_processing(store: Store, order_id: str) -> LocalChange:
    """Take a reviewed New order into Processing."""
    return store.record(order_id, c.StartProcessing())


def scan_item(store: Store, order_id: str, code: str, quantity: int = 1) -> LocalChange:
    """A scanned barcode or SKU counts ``quantity`` picked units (a delta; wrong item refused)."""
    return store.record(order_id, c.Pick(code=code, quantity=quantity))


def pick_line(store: Store, order_id: str, line_id: str, quantity: int = 1) -> LocalChange:
    """Count picked units of a line chosen on screen (typed quantity; negative puts back)."""
    return store.record(order_id, c.Pick(line_id=line_id, quantity=quantity))


def mark_short(
    store: Store, order_id: str, line_id: str, missing: int | None = None
) -> LocalChange:
    """Units of a line are not on the shelf (all still unpicked when ``missing`` is None)."""
    return store.record(order_id, c.MarkShort(line_id=line_id, missing=missing))


def inspect(store: Store, order_id: str) -> LocalChange:
    """The picked items passed the quality check."""
    return store.record(order_id, c.Inspect())


def pack(store: Store, order_id: str, package_type: str, weight_grams: int) -> LocalChange:
    """The items are packed in this package, weighing this much."""
    return store.record(order_id, c.Pack(package_type=package_type, weight_grams=weight_grams))


def print_slip(store: Store, order_id: str) -> LocalChange:
    """The packing slip was printed."""
    return store.record(order_id, c.PrintSlip())


def print_label(
    store: Store, order_id: str, carrier: str = "", service: str = "", tracking_number: str = ""
) -> LocalChange:
    """The shipping label was printed (with its carrier and tracking number when known)."""
    return store.record(
        order_id,
        c.PrintLabel(carrier=carrier, service=service, tracking_number=tracking_number),
    )


def attach_label(store: Store, order_id: str) -> LocalChange:
    """The label is on the package."""
    return store.record(order_id, c.AttachLabel())


def mark_shipped(
    store: Store, order_id: str, carrier: str, tracking_number: str, service: str = ""
) -> LocalChange:
    """The package left with the carrier under this tracking number."""
    return store.record(
        order_id, c.Ship(carrier=carrier, tracking_number=tracking_number, service=service)
    )


def deliver(store: Store, order_id: str) -> LocalChange:
    """The carrier (or the seller) reports the package delivered."""
    return store.record(order_id, c.Deliver())


def confirm_delivery(store: Store, order_id: str) -> LocalChange:
    """The customer confirmed delivery: the payout falls due."""
    return store.record(order_id, c.ConfirmDelivery())


def add_note(
    store: Store,
    order_id: str,
    kind: NoteKind,
    text: str,
    due_at: datetime | None = None,
) -> LocalChange:
    """Append an internal note (its id is chosen here, so a resend never adds it twice)."""
    return store.record(order_id, c.AddNote(kind=kind, text=text, due_at=due_at))


def hold(store: Store, order_id: str, reason: HoldReason = HoldReason.OTHER) -> LocalChange:
    """Put the order aside."""
    return store.record(order_id, c.Hold(reason=reason))


def resolve(
    store: Store,
    order_id: str,
    resolution: c.Resolution = c.Resolution.RESUME,
    line_id: str | None = None,
    substitute_sku: str = "",
    substitute_name: str = "",
    substitute_barcode: str = "",
) -> LocalChange:
    """Settle a hold: resume, substitute a short line, or remove it."""
    return store.record(
        order_id,
        c.Resolve(
            resolution=resolution,
            line_id=line_id,
            substitute_sku=substitute_sku,
            substitute_name=substitute_name,
            substitute_barcode=substitute_barcode,
        ),
    )


def cancel(store: Store, order_id: str, reason: CancelReason = CancelReason.SELLER) -> LocalChange:
    """Cancel the order."""
    return store.record(order_id, c.Cancel(reason=reason))
