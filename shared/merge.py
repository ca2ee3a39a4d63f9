"""The sync conflict rules: how one pushed mutation merges into an order.

Written once, as pure functions. The server runs :func:`merge` authoritatively on every
pushed mutation (in the order its change sequence gives them); the device runs the same
function to apply a mutation optimistically and, after each pull, :func:`rebase` to replay
its still-pending mutations on the server's state. ``docs/sync.md`` has the rules as a
table, with the reasons and what converges.

In short: steps only move forward (a step already done is a harmless no-op, a step no longer
allowed is rejected with the lifecycle's reason); scans are deltas summed and capped at the
ordered quantity; notes are append-only; shipping and delivery are physical facts the
server never refuses because of an intention (cancel, hold) — it records the clash as a
conflict a person settles.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from msgspec import Struct, structs

from shared import commands as c
from shared.carriers import normalise_tracking
from shared.lifecycle import (
    PRECONDITIONS,
    Event,
    Refusal,
    StepRefused,
    apply,
    find_line,
    tracking_refusal,
)
from shared.sync import ConflictKind, ConflictRecord, Mutation, MutationStatus
from shared.types import HoldReason, Note, Order, OrderLine, OrderStatus

S = OrderStatus
K = ConflictKind
APPLIED = MutationStatus.APPLIED
MERGED = MutationStatus.MERGED
REJECTED = MutationStatus.REJECTED

#: conflicts a person has to settle; an over-pick is reported too, but settles itself
TRUE_CONFLICTS = frozenset(set(ConflictKind) - {ConflictKind.OVER_PICK})

# Fixed, so an id derived from a mutation is the same on the device, on the server and on
# every retry (a note or a conflict is never created twice by replaying its mutation).
_NAMESPACE = uuid.UUID("4b1f0c1e-5d3a-4c55-9d3e-8f6b0a2c7e11")


def derived_id(mutation: Mutation, what: str) -> str:
    """A stable id for something a mutation creates (its note, a conflict)."""
    return str(uuid.uuid5(_NAMESPACE, f"{what}/{mutation.device_id}/{mutation.mutation_id}"))


class MergeOutcome(Struct, frozen=True, kw_only=True):
    """What merging one mutation did: the verdict, the order after it, and what to record.

    ``order`` is the input order, unchanged, when the mutation is rejected or was already
    true. ``changed`` says whether anything must be stored (the order, a note or a conflict).
    """

    status: MutationStatus
    order: Order
    events: list[Event] = []
    conflicts: list[ConflictRecord] = []
    note: Note | None = None
    code: str = ""
    message: str = ""
    changed: bool = False


def merge(
    order: Order, mutation: Mutation, now: datetime, *, known_notes: Collection[str] = ()
) -> MergeOutcome:
    """Merge one mutation into the order by the sync rules.

    ``known_notes`` are the ids of the notes the order already has (notes are not part of
    the order document), so a note pushed twice is added once.
    """
    merger = _Merger(order, mutation, now)
    command = mutation.command
    try:
        match command:
            case c.AddNote():
                return merger.add_note(command, known_notes)
            case c.Pick():
                return merger.scan(command)
            case c.MarkShort():
                return merger.short(command)
            case c.Ship():
                return merger.ship(command)
            case c.Deliver() | c.ConfirmDelivery():
                return merger.delivery(command)
            case c.Cancel():
                return merger.cancel(command)
            case c.Hold():
                return merger.hold(command)
            case c.PrintLabel():
                return merger.label(command)
            case c.Resolve():
                return merger.resolve(command)
            case _:
                return merger.step(command)
    except StepRefused as refused:
        return merger.rejected(refused.refusal)


def rebase(base: Order, pending: Iterable[Mutation], now: datetime) -> Order:
    """The order as the device shows it: the server's state with its pending mutations on top.

    Mutations for other orders are skipped, so the whole outbox can be passed.
    """
    order = base
    for mutation in pending:
        if mutation.order_id == base.id:
            order = merge(order, mutation, now).order
    return order


# ---------------------------------------------------------------- steps already done

_DONE: dict[type[Any], tuple[str, str]] = {
    # command -> (order field set once the step is done, words for the message)
    c.VerifyAvailability: ("availability_verified_at", "verified availability"),
    c.VerifyAddress: ("address_verified_at", "checked the address"),
    c.ConfirmPayment: ("payment_confirmed_at", "confirmed payment"),
    c.StartProcessing: ("processing_started_at", "started processing"),
    c.Inspect: ("inspected_at", "inspected"),
    c.Pack: ("packed_at", "packed"),
    c.PrintSlip: ("slip_printed_at", "printed the packing slip"),
    c.AttachLabel: ("label_attached_at", "attached the label"),
    c.Deliver: ("delivered_at", "marked delivered"),
    c.ConfirmDelivery: ("delivery_confirmed_at", "confirmed delivery"),
}


def _line_words(line: OrderLine) -> str:
    return f"{line.sku} ({line.bin_location})" if line.bin_location else line.sku


class _Merger:
    """One mutation being merged: collects events and conflicts, then builds the outcome."""

    def __init__(self, order: Order, mutation: Mutation, now: datetime) -> None:
        self.before = order
        self.mutation = mutation
        self.now = now
        self.events: list[Event] = []
        self.conflicts: list[ConflictRecord] = []

    # ------------------------------------------------------------ outcomes

    def done(
        self,
        status: MutationStatus,
        order: Order,
        code: str = "",
        message: str = "",
        note: Note | None = None,
    ) -> MergeOutcome:
        """The outcome; a conflict always shows in the events so the timeline tells it too."""
        events = self.events + [
            Event("conflict", {"id": k.id, "kind": k.kind.value, "message": k.message})
            for k in self.conflicts
        ]
        changed = order is not self.before or note is not None or bool(self.conflicts)
        return MergeOutcome(
            status=status,
            order=order,
            events=events if changed else [],
            conflicts=self.conflicts,
            note=note,
            code=code,
            message=message,
            changed=changed,
        )

    def rejected(self, refusal: Refusal) -> MergeOutcome:
        """Not taken: the order stays as it is (a conflict may still be recorded)."""
        return self.done(REJECTED, self.before, refusal.code, refusal.message)

    def already(self, words: str) -> MergeOutcome:
        """Already true on the server: nothing is repeated."""
        return self.done(MERGED, self.before, "already_done", f"Already {words}; nothing to do.")

    def lifecycle(self, order: Order, command: c.Command) -> Order:
        """Apply a command by the lifecycle (raises :class:`StepRefused` if not allowed)."""
        outcome = apply(order, command, self.now)
        self.events.extend(outcome.events)
        return outcome.order

    def conflict(self, kind: ConflictKind, message: str) -> None:
        """Record a conflict caused by this mutation (its id is stable across replays).

        The order is part of the id: device and mutation ids are the client's choice, and
        another vendor's device may use the same ones (order ids are unique everywhere).
        """
        m = self.mutation
        self.conflicts.append(
            ConflictRecord(
                id=derived_id(m, f"conflict/{kind.value}/{self.before.id}"),
                order_id=self.before.id,
                kind=kind,
                message=message,
                mutation_id=m.mutation_id,
                device_id=m.device_id,
                user_id=m.user_id,
                at=self.now,
            )
        )

    def who(self) -> str:
        """The device a mutation came from, for conflict messages."""
        return f"device {self.mutation.device_id}"

    # ------------------------------------------------------------ forward steps

    def step(self, command: c.Command) -> MergeOutcome:
        """A lifecycle step: done already → no-op; otherwise the lifecycle decides."""
        done = _DONE.get(type(command))
        if done is not None and getattr(self.before, done[0]) is not None:
            return self.already(done[1])
        return self.done(APPLIED, self.lifecycle(self.before, command))

    def resolve(self, command: c.Resolve) -> MergeOutcome:
        """A hold somebody else already settled is a no-op for a plain resume."""
        if self.before.status is not S.ON_HOLD and command.resolution is c.Resolution.RESUME:
            return self.already("resolved (the order is not on hold)")
        return self.done(APPLIED, self.lifecycle(self.before, command))

    # ------------------------------------------------------------ scans and shortages

    def scan(self, command: c.Pick) -> MergeOutcome:
        """Scans are deltas: summed, capped at the ordered quantity, counted in any status.

        A scan says where units physically are, so it counts even on an order held or
        cancelled meanwhile (the units must go back to the shelf). Only an order nobody
        has started yet refuses scans. A scanned unit proves it was there: it takes back
        a "short" reported for that line.
        """
        order = self.before
        if order.status is S.NEW:
            refusal = PRECONDITIONS["pick"](order)
            assert refusal is not None  # pick needs Processing
            return self.rejected(refusal)
        index = find_line(order, command.line_id, command.code)
        line = order.lines[index]
        if command.quantity > 0:
            return self._scan_in(index, line, command.quantity)
        if command.quantity < 0:
            return self._put_back(index, line, command.quantity)
        return self.already("counted (a scan of zero units)")

    def _scan_in(self, index: int, line: OrderLine, delta: int) -> MergeOutcome:
        order = self.before
        taken = min(delta, line.quantity - line.picked)
        excess = delta - taken
        if taken:
            picked = line.picked + taken
            short = min(line.short, line.quantity - picked)
            if short < line.short:
                order = _with_line(order, index, short=short)
                if short == 0:
                    self.conflict(
                        K.SHORT_VS_PICKED,
                        f"{line.sku} was reported missing, but all {line.quantity} have now "
                        f"been picked ({self.who()}): count the shelf and settle the hold.",
                    )
            order = self._count(order, index, line, taken)
        if not excess and self.conflicts:
            return self.done(
                MERGED, order, K.SHORT_VS_PICKED.value, f"{line.sku} was reported short before."
            )
        if not excess:
            return self.done(APPLIED, order)
        text = (
            f"{line.sku}: {excess} scanned beyond the {line.quantity} ordered; "
            f"put {excess} back at {_line_words(line)}."
        )
        self.conflict(K.OVER_PICK, text)
        return self.done(MERGED, order, K.OVER_PICK.value, text)

    def _put_back(self, index: int, line: OrderLine, delta: int) -> MergeOutcome:
        # Once packed (ready to ship or later) a unit cannot silently leave the parcel.
        if self.before.status in (S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED):
            refusal = PRECONDITIONS["pick"](self.before)
            assert refusal is not None
            return self.rejected(refusal)
        taken = max(delta, -line.picked)
        if not taken:
            return self.already(f"put back: no {line.sku} is counted as picked")
        order = self._count(self.before, index, line, taken)
        if taken == delta:
            return self.done(APPLIED, order)
        return self.done(
            MERGED, order, "under_pick", f"{line.sku}: only {-taken} could be put back."
        )

    def _count(self, order: Order, index: int, line: OrderLine, taken: int) -> Order:
        """Add ``taken`` picked units: through the lifecycle while processing, else as a fact."""
        if order.status is S.PROCESSING:
            return self.lifecycle(order, c.Pick(line_id=line.id, quantity=taken))
        picked = order.lines[index].picked + taken
        self.events.append(
            Event("pick", {"line_id": line.id, "sku": line.sku, "delta": taken, "picked": picked})
        )
        return _with_line(order, index, picked=picked)

    def short(self, command: c.MarkShort) -> MergeOutcome:
        """Units reported missing: counted up to what is not picked; the order goes on hold.

        On a line fully picked meanwhile the report contradicts the scans: the count is not
        taken, but the hold is (somebody saw a problem; a person checks the shelf and the
        tote), and a conflict is recorded.
        """
        order = self.before
        index = find_line(order, command.line_id, None)
        line = order.lines[index]
        if line.picked >= line.quantity:
            self.conflict(
                K.SHORT_VS_PICKED,
                f"{line.sku} was reported missing ({self.who()}), but all {line.quantity} "
                "are already picked: check the shelf and the tote.",
            )
            message = f"{line.sku} is already fully picked; the shortage was not counted."
            if order.status in (S.NEW, S.PROCESSING, S.READY_TO_SHIP):
                held = self.lifecycle(order, c.Hold(reason=HoldReason.OUT_OF_STOCK))
                return self.done(MERGED, held, K.SHORT_VS_PICKED.value, message)
            if order.status is S.ON_HOLD:
                return self.done(MERGED, order, K.SHORT_VS_PICKED.value, message)
            return self.done(REJECTED, order, K.SHORT_VS_PICKED.value, message)
        free = line.quantity - line.picked - line.short
        if free <= 0:
            return self.already(f"reported {line.sku} short")
        count = free if command.missing is None else min(command.missing, free)
        if order.status is S.CANCELLED:
            # Still worth knowing for the stock count; a cancelled order is not held.
            self.events.append(
                Event("mark_short", {"line_id": line.id, "sku": line.sku, "missing": count})
            )
            order = _with_line(order, index, short=line.short + count)
        else:
            order = self.lifecycle(order, c.MarkShort(line_id=line.id, missing=count))
        if command.missing is None or count == command.missing:
            return self.done(APPLIED, order)
        return self.done(
            MERGED, order, "partly_short", f"{line.sku}: only {count} more could be short."
        )

    # ------------------------------------------------------------ labels and shipping

    def label(self, command: c.PrintLabel) -> MergeOutcome:
        """Printing a label again is a no-op; a label with another tracking number clashes."""
        order = self.before
        number = ""
        if command.carrier and command.tracking_number:
            refusal = tracking_refusal(command.carrier, command.tracking_number)
            if refusal is not None:
                return self.rejected(refusal)
            number = normalise_tracking(command.tracking_number)
        if number and order.tracking_number and order.tracking_number != number:
            self.conflict(
                K.TRACKING_MISMATCH,
                f"A second label was bought ({command.carrier.lower()} {number}, {self.who()}); "
                f"{order.carrier} {order.tracking_number} was first and stands: void one.",
            )
            return self.rejected(
                Refusal(
                    K.TRACKING_MISMATCH.value,
                    f"The order already has tracking number {order.tracking_number}.",
                )
            )
        if order.label_printed_at is None and order.status not in (S.SHIPPED, S.DELIVERED):
            refusal = PRECONDITIONS["print_label"](order)
            if refusal is None:
                return self.done(APPLIED, self.lifecycle(order, command))
            if not number:
                return self.rejected(refusal)
            if order.tracking_number == number:
                return self.already("kept this label's tracking number")
            # A bought label is a fact: its number stays on the order (to be voided or used
            # later), though printing does not count as a step of this order now. Without
            # it, a second label would clash or not depending on what arrived first.
            kept = structs.replace(
                order,
                carrier=command.carrier.lower(),
                service=command.service or order.service,
                tracking_number=number,
            )
            self.events.append(Event("label_number_kept", {"tracking_number": number}))
            text = f"{refusal.message} Tracking number {number} is kept: void or reuse the label."
            return self.done(MERGED, kept, refusal.code, text)
        if number and not order.tracking_number:
            filled = structs.replace(
                order,
                carrier=command.carrier.lower(),
                service=command.service or order.service,
                tracking_number=number,
            )
            self.events.append(Event("print_label", {"reprint": True, "carrier": filled.carrier}))
            return self.done(
                MERGED, filled, "already_done", "Label already printed; tracking added."
            )
        return self.already("printed the label")

    def ship(self, command: c.Ship) -> MergeOutcome:
        """The parcel left: a fact. First tracking number wins; cancel and hold do not stop it."""
        order = self.before
        refusal = tracking_refusal(command.carrier, command.tracking_number)
        if refusal is not None:
            return self.rejected(refusal)
        carrier = command.carrier.lower()
        number = normalise_tracking(command.tracking_number)
        if order.status in (S.SHIPPED, S.DELIVERED):
            return self._shipped_again(carrier, number, command.service)
        label_number = order.tracking_number
        refusal = PRECONDITIONS["ship"](order)
        if refusal is None:
            shipped = self.lifecycle(order, command)
            status, code, message = APPLIED, "", ""
        else:
            shipped, code, message = self._ship_anyway(carrier, number, command.service, refusal)
            status = MERGED
        if label_number and label_number != number:
            code = code or K.TRACKING_MISMATCH.value
            message = message or f"Shipped with {number}, not the label's {label_number}."
            self.conflict(
                K.TRACKING_MISMATCH,
                f"The label printed was {order.carrier} {label_number}, but the parcel left "
                f"with {carrier} {number} ({self.who()}): void the unused label.",
            )
            status = MERGED
        return self.done(status, shipped, code, message)

    def _shipped_again(self, carrier: str, number: str, service: str) -> MergeOutcome:
        order = self.before
        if order.tracking_number == number:
            return self.already("shipped with this tracking number")
        if not order.tracking_number:
            filled = structs.replace(
                order, carrier=carrier, tracking_number=number, service=service or order.service
            )
            self.events.append(Event("ship", {"carrier": carrier, "tracking_number": number}))
            return self.done(MERGED, filled, "already_done", "Already shipped; tracking added.")
        self.conflict(
            K.TRACKING_MISMATCH,
            f"Shipped twice: {order.carrier} {order.tracking_number} was recorded first and "
            f"stands; {carrier} {number} ({self.who()}) was not taken. Check which parcel left "
            "and void the other label.",
        )
        return self.rejected(
            Refusal(
                K.TRACKING_MISMATCH.value,
                f"Already shipped with {order.carrier} {order.tracking_number}.",
            )
        )

    def _ship_anyway(
        self, carrier: str, number: str, service: str, refusal: Refusal
    ) -> tuple[Order, str, str]:
        """Mark shipped over a cancel, a hold or a missing step, and say what was overridden."""
        order = self.before
        shipped = structs.replace(
            order,
            status=S.SHIPPED,
            shipped_at=self.now,
            carrier=carrier,
            tracking_number=number,
            service=service or order.service,
            held_at=None,
            held_from=None,
            hold_reason=None,
            cancelled_at=None,
            cancel_reason=None,
        )
        was = order.status
        self.events.append(
            Event("ship", {"carrier": carrier, "tracking_number": number, "over": was.value})
        )
        self.events.append(Event("status_changed", {"from": was.value, "to": S.SHIPPED.value}))
        if was is S.CANCELLED:
            text = (
                f"The order was cancelled, but the parcel left with {carrier} {number} "
                f"({self.who()}): it is marked shipped. Intercept it with the carrier or "
                "settle it with the customer."
            )
            self.conflict(K.SHIP_VS_CANCEL, text)
            return shipped, K.SHIP_VS_CANCEL.value, text
        if was is S.ON_HOLD:
            reason = order.hold_reason.value if order.hold_reason else "other"
            text = (
                f"The order was on hold ({reason}), but the parcel left with {carrier} "
                f"{number} ({self.who()}): it is marked shipped. Check why it was held."
            )
            self.conflict(K.SHIP_VS_HOLD, text)
            return shipped, K.SHIP_VS_HOLD.value, text
        text = f"Marked shipped although the server had: {refusal.message}"
        return shipped, refusal.code, text

    # ------------------------------------------------------------ delivery, cancel, hold

    def delivery(self, command: c.Deliver | c.ConfirmDelivery) -> MergeOutcome:
        """Delivery is a fact too: on a cancelled order it is taken and the clash recorded."""
        order = self.before
        field, words = _DONE[type(command)]
        if getattr(order, field) is not None:
            return self.already(words)
        if order.status is not S.CANCELLED:
            return self.done(APPLIED, self.lifecycle(order, command))
        changes: dict[str, Any] = {"delivered_at": order.delivered_at or self.now}
        if isinstance(command, c.ConfirmDelivery):
            changes.update(delivery_confirmed_at=self.now, payout_due_at=self.now)
        delivered = structs.replace(
            order, status=S.DELIVERED, cancelled_at=None, cancel_reason=None, **changes
        )
        self.events.append(Event(c.action_name(command), {"over": S.CANCELLED.value}))
        self.events.append(
            Event("status_changed", {"from": S.CANCELLED.value, "to": S.DELIVERED.value})
        )
        text = (
            f"The order was cancelled, but it was reported delivered ({self.who()}): it is "
            "marked delivered. Settle payment and refund with the marketplace."
        )
        self.conflict(K.DELIVERY_VS_CANCEL, text)
        return self.done(MERGED, delivered, K.DELIVERY_VS_CANCEL.value, text)

    def cancel(self, command: c.Cancel) -> MergeOutcome:
        """A cancel after the parcel left is not taken, and the clash is recorded."""
        order = self.before
        if order.status is S.CANCELLED:
            return self.already("cancelled")
        if order.status in (S.SHIPPED, S.DELIVERED):
            refusal = PRECONDITIONS["cancel"](order)
            assert refusal is not None
            kind = K.DELIVERY_VS_CANCEL if order.status is S.DELIVERED else K.SHIP_VS_CANCEL
            self.conflict(
                kind,
                f"Cancelled ({self.who()}) after the parcel left with {order.carrier} "
                f"{order.tracking_number}"
                + (" and was delivered" if order.status is S.DELIVERED else "")
                + ": the cancellation was not taken. Arrange a return, or tell the customer.",
            )
            return self.done(REJECTED, order, kind.value, refusal.message)
        return self.done(APPLIED, self.lifecycle(order, command))

    def hold(self, command: c.Hold) -> MergeOutcome:
        """Holding a held order is a no-op; holding one that left is recorded as a clash."""
        order = self.before
        if order.status is S.ON_HOLD:
            return self.already("on hold")
        if order.status in (S.SHIPPED, S.DELIVERED):
            refusal = PRECONDITIONS["hold"](order)
            assert refusal is not None
            self.conflict(
                K.SHIP_VS_HOLD,
                f"Put on hold ({command.reason.value}, {self.who()}) after the parcel left with "
                f"{order.carrier} {order.tracking_number}: the hold was not taken.",
            )
            return self.done(REJECTED, order, K.SHIP_VS_HOLD.value, refusal.message)
        return self.done(APPLIED, self.lifecycle(order, command))

    # ------------------------------------------------------------ notes

    def add_note(self, command: c.AddNote, known_notes: Collection[str]) -> MergeOutcome:
        """Notes are append-only and idempotent on their id."""
        note_id = command.note_id or derived_id(self.mutation, "note")
        if note_id in known_notes:
            return self.already("added this note")
        note = Note(
            id=note_id,
            kind=command.kind,
            text=command.text,
            author_id=self.mutation.user_id,
            created_at=self.now,
            due_at=command.due_at,
        )
        self.events.append(Event("add_note", {"note_id": note_id, "kind": command.kind.value}))
        return self.done(APPLIED, self.before, note=note)


def _with_line(order: Order, index: int, **changes: Any) -> Order:
    lines = list(order.lines)
    lines[index] = structs.replace(lines[index], **changes)
    return structs.replace(order, lines=lines)
