"""One order, from the device store: customer, address, lines with picking progress,
notes, what is waiting to sync or was refused, and what can be done next.

The steps allowed now come from the same lifecycle rules the server runs
(``shared.lifecycle.allowed_actions``), applied to the order as this device shows it;
a step is recorded through :mod:`mobile.store.actions` (a mutation: applied at once,
queued for the server) and never waits for the network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from msgspec import Struct

from mobile.routes import OrderStep
from mobile.store import LocalChange, OrderDetail, Store
from mobile.store import actions as act
from mobile.sync import SyncStatus
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time, money, plural
from mobile.viewmodels.issues import IssueRow, conflict_row, dismiss_issue, rejected_row
from mobile.workspace import Workspace
from shared import commands as c
from shared.addresses import address_problems
from shared.deadlines import Calendar, due
from shared.lifecycle import StepRefused, allowed_actions
from shared.types import OPEN_STATUSES, NoteKind, Order, OrderStatus

#: what each action is called on a button
ACTION_LABELS: dict[str, str] = {
    "verify_availability": "Verify availability",
    "verify_address": "Verify address",
    "confirm_payment": "Confirm payment",
    "start_processing": "Start processing",
    "pick": "Pick items",
    "mark_short": "Report out of stock",
    "inspect": "Inspect items",
    "pack": "Pack",
    "print_slip": "Print packing slip",
    "print_label": "Print label",
    "attach_label": "Label attached",
    "ship": "Mark shipped",
    "deliver": "Mark delivered",
    "confirm_delivery": "Confirm delivery",
    "hold": "Put on hold",
    "resolve": "Resolve hold",
    "cancel": "Cancel order",
    "add_note": "Add note",
}

#: actions this screen can take with one tap (the others need the step screens' input)
ONE_TAP: dict[str, Callable[[Store, str], LocalChange]] = {
    "verify_availability": act.verify_availability,
    "verify_address": act.verify_address,
    "confirm_payment": act.confirm_payment,
    "start_processing": act.start_processing,
    "inspect": act.inspect,
    "print_slip": act.print_slip,
    "attach_label": act.attach_label,
    "deliver": act.deliver,
    "confirm_delivery": act.confirm_delivery,
    "hold": act.hold,
    "resolve": act.resolve,
}

#: what each kind of note is called
NOTE_KINDS: dict[NoteKind, str] = {
    kind: kind.value.replace("_", " ").capitalize() for kind in NoteKind
}


#: the work screens of an order, what they are called, and the status each is for
STEP_LABELS: dict[OrderStep, str] = {
    OrderStep.PICK: "Pick",
    OrderStep.PACK: "Inspect & pack",
    OrderStep.SHIP: "Ship",
}
_STEP_STATUS: dict[OrderStep, OrderStatus] = {
    OrderStep.PICK: OrderStatus.PROCESSING,
    OrderStep.PACK: OrderStatus.PROCESSING,
    OrderStep.SHIP: OrderStatus.READY_TO_SHIP,
}


class StepLink(Struct, frozen=True):
    """A button to one of the order's work screens (pick, inspect & pack, ship)."""

    step: OrderStep
    label: str
    enabled: bool
    #: why it is not open yet ("" when it is)
    reason: str = ""


def step_links(order: Order) -> list[StepLink]:
    """Which work screens the order's status opens, and why the others are shut."""
    links = []
    for step, label in STEP_LABELS.items():
        wanted = _STEP_STATUS[step]
        if order.status is wanted:
            links.append(StepLink(step, label, True))
            continue
        if order.status is OrderStatus.NEW:
            reason = "Start processing first"
        elif wanted is OrderStatus.READY_TO_SHIP and order.status is OrderStatus.PROCESSING:
            reason = "Pick, inspect and pack first"
        elif order.status is OrderStatus.ON_HOLD:
            reason = "The order is on hold"
        else:
            reason = f"The order is {order.status.label.lower()}"
        links.append(StepLink(step, label, False, reason))
    return links


#: refusals that only say "not at this stage": such actions are left off the screen
_OFF_STAGE = frozenset({"wrong_status", "already_done", "already_shipped"})


class LineRow(Struct, frozen=True):
    """One ordered item with its picking progress."""

    id: str
    sku: str
    name: str
    bin_location: str
    picked: int
    quantity: int
    short: int
    removed: bool

    @property
    def progress(self) -> str:
        """``1 / 2 picked`` (or why the line does not count)."""
        if self.removed:
            return "removed"
        text = f"{self.picked} / {self.quantity} picked"
        return f"{text}, {self.short} short" if self.short else text

    @property
    def done(self) -> bool:
        """Every unit of the line is picked."""
        return not self.removed and self.picked >= self.quantity


class NoteRow(Struct, frozen=True):
    """One internal note as the order screen shows it."""

    kind: str
    text: str
    author: str
    at: str
    #: written on this device and not on the server yet
    pending: bool


class ActionRow(Struct, frozen=True):
    """A lifecycle action: may it be taken now, and if not, why not."""

    action: str
    label: str
    allowed: bool
    reason: str
    one_tap: bool

    @property
    def enabled(self) -> bool:
        """Whether this screen offers the action as a button that works now."""
        return self.allowed and self.one_tap


class OrderDetailViewModel(Observable):
    """State and behaviour of the order screen, over the device store."""

    def __init__(
        self,
        workspace: Workspace,
        calendar: Calendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.calendar = calendar
        self.clock = clock
        self.order_id: str | None = None
        self.detail: OrderDetail | None = None
        self.loading = False
        self.error: str | None = None
        self.busy_action: str | None = None
        self.message: str | None = None
        self._unsubscribe = [
            workspace.subscribe(self._store_changed),
            workspace.watch_status(self._sync_changed),
        ]
        self._first_sync = workspace.status().first_sync

    # ----------------------------------------------------------------- state

    @property
    def order(self) -> Order | None:
        """The order shown, once loaded."""
        return self.detail.order if self.detail else None

    @property
    def title(self) -> str:
        """``Order SF10042``."""
        return f"Order {self.order.number}" if self.order else "Order"

    @property
    def status_label(self) -> str:
        """Where the order stands."""
        return self.order.status.label if self.order else ""

    @property
    def deadline(self) -> str:
        """Ship-by in the vendor's time, with the badge while the order is open."""
        order = self.order
        if order is None or order.ship_by is None:
            return "Waiting for payment" if order and order.status is OrderStatus.NEW else ""
        text = "Ship by " + local_time(order.ship_by, self.calendar.zone)
        if order.status in OPEN_STATUSES:
            text += f" · {due(order.ship_by, self.clock(), self.calendar).badge}"
        return text

    @property
    def customer(self) -> list[str]:
        """Customer name and how to reach them."""
        order = self.order
        if order is None:
            return []
        return [x for x in (order.customer.name, order.customer.email, order.customer.phone) if x]

    @property
    def address(self) -> list[str]:
        """The shipping address as it goes on the label."""
        order = self.order
        if order is None:
            return []
        a = order.shipping_address
        city = " ".join(x for x in (a.city, a.region, a.postal_code) if x)
        return [x for x in (a.name, a.company, a.line1, a.line2, city, a.country) if x]

    @property
    def address_problems(self) -> list[str]:
        """What makes the address undeliverable (empty when it looks fine)."""
        return address_problems(self.order.shipping_address) if self.order else []

    @property
    def payment(self) -> str:
        """Total and payment status: ``$45.99 · paid``."""
        order = self.order
        if order is None:
            return ""
        return f"{money(order.total_minor, order.currency)} · {order.payment_status.value}"

    @property
    def lines(self) -> list[LineRow]:
        """The ordered items with picked/ordered counts."""
        order = self.order
        if order is None:
            return []
        return [
            LineRow(
                id=ln.id,
                sku=ln.sku,
                name=ln.name or ln.sku,
                bin_location=ln.bin_location,
                picked=ln.picked,
                quantity=ln.quantity,
                short=ln.short,
                removed=ln.removed,
            )
            for ln in order.lines
        ]

    @property
    def notes(self) -> list[NoteRow]:
        """The order's internal notes, oldest first; ones not on the server yet are marked."""
        if self.detail is None:
            return []
        waiting = {
            m.command.note_id for m in self.detail.pending if isinstance(m.command, c.AddNote)
        }
        return [
            NoteRow(
                kind=NOTE_KINDS[n.kind],
                text=n.text,
                author=n.author_name,
                at=local_time(n.created_at, self.calendar.zone),
                pending=n.id in waiting,
            )
            for n in self.detail.notes
        ]

    @property
    def pending(self) -> int:
        """This device's changes to the order not yet confirmed by the server."""
        return len(self.detail.pending) if self.detail else 0

    @property
    def pending_text(self) -> str:
        """``2 changes waiting to sync`` (empty when none)."""
        return f"{plural(self.pending, 'change')} waiting to sync" if self.pending else ""

    @property
    def issues(self) -> list[IssueRow]:
        """Refused changes and conflicts on this order, each with what to do next."""
        if self.detail is None:
            return []
        return [conflict_row(k, self.calendar) for k in self.detail.conflicts] + [
            rejected_row(r, self.calendar) for r in self.detail.rejected
        ]

    @property
    def steps(self) -> list[StepLink]:
        """Buttons to the pick, inspect & pack and ship screens, shut ones with the reason."""
        order = self.order
        return [] if order is None else step_links(order)

    @property
    def actions(self) -> list[ActionRow]:
        """The steps of the order's current stage, allowed ones first.

        Steps that are refused only because the order is at another stage are left out; the
        ones this stage still waits for stay, with the reason (e.g. "Pick every item first").
        """
        order = self.order
        if order is None:
            return []
        rows = [
            ActionRow(
                action=action,
                label=ACTION_LABELS.get(action, action.replace("_", " ").capitalize()),
                allowed=refusal is None,
                reason="" if refusal is None else refusal.message,
                one_tap=action in ONE_TAP,
            )
            for action, refusal in allowed_actions(order).items()
            if action != "add_note" and (refusal is None or refusal.code not in _OFF_STAGE)
        ]
        return sorted(rows, key=lambda r: (not r.enabled, not r.allowed))

    # -------------------------------------------------------------- commands

    async def load(self, order_id: str) -> None:
        """Show an order from the device store."""
        if order_id != self.order_id:
            self.detail = None
            self.message = None
        self.order_id = order_id
        self._read(force=True)

    async def run(self, action: str) -> bool:
        """Take a one-tap action; on refusal ``message`` carries the lifecycle's reason.

        The step is recorded on the device at once (and synced soon after): it never
        waits for the network.
        """
        record = ONE_TAP.get(action)
        if record is None or self.order_id is None or self.busy_action:
            return False
        label = ACTION_LABELS.get(action, action)
        self.busy_action = action
        self.message = None
        try:
            self.workspace.act(record, self.order_id)
        except StepRefused as refused:
            self.message = refused.message
            self.changed()
            return False
        finally:
            self.busy_action = None
        self.message = f"{label}: done."
        self._read(force=True)
        return True

    def dismiss(self, issue: IssueRow) -> None:
        """The person has read a refused change or a conflict: stop showing it."""
        self.workspace.dismiss(lambda store: dismiss_issue(store, issue))

    def close(self) -> None:
        """Show nothing (the list is on its own again)."""
        self.order_id = None
        self.detail = None
        self.error = None
        self.message = None
        self.changed()

    def dispose(self) -> None:
        """Stop listening to the store (the session is ending)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # --------------------------------------------------------------- helpers

    def _read(self, force: bool = False) -> None:
        order_id = self.order_id
        if order_id is None:
            return
        before = (self.detail, self.loading, self.error)
        self.detail = self.workspace.store.order_detail(order_id)
        self.loading = False
        if self.detail is not None:
            self.error = None
        elif self._first_sync:
            # A deep link opened during the first sync: the order shows when it arrives.
            self.loading = True
            self.error = None
        else:
            self.error = (
                "This order is not on this device: it does not exist, belongs to another "
                "seller, or has not synced yet."
            )
        # Syncs re-read the store often: redraw only when this order's screen changed, so
        # a tap is not lost to a rebuilt button.
        if force or (self.detail, self.loading, self.error) != before:
            self.changed()

    def _store_changed(self) -> None:
        if self.order_id is not None:
            self._read()

    def _sync_changed(self, status: SyncStatus) -> None:
        if status.first_sync != self._first_sync:
            self._first_sync = status.first_sync
            self._store_changed()
