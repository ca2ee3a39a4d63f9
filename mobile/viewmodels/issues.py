"""Refused changes and conflicts as people read them: what happened, and what to do next.

The server says *what* happened (its reason or the conflict's message); this module adds
the next step, by the reason's code or the conflict's kind, so nothing is just an error
code. Both stay listed until someone dismisses them (they stay on file in the store).
"""

from __future__ import annotations

from enum import StrEnum

from msgspec import Struct

from mobile.store import RejectedMutation, Store, StoredConflict
from mobile.viewmodels.format import local_time
from shared.commands import action_name
from shared.deadlines import Calendar
from shared.sync import ConflictKind


class IssueKind(StrEnum):
    """A change the server refused, or a conflict between devices."""

    REJECTED = "rejected"
    CONFLICT = "conflict"


class IssueRow(Struct, frozen=True):
    """One refused change or conflict, as the sync panel and the order screen show it."""

    kind: IssueKind
    #: the refused mutation's id, or the conflict's id (what :func:`dismiss_issue` needs)
    id: str
    order_id: str
    order_number: str
    #: "Mark shipped was not accepted" / "Conflict: shipped and cancelled"
    title: str
    #: what happened, in the server's words
    what_happened: str
    #: what the person should do now
    next_step: str
    at: str

    @property
    def semantics(self) -> str:
        """The issue in one sentence, for screen readers and browser tests."""
        return f"{self.title}. {self.what_happened} {self.next_step}"


#: the names of the steps, as a person calls them
STEP_NAMES: dict[str, str] = {
    "verify_availability": "Verify availability",
    "verify_address": "Verify address",
    "confirm_payment": "Confirm payment",
    "start_processing": "Start processing",
    "pick": "A scan",
    "mark_short": "Out of stock report",
    "inspect": "Inspection",
    "pack": "Packing",
    "print_slip": "Packing slip printed",
    "print_label": "Label printed",
    "attach_label": "Label attached",
    "ship": "Mark shipped",
    "deliver": "Mark delivered",
    "confirm_delivery": "Delivery confirmation",
    "hold": "Put on hold",
    "resolve": "Hold resolution",
    "cancel": "Cancellation",
    "add_note": "A note",
}

_DEFAULT_NEXT = "Open the order to see where it stands now, and redo the step if it still applies."

#: what to do after a refusal, by the server's reason code
_NEXT_BY_CODE: dict[str, str] = {
    "not_found": "The order is gone from your seller account: nothing to do on this device.",
    "already_done": "Someone already did this: nothing more to do.",
    "already_shipped": "The order has already shipped: check it with the team if in doubt.",
    "wrong_status": "The order moved on elsewhere: open it to see where it stands now.",
    "over_pick": "Put the extra item back on the shelf.",
    "wrong_item": "Check the item: it is not on this order.",
    "invalid_tracking": "Check the tracking number on the label and enter it again.",
    "unreadable": "This app could not send the change: update the app, then redo the step.",
}

#: what to do after a conflict, by its kind
_NEXT_BY_CONFLICT: dict[ConflictKind, str] = {
    ConflictKind.SHIP_VS_CANCEL: (
        "The package may already be with the carrier: contact the carrier to stop it, "
        "or the customer to settle the order."
    ),
    ConflictKind.SHIP_VS_HOLD: (
        "The order shipped while someone put it on hold: tell whoever held it, and check "
        "why it was held."
    ),
    ConflictKind.TRACKING_MISMATCH: (
        "Two tracking numbers were entered: check which label is on the package and "
        "correct the other one with the carrier."
    ),
    ConflictKind.DELIVERY_VS_CANCEL: (
        "The customer has the goods of a cancelled order: contact them about payment or return."
    ),
    ConflictKind.SHORT_VS_PICKED: (
        "One device found the item, another reported it out of stock: check the shelf "
        "and the stock count."
    ),
    ConflictKind.OVER_PICK: "More items were picked than ordered: put the extra ones back.",
}

_CONFLICT_TITLES: dict[ConflictKind, str] = {
    ConflictKind.SHIP_VS_CANCEL: "Shipped and cancelled at once",
    ConflictKind.SHIP_VS_HOLD: "Shipped while put on hold",
    ConflictKind.TRACKING_MISMATCH: "Two different tracking numbers",
    ConflictKind.DELIVERY_VS_CANCEL: "Delivered but cancelled",
    ConflictKind.SHORT_VS_PICKED: "Out of stock but picked",
    ConflictKind.OVER_PICK: "Picked more than ordered",
}


def rejected_row(rejected: RejectedMutation, calendar: Calendar) -> IssueRow:
    """A refused change: the step, the server's reason and what to do now."""
    step = STEP_NAMES.get(action_name(rejected.mutation.command), "A change")
    return IssueRow(
        kind=IssueKind.REJECTED,
        id=rejected.mutation.mutation_id,
        order_id=rejected.mutation.order_id,
        order_number=rejected.order_number,
        title=f"{step} on {_order(rejected.order_number)} was not accepted",
        what_happened=_sentence(rejected.message),
        next_step=_NEXT_BY_CODE.get(rejected.code, _DEFAULT_NEXT),
        at=local_time(rejected.rejected_at, calendar.zone),
    )


def conflict_row(stored: StoredConflict, calendar: Calendar) -> IssueRow:
    """A conflict the server settled by its rule: what clashed and what to do now."""
    conflict = stored.conflict
    return IssueRow(
        kind=IssueKind.CONFLICT,
        id=conflict.id,
        order_id=conflict.order_id,
        order_number=stored.order_number,
        title=f"{_CONFLICT_TITLES.get(conflict.kind, 'Conflict')} on {_order(stored.order_number)}",
        what_happened=_sentence(conflict.message),
        next_step=_NEXT_BY_CONFLICT.get(conflict.kind, _DEFAULT_NEXT),
        at=local_time(conflict.at, calendar.zone),
    )


def issues_of(store: Store, calendar: Calendar) -> list[IssueRow]:
    """Every issue not dismissed yet: conflicts first, then refused changes, newest first."""
    return [conflict_row(k, calendar) for k in store.conflicts()] + [
        rejected_row(r, calendar) for r in store.rejected()
    ]


def dismiss_issue(store: Store, issue: IssueRow) -> None:
    """Stop showing an issue (it stays on file); see :meth:`Workspace.dismiss`."""
    if issue.kind is IssueKind.REJECTED:
        store.dismiss_rejected(issue.id)
    else:
        store.dismiss_conflict(issue.id)


def _order(number: str) -> str:
    return f"order {number}" if number else "an order"


def _sentence(text: str) -> str:
    text = text.strip() or "No reason was given."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
