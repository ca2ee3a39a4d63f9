"""One order: customer, address, lines with picking progress, and what can be done next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from msgspec import Struct

from mobile.api import ApiError, NotSignedIn, ServerUnreachable
from mobile.sources import OrderSource
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time, money
from mobile.wire import OrderDetail
from shared import commands as c
from shared.addresses import address_problems
from shared.deadlines import Calendar, due
from shared.types import OPEN_STATUSES, Order, OrderStatus

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
ONE_TAP: dict[str, Callable[[], c.Command]] = {
    "verify_availability": c.VerifyAvailability,
    "verify_address": c.VerifyAddress,
    "confirm_payment": c.ConfirmPayment,
    "start_processing": c.StartProcessing,
    "inspect": c.Inspect,
    "print_slip": c.PrintSlip,
    "attach_label": c.AttachLabel,
    "deliver": c.Deliver,
    "confirm_delivery": c.ConfirmDelivery,
    "hold": c.Hold,
    "resolve": c.Resolve,
}


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
    """State and behaviour of the order screen."""

    def __init__(
        self,
        source: OrderSource,
        calendar: Calendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.source = source
        self.calendar = calendar
        self.clock = clock
        self.order_id: str | None = None
        self.detail: OrderDetail | None = None
        self.loading = False
        self.error: str | None = None
        self.busy_action: str | None = None
        self.message: str | None = None
        self.signed_out = False

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
    def actions(self) -> list[ActionRow]:
        """The steps of the order's current stage, allowed ones first.

        Steps that are refused only because the order is at another stage are left out; the
        ones this stage still waits for stay, with the reason (e.g. "Pick every item first").
        """
        if self.detail is None:
            return []
        rows = [
            ActionRow(
                action=a.action,
                label=ACTION_LABELS.get(a.action, a.action.replace("_", " ").capitalize()),
                allowed=a.allowed,
                reason=a.reason or "",
                one_tap=a.action in ONE_TAP,
            )
            for a in self.detail.actions
            if a.action != "add_note" and (a.allowed or a.code not in _OFF_STAGE)
        ]
        return sorted(rows, key=lambda r: (not r.enabled, not r.allowed))

    # -------------------------------------------------------------- commands

    async def load(self, order_id: str) -> None:
        """Fetch the order (and what it allows now)."""
        if order_id != self.order_id:
            self.detail = None
            self.message = None
        self.order_id = order_id
        self.loading = True
        self.error = None
        self.changed()
        try:
            detail = await self.source.detail(order_id)
        except (ApiError, ServerUnreachable) as exc:
            if self.order_id == order_id:
                self._failed(exc)
            return
        if self.order_id != order_id:
            return  # another order was opened meanwhile
        self.detail = detail
        self.loading = False
        self.changed()

    async def run(self, action: str) -> bool:
        """Take a one-tap action; on refusal ``message`` carries the server's reason."""
        make = ONE_TAP.get(action)
        if make is None or self.order_id is None or self.busy_action:
            return False
        order_id = self.order_id
        self.busy_action = action
        self.message = None
        self.changed()
        try:
            await self.source.act(order_id, make())
        except (ApiError, ServerUnreachable) as exc:
            self.busy_action = None
            self._failed(exc, into_message=True)
            return False
        self.busy_action = None
        self.message = f"{ACTION_LABELS.get(action, action)}: done."
        await self.load(order_id)
        return True

    def close(self) -> None:
        """Show nothing (the list is on its own again)."""
        self.order_id = None
        self.detail = None
        self.error = None
        self.message = None
        self.changed()

    def _failed(self, exc: Exception, into_message: bool = False) -> None:
        self.loading = False
        if isinstance(exc, NotSignedIn):
            self.signed_out = True
            text = "Your session has ended: please sign in again."
        elif isinstance(exc, ServerUnreachable):
            text = "The server cannot be reached."
        elif isinstance(exc, ApiError) and exc.status == 404:
            text = "This order does not exist (or belongs to another seller)."
        else:
            text = exc.detail if isinstance(exc, ApiError) else str(exc)
        if into_message:
            self.message = text
        else:
            self.error = text
        self.changed()
