"""Out of stock: an order on hold because items were missing from the shelf.

The seller guide: contact the customer at once (a call or an email naming the order and
the item), offer an alternative or a refund, and cancel if nothing else is possible. The
chosen resolution is a lifecycle step recorded on the device (``Resolve`` with
``substitute`` or ``remove_line``, or ``Cancel`` for out of stock): applied at once, synced
when the network allows. Refunds and stock figures follow on the server, as for every
other device.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import quote

from msgspec import Struct

from mobile.store import LocalChange, Store
from mobile.store import actions as act
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import money, plural
from mobile.viewmodels.order_detail import OrderDetailViewModel
from shared import commands as c
from shared.lifecycle import StepRefused, check, open_lines
from shared.types import CancelReason, HoldReason, Order, OrderLine, OrderStatus, PaymentStatus


class Choice(StrEnum):
    """The resolutions the card offers, named as the seller says them."""

    ALTERNATIVE = "alternative"
    REFUND = "refund"
    CANCEL = "cancel"


class ChoiceButton(Struct, frozen=True):
    """A resolution button: its words, and why it cannot be used now ("" when it can)."""

    choice: Choice
    label: str
    reason: str = ""

    @property
    def enabled(self) -> bool:
        """Whether the button works now."""
        return not self.reason


class ShortLine(Struct, frozen=True):
    """A line with units reported out of stock, and what can be done about it."""

    id: str
    name: str
    sku: str
    short: int
    quantity: int
    refund: str
    alternative: ChoiceButton
    remove: ChoiceButton

    @property
    def text(self) -> str:
        """``Canvas tote (TOTE-2): 1 of 1 out of stock``."""
        return f"{self.name} ({self.sku}): {self.short} of {self.quantity} out of stock"


class ContactLink(Struct, frozen=True):
    """A way to reach the customer: a ``tel:`` or ``mailto:`` link, or why there is none."""

    label: str
    value: str
    url: str
    reason: str = ""

    @property
    def enabled(self) -> bool:
        """Whether the button works."""
        return bool(self.url)


def is_out_of_stock(order: Order | None) -> bool:
    """The order is on hold because items are missing from the shelf."""
    return (
        order is not None
        and order.status is OrderStatus.ON_HOLD
        and order.hold_reason is HoldReason.OUT_OF_STOCK
    )


def short_lines(order: Order) -> list[OrderLine]:
    """The lines still reported short."""
    return [ln for ln in open_lines(order) if ln.short]


def tel_url(phone: str) -> str:
    """``+1 (555) 010-2030`` → ``tel:+15550102030`` ("" when there are no digits)."""
    digits = re.sub(r"[^0-9]", "", phone)
    if not digits:
        return ""
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


def email_subject(order: Order) -> str:
    """``Your order SF10042: Canvas tote is out of stock``."""
    names = [ln.name or ln.sku for ln in short_lines(order)]
    if not names:
        return f"Your order {order.number}"
    items = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "is" if len(names) == 1 else "are"
    return f"Your order {order.number}: {items} {verb} out of stock"


def email_body(order: Order, seller: str = "") -> str:
    """A short message offering an alternative or a refund (the seller edits it before sending)."""
    missing = "\n".join(f"  - {ln.name or ln.sku} (×{ln.short})" for ln in short_lines(order))
    return (
        f"Hello {order.customer.name},\n\n"
        f"We are sorry: part of your order {order.number} is out of stock:\n{missing}\n\n"
        "We can send an alternative instead, or refund the missing item, or cancel the "
        "order and refund everything. Please tell us what you prefer.\n\n"
        f"Thank you for your patience{',' if seller else ''}\n{seller}"
    ).rstrip() + "\n"


def mailto_url(order: Order, seller: str = "") -> str:
    """A ``mailto:`` link with the subject naming the order and the item, body prefilled."""
    email = order.customer.email.strip()
    if not email:
        return ""
    return (
        f"mailto:{quote(email, safe='@+.')}?subject={quote(email_subject(order), safe='')}"
        f"&body={quote(email_body(order, seller), safe='')}"
    )


def contacts(order: Order, seller: str = "") -> list[ContactLink]:
    """Call and Email, each with the link or the reason it is missing."""
    phone = order.customer.phone or order.shipping_address.phone
    call = tel_url(phone)
    email = order.customer.email.strip()
    return [
        ContactLink("Call", phone, call, "" if call else "No phone number on this order."),
        ContactLink(
            "Email",
            email,
            mailto_url(order, seller),
            "" if email else "No email address on this order.",
        ),
    ]


def _reason(order: Order, command: c.Command) -> str:
    refusal = check(order, command)
    return "" if refusal is None else refusal.message


def short_line_rows(order: Order, alternative_skus: dict[str, str]) -> list[ShortLine]:
    """Each short line with its Alternative and Refund buttons (disabled with the reason)."""
    rows = []
    for ln in short_lines(order):
        sku = alternative_skus.get(ln.id, "").strip()
        if sku:
            alt_reason = _reason(
                order,
                c.Resolve(resolution=c.Resolution.SUBSTITUTE, line_id=ln.id, substitute_sku=sku),
            )
        else:
            alt_reason = "Type the alternative's SKU first."
        remove = c.Resolve(resolution=c.Resolution.REMOVE_LINE, line_id=ln.id)
        rows.append(
            ShortLine(
                id=ln.id,
                name=ln.name or ln.sku,
                sku=ln.sku,
                short=ln.short,
                quantity=ln.quantity,
                refund=money(ln.quantity * ln.unit_price_minor, order.currency),
                alternative=ChoiceButton(Choice.ALTERNATIVE, "Send alternative", alt_reason),
                remove=ChoiceButton(Choice.REFUND, "Refund item", _reason(order, remove)),
            )
        )
    return rows


class OutOfStockViewModel(Observable):
    """The "Out of stock" card of the order screen, over the order screen's view model."""

    def __init__(self, detail: OrderDetailViewModel, seller: str = "") -> None:
        super().__init__()
        self.detail = detail
        self.seller = seller
        #: the alternative SKU typed per short line
        self.alternative_skus: dict[str, str] = {}
        self.alternative_names: dict[str, str] = {}
        #: "Cancel order" waits for a second tap (it cannot be undone)
        self.confirm_cancel = False
        self.busy = False
        self.message: str | None = None
        self.error: str | None = None
        self._order_id: str | None = None
        self._unsubscribe = detail.subscribe(self._detail_changed)

    # ----------------------------------------------------------------- state

    @property
    def order(self) -> Order | None:
        """The order on screen."""
        return self.detail.order

    @property
    def visible(self) -> bool:
        """Whether the card shows: the order is on hold for out of stock (or just resolved)."""
        return is_out_of_stock(self.order) or bool(self.message)

    @property
    def active(self) -> bool:
        """The order still waits for a resolution."""
        return is_out_of_stock(self.order)

    @property
    def title(self) -> str:
        """``Out of stock: 1 item`` ."""
        order = self.order
        count = len(short_lines(order)) if order is not None else 0
        return f"Out of stock: {plural(count, 'item')}" if count else "Out of stock"

    @property
    def lines(self) -> list[ShortLine]:
        """The short lines with their resolution buttons."""
        order = self.order
        if not is_out_of_stock(order):
            return []
        assert order is not None
        return short_line_rows(order, self.alternative_skus)

    @property
    def customer(self) -> str:
        """Who to contact."""
        return self.order.customer.name if self.order else ""

    @property
    def contacts(self) -> list[ContactLink]:
        """Call and Email buttons (disabled with the reason when the order lacks the detail)."""
        order = self.order
        return contacts(order, self.seller) if order is not None else []

    @property
    def cancel(self) -> ChoiceButton:
        """ "Cancel order" (out of stock), with the reason when it is not possible."""
        order = self.order
        label = "Tap again to cancel the order" if self.confirm_cancel else "Cancel order"
        if order is None:
            return ChoiceButton(Choice.CANCEL, label, "No order.")
        return ChoiceButton(
            Choice.CANCEL, label, _reason(order, c.Cancel(reason=CancelReason.OUT_OF_STOCK))
        )

    @property
    def pending_text(self) -> str:
        """The order's changes not yet on the server (the order screen shows it above the card)."""
        return self.detail.pending_text

    # -------------------------------------------------------------- commands

    def set_alternative(self, line_id: str, sku: str, name: str = "") -> None:
        """The alternative offered for a short line, as typed."""
        self.alternative_skus[line_id] = sku
        self.alternative_names[line_id] = name
        self.error = None
        self.changed()

    async def send_alternative(self, line_id: str) -> bool:
        """The customer accepted the alternative: the line becomes that SKU, to pick again."""
        sku = self.alternative_skus.get(line_id, "").strip()
        if not sku:
            return self._refused("Type the alternative's SKU first.")
        name = self.alternative_names.get(line_id, "").strip()
        return self._record(
            lambda s, o: act.resolve(
                s,
                o,
                c.Resolution.SUBSTITUTE,
                line_id=line_id,
                substitute_sku=sku,
                substitute_name=name,
            ),
            f"Alternative {sku} recorded: pick it to continue.",
        )

    async def refund_line(self, line_id: str) -> bool:
        """The customer wants the rest: the line is removed (and refunded when paid)."""
        line = next((ln for ln in self.lines if ln.id == line_id), None)
        what = line.name if line else "The item"
        paid = self.order is not None and self.order.payment_status is PaymentStatus.PAID
        return self._record(
            lambda s, o: act.resolve(s, o, c.Resolution.REMOVE_LINE, line_id=line_id),
            f"{what} removed from the order"
            + (f"; {line.refund} refunded." if paid and line else "."),
        )

    async def cancel_order(self) -> bool:
        """First tap asks to confirm; the second cancels the order (out of stock)."""
        if not self.confirm_cancel:
            self.confirm_cancel = True
            self.changed()
            return False
        self.confirm_cancel = False
        return self._record(
            lambda s, o: act.cancel(s, o, CancelReason.OUT_OF_STOCK),
            "Order cancelled (out of stock); the customer is refunded.",
        )

    def keep_order(self) -> None:
        """Not cancelling after all."""
        self.confirm_cancel = False
        self.changed()

    def dispose(self) -> None:
        """Stop listening to the order screen."""
        self._unsubscribe()

    # --------------------------------------------------------------- helpers

    def _record(self, record: Callable[[Store, str], LocalChange], done: str) -> bool:
        order_id = self.detail.order_id
        if order_id is None or self.busy:
            return False
        self.busy = True
        self.error = None
        try:
            self.detail.workspace.act(record, order_id)
        except StepRefused as refused:
            return self._refused(refused.message)
        finally:
            self.busy = False
        self.message = done
        self.changed()
        return True

    def _refused(self, message: str) -> bool:
        self.error = message
        self.changed()
        return False

    def _detail_changed(self) -> None:
        if self.detail.order_id != self._order_id:
            # Another order: forget what was typed and said about the last one.
            self._order_id = self.detail.order_id
            self.alternative_skus = {}
            self.alternative_names = {}
            self.confirm_cancel = False
            self.message = None
            self.error = None
