"""The order lifecycle of the seller guide as pure functions.

New → Processing → Ready to ship → Shipped → Delivered, with On hold and Cancelled as side
paths. ``apply`` takes an order and a command and returns the changed order and the
timeline events, or raises :class:`StepRefused` saying *why* the step is not allowed.
``allowed_actions`` tells a screen which buttons to enable and, for the others, why not.
The server applies these rules authoritatively; devices apply the same code optimistically.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from msgspec import Struct, structs

from shared import commands as c
from shared.addresses import address_problems
from shared.carriers import normalise_tracking, tracking_problem
from shared.types import (
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    PaymentStatus,
    Step,
)

S = OrderStatus


class Refusal(Struct, frozen=True):
    """Why a step is not allowed: a stable code for programs and a sentence for people."""

    code: str
    message: str


class StepRefused(Exception):
    """Raised by :func:`apply` when the lifecycle does not allow a command."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def refusal(self) -> Refusal:
        """The refusal as a value."""
        return Refusal(self.code, self.message)


class Event(Struct, frozen=True):
    """One line of the order's timeline produced by a step."""

    kind: str
    detail: dict[str, Any] = {}


class Outcome(Struct, frozen=True):
    """The result of an allowed step: the new order and what to write on its timeline."""

    order: Order
    events: list[Event]

    @property
    def status_changed(self) -> bool:
        """Whether the step moved the order to another status."""
        return any(e.kind == "status_changed" for e in self.events)


# ---------------------------------------------------------------- stage checklists


def open_lines(order: Order) -> list[OrderLine]:
    """Lines still to be sent (not removed while resolving a hold)."""
    return [line for line in order.lines if not line.removed]


def all_picked(order: Order) -> bool:
    """Every remaining line has all its units picked."""
    return all(line.picked >= line.quantity for line in open_lines(order))


def stage_checklist(order: Order) -> list[tuple[Step, bool]]:
    """The checks of the order's current stage and whether each is done."""
    status = order.held_from if order.status is S.ON_HOLD and order.held_from else order.status
    if status is S.NEW:
        return [
            (Step.AVAILABILITY, order.availability_verified_at is not None),
            (Step.ADDRESS, order.address_verified_at is not None),
            (Step.PAYMENT, order.payment_confirmed_at is not None),
        ]
    if status is S.PROCESSING:
        return [
            (Step.PICK, all_picked(order)),
            (Step.INSPECT, order.inspected_at is not None),
            (Step.PACK, order.packed_at is not None),
            (Step.PACKING_SLIP, order.slip_printed_at is not None),
        ]
    if status is S.READY_TO_SHIP:
        return [
            (Step.LABEL_PRINTED, order.label_printed_at is not None),
            (Step.LABEL_ATTACHED, order.label_attached_at is not None),
            (Step.TRACKING, bool(order.tracking_number)),
        ]
    if status in (S.SHIPPED, S.DELIVERED):
        return [
            (Step.TRACKING, bool(order.tracking_number)),
            (Step.DELIVERY_CONFIRMED, order.delivery_confirmed_at is not None),
        ]
    return []


_STEP_WORDS = {
    Step.AVAILABILITY: "item availability verified",
    Step.ADDRESS: "shipping address checked",
    Step.PAYMENT: "payment confirmed",
    Step.PICK: "every item picked",
    Step.INSPECT: "quality inspected",
    Step.PACK: "packed",
    Step.PACKING_SLIP: "packing slip printed",
    Step.LABEL_PRINTED: "shipping label printed",
    Step.LABEL_ATTACHED: "label attached",
    Step.TRACKING: "tracking number recorded",
    Step.DELIVERY_CONFIRMED: "delivery confirmed",
}


def missing_steps(order: Order) -> list[Step]:
    """Checks of the current stage not done yet."""
    return [step for step, done in stage_checklist(order) if not done]


def _missing_text(steps: list[Step]) -> str:
    return ", ".join(_STEP_WORDS[s] for s in steps)


# ---------------------------------------------------------------- preconditions

Pre = Callable[[Order], Refusal | None]


def _status_in(*allowed: OrderStatus, what: str) -> Pre:
    def check(order: Order) -> Refusal | None:
        if order.status in allowed:
            return None
        names = " or ".join(s.label for s in allowed)
        return Refusal(
            "wrong_status",
            f"Cannot {what}: the order is {order.status.label}; this needs {names}.",
        )

    return check


def _all(*checks: Pre) -> Pre:
    def check(order: Order) -> Refusal | None:
        for one in checks:
            refusal = one(order)
            if refusal is not None:
                return refusal
        return None

    return check


def _not_done(attr: str, what: str) -> Pre:
    def check(order: Order) -> Refusal | None:
        if getattr(order, attr) is not None:
            return Refusal("already_done", f"Already {what}.")
        return None

    return check


def _new_checks_done(order: Order) -> Refusal | None:
    missing = missing_steps(order)
    if missing:
        return Refusal("checks_missing", f"Review is not complete: {_missing_text(missing)}.")
    return None


def _picked(order: Order) -> Refusal | None:
    if not all_picked(order):
        left = sum(max(0, ln.quantity - ln.picked) for ln in open_lines(order))
        return Refusal("not_picked", f"Pick every item first ({left} still to pick).")
    return None


def _inspected(order: Order) -> Refusal | None:
    if order.inspected_at is None:
        return Refusal("not_inspected", "Inspect the items before packing.")
    return None


def _ready_checks(order: Order) -> Refusal | None:
    if order.status is S.PROCESSING:
        missing = missing_steps(order)
        return Refusal("processing_not_done", f"Finish processing first: {_missing_text(missing)}.")
    return None


def _label_printed(order: Order) -> Refusal | None:
    if order.label_printed_at is None:
        return Refusal("label_not_printed", "Print the shipping label first.")
    return None


def _label_attached(order: Order) -> Refusal | None:
    if order.label_attached_at is None:
        return Refusal("label_not_attached", "Attach the shipping label to the package first.")
    return None


def _label_not_printed_yet(order: Order) -> Refusal | None:
    if order.label_printed_at is not None:
        return Refusal(
            "label_printed", "The label is printed with this weight; reprint it after repacking."
        )
    return None


def _not_final(what: str) -> Pre:
    def check(order: Order) -> Refusal | None:
        if order.status in (S.SHIPPED, S.DELIVERED):
            return Refusal(
                "already_shipped",
                f"Cannot {what}: the order has left with the carrier (handle it as a return).",
            )
        if order.status is S.CANCELLED:
            return Refusal("already_done", "The order is already cancelled.")
        return None

    return check


def _payment_received(order: Order) -> Refusal | None:
    if order.payment_status is not PaymentStatus.PAID:
        return Refusal(
            "payment_not_received",
            f"The marketplace reports payment {order.payment_status.value}; wait until it is paid.",
        )
    return None


def _address_ok(order: Order) -> Refusal | None:
    problems = address_problems(order.shipping_address)
    if problems:
        return Refusal("address_invalid", "Shipping address: " + "; ".join(problems) + ".")
    return None


def _not_delivered_confirmed(order: Order) -> Refusal | None:
    if order.delivery_confirmed_at is not None:
        return Refusal("already_done", "Delivery is already confirmed.")
    return None


def _no_open_short(order: Order) -> Refusal | None:
    if order.status is S.DELIVERED and order.delivered_at is not None:
        return Refusal("already_done", "Already delivered.")
    return None


def _always(order: Order) -> Refusal | None:
    return None


_ACTIVE = (S.NEW, S.PROCESSING, S.READY_TO_SHIP)

#: For each action: may it be taken on this order at all (before looking at its arguments)?
PRECONDITIONS: dict[str, Pre] = {
    "verify_availability": _all(
        _status_in(S.NEW, what="verify availability"),
        _not_done("availability_verified_at", "verified"),
    ),
    "verify_address": _all(
        _status_in(S.NEW, what="check the address"),
        _not_done("address_verified_at", "checked"),
        _address_ok,
    ),
    "confirm_payment": _all(
        _status_in(S.NEW, what="confirm payment"),
        _not_done("payment_confirmed_at", "confirmed"),
        _payment_received,
    ),
    "start_processing": _all(_status_in(S.NEW, what="start processing"), _new_checks_done),
    "pick": _status_in(S.PROCESSING, what="pick"),
    "mark_short": _status_in(S.NEW, S.PROCESSING, S.ON_HOLD, what="report a short item"),
    "inspect": _all(
        _status_in(S.PROCESSING, what="inspect"),
        _not_done("inspected_at", "inspected"),
        _picked,
    ),
    "pack": _all(
        _status_in(S.PROCESSING, S.READY_TO_SHIP, what="pack"),
        _inspected,
        _label_not_printed_yet,
    ),
    "print_slip": _status_in(
        S.NEW, S.PROCESSING, S.READY_TO_SHIP, S.ON_HOLD, what="print the packing slip"
    ),
    "print_label": _all(
        _ready_checks, _status_in(S.READY_TO_SHIP, what="print the shipping label")
    ),
    "attach_label": _all(
        _ready_checks,
        _status_in(S.READY_TO_SHIP, what="attach the label"),
        _label_printed,
        _not_done("label_attached_at", "attached"),
    ),
    "ship": _all(
        _ready_checks,
        _not_final("ship again"),
        _status_in(S.READY_TO_SHIP, what="mark shipped"),
        _label_attached,
    ),
    "deliver": _all(_no_open_short, _status_in(S.SHIPPED, what="mark delivered")),
    "confirm_delivery": _all(
        _status_in(S.SHIPPED, S.DELIVERED, what="confirm delivery"), _not_delivered_confirmed
    ),
    "hold": _all(
        _not_final("put on hold"),
        _not_done("held_at", "on hold"),
        _status_in(*_ACTIVE, what="put on hold"),
    ),
    "resolve": _status_in(S.ON_HOLD, what="resolve a hold"),
    "cancel": _all(_not_final("cancel"), _status_in(*_ACTIVE, S.ON_HOLD, what="cancel")),
    "add_note": _always,
}


def allowed_actions(order: Order) -> dict[str, Refusal | None]:
    """Every action with ``None`` when it may be taken now, else the reason it may not."""
    return {action: pre(order) for action, pre in PRECONDITIONS.items()}


def check(order: Order, command: c.Command) -> Refusal | None:
    """Whether ``command`` would be allowed, without applying it."""
    try:
        apply(order, command, now=order.created_at)
    except StepRefused as refused:
        return refused.refusal
    return None


# ---------------------------------------------------------------- apply


def _refuse(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise StepRefused(refusal.code, refusal.message)


def _find_line(order: Order, line_id: str | None, code: str | None) -> int:
    if line_id is not None:
        for i, line in enumerate(order.lines):
            if line.id == line_id:
                if line.removed:
                    raise StepRefused("line_removed", f"{line.sku} was removed from this order.")
                return i
        raise StepRefused("unknown_line", f"Order {order.number} has no line {line_id!r}.")
    # A blank scan (a scanner sending only whitespace) must not match a line without barcode.
    wanted = (code or "").strip()
    if wanted:
        for i, line in enumerate(order.lines):
            if line.removed:
                continue
            if wanted == line.barcode or wanted.upper() == line.sku.upper():
                return i
        raise StepRefused(
            "wrong_item", f"{wanted!r} is not an item of order {order.number}: wrong item?"
        )
    raise StepRefused("missing_field", "Say which line: line_id or a scanned code.")


def find_line(order: Order, line_id: str | None, code: str | None) -> int:
    """Index of the line named by id or by a scanned SKU/barcode; :class:`StepRefused` if none."""
    return _find_line(order, line_id, code)


def _with_line(order: Order, index: int, **changes: Any) -> Order:
    lines = list(order.lines)
    lines[index] = structs.replace(lines[index], **changes)
    return structs.replace(order, lines=lines)


def _move(order: Order, to: OrderStatus, events: list[Event], now: datetime) -> Order:
    if order.status is to:
        return order
    events.append(Event("status_changed", {"from": order.status.value, "to": to.value}))
    changes: dict[str, Any] = {"status": to}
    if to is S.READY_TO_SHIP and order.ready_at is None:
        changes["ready_at"] = now
    return structs.replace(order, **changes)


def _advance_if_ready(order: Order, events: list[Event], now: datetime) -> Order:
    """Processing is done when every item is picked, inspected, packed and the slip printed."""
    if order.status is S.PROCESSING and not missing_steps(order):
        return _move(order, S.READY_TO_SHIP, events, now)
    return order


def _hold(order: Order, reason: HoldReason, events: list[Event], now: datetime) -> Order:
    if order.status is S.ON_HOLD:
        return order
    held_from = order.status
    order = _move(order, S.ON_HOLD, events, now)
    return structs.replace(order, held_at=now, held_from=held_from, hold_reason=reason)


def apply(order: Order, command: c.Command, now: datetime) -> Outcome:
    """Apply one lifecycle command; raise :class:`StepRefused` with the reason if not allowed."""
    action = c.action_name(command)
    _refuse(PRECONDITIONS[action](order))
    events: list[Event] = []
    detail: dict[str, Any] = {}
    o = order

    match command:
        case c.VerifyAvailability():
            o = structs.replace(o, availability_verified_at=now)
        case c.VerifyAddress():
            o = structs.replace(o, address_verified_at=now)
        case c.ConfirmPayment():
            o = structs.replace(o, payment_confirmed_at=now)
        case c.StartProcessing():
            o = structs.replace(o, processing_started_at=now)
            o = _move(o, S.PROCESSING, events, now)
        case c.Pick(line_id=line_id, code=code, quantity=delta):
            i = _find_line(o, line_id, code)
            line = o.lines[i]
            picked = line.picked + delta
            room = line.quantity - line.short
            if picked > room:
                raise StepRefused(
                    "over_pick",
                    f"{line.sku}: {line.picked} of {room} already picked; "
                    f"{delta} more would be too many.",
                )
            if picked < 0:
                raise StepRefused("under_pick", f"{line.sku}: only {line.picked} picked.")
            o = _with_line(o, i, picked=picked)
            detail = {"line_id": line.id, "sku": line.sku, "delta": delta, "picked": picked}
            o = _advance_if_ready(o, events, now)
        case c.MarkShort(line_id=line_id, missing=missing):
            i = _find_line(o, line_id, None)
            line = o.lines[i]
            free = line.quantity - line.picked - line.short
            count = free if missing is None else missing
            if count < 1 or count > free:
                raise StepRefused(
                    "bad_quantity",
                    f"{line.sku}: {free} unit(s) can still be reported short, not {count}.",
                )
            o = _with_line(o, i, short=line.short + count)
            detail = {"line_id": line.id, "sku": line.sku, "missing": count}
            o = _hold(o, HoldReason.OUT_OF_STOCK, events, now)
        case c.Inspect():
            o = structs.replace(o, inspected_at=now)
            o = _advance_if_ready(o, events, now)
        case c.Pack(package_type=ptype, weight_grams=grams):
            o = structs.replace(
                o, packed_at=now, package=Package(package_type=ptype, weight_grams=grams)
            )
            detail = {"package_type": ptype, "weight_grams": grams}
            o = _advance_if_ready(o, events, now)
        case c.PrintSlip():
            detail = {"reprint": o.slip_printed_at is not None}
            if o.slip_printed_at is None:
                o = structs.replace(o, slip_printed_at=now)
            o = _advance_if_ready(o, events, now)
        case c.PrintLabel(carrier=carrier, service=service, tracking_number=tracking):
            changes: dict[str, Any] = {"label_printed_at": now}
            if carrier:
                _refuse(_tracking_refusal(carrier, tracking) if tracking else None)
                changes.update(carrier=carrier.lower(), service=service)
                if tracking:
                    changes["tracking_number"] = normalise_tracking(tracking)
            detail = {"reprint": o.label_printed_at is not None, "carrier": carrier}
            o = structs.replace(o, **changes)
        case c.AttachLabel():
            o = structs.replace(o, label_attached_at=now)
        case c.Ship(carrier=carrier, tracking_number=tracking, service=service):
            _refuse(_tracking_refusal(carrier, tracking))
            number = normalise_tracking(tracking)
            o = structs.replace(
                o,
                shipped_at=now,
                carrier=carrier.lower(),
                tracking_number=number,
                service=service or o.service,
            )
            detail = {"carrier": carrier.lower(), "tracking_number": number}
            o = _move(o, S.SHIPPED, events, now)
        case c.Deliver():
            o = structs.replace(o, delivered_at=now)
            o = _move(o, S.DELIVERED, events, now)
        case c.ConfirmDelivery():
            o = structs.replace(
                o,
                delivered_at=o.delivered_at or now,
                delivery_confirmed_at=now,
                payout_due_at=now,
            )
            o = _move(o, S.DELIVERED, events, now)
        case c.Hold(reason=reason):
            detail = {"reason": reason.value}
            o = _hold(o, reason, events, now)
        case c.Resolve():
            o, detail = _resolve(o, command, events, now)
        case c.Cancel(reason=reason):
            detail = {"reason": reason.value}
            o = structs.replace(o, cancelled_at=now, cancel_reason=reason)
            o = _move(o, S.CANCELLED, events, now)
        case c.AddNote(kind=kind, due_at=due_at):
            detail = {"kind": kind.value, "due_at": due_at.isoformat() if due_at else None}
        case _:  # pragma: no cover - the union is closed
            raise StepRefused("unknown_action", f"Unknown action {action!r}.")

    events.insert(0, Event(action, detail))
    return Outcome(o, events)


def _tracking_refusal(carrier: str, tracking: str) -> Refusal | None:
    problem = tracking_problem(carrier, tracking)
    return Refusal("invalid_tracking", problem[0].upper() + problem[1:] + ".") if problem else None


def tracking_refusal(carrier: str, tracking: str) -> Refusal | None:
    """Why this tracking number cannot be this carrier's, or None when it can."""
    return _tracking_refusal(carrier, tracking)


def _resolve(
    o: Order, command: c.Resolve, events: list[Event], now: datetime
) -> tuple[Order, dict[str, Any]]:
    detail: dict[str, Any] = {"resolution": command.resolution.value}
    lines_changed = False
    if command.resolution is c.Resolution.RESUME:
        o = structs.replace(o, lines=[structs.replace(ln, short=0) for ln in o.lines])
    else:
        i = _find_line(o, command.line_id, None)
        line = o.lines[i]
        if command.resolution is c.Resolution.SUBSTITUTE:
            if not command.substitute_sku:
                raise StepRefused("missing_field", "substitute_sku: name the replacement SKU.")
            o = _with_line(
                o,
                i,
                sku=command.substitute_sku,
                name=command.substitute_name or command.substitute_sku,
                barcode=command.substitute_barcode,
                picked=0,
                short=0,
            )
            detail.update(line_id=line.id, old_sku=line.sku, new_sku=command.substitute_sku)
        else:
            if len(open_lines(o)) == 1:
                raise StepRefused(
                    "last_line", "This is the only item left: cancel the order instead."
                )
            o = _with_line(o, i, removed=True, short=0)
            detail.update(line_id=line.id, sku=line.sku)
        lines_changed = True
    if any(ln.short for ln in open_lines(o)):
        return o, detail  # another line is still short: the order stays on hold
    back = o.held_from or S.NEW
    if lines_changed and back in (S.PROCESSING, S.READY_TO_SHIP):
        back = S.PROCESSING
        o = structs.replace(
            o,
            inspected_at=None,
            packed_at=None,
            package=None,
            ready_at=None,
            label_printed_at=None,
            label_attached_at=None,
        )
    o = _move(o, back, events, now)
    o = structs.replace(o, held_at=None, held_from=None, hold_reason=None)
    return _advance_if_ready(o, events, now), detail
