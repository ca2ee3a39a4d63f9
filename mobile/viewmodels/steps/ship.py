"""Ship: print the label, attach it, record the tracking number, mark the order shipped.

The tracking number is scanned from the label (a scan here fills the number instead of
counting an item) or typed, and checked against the chosen carrier's format
(``shared.carriers``) as it arrives, with a message naming what is wrong — and which
carrier the number does fit, when another one does.
"""

from __future__ import annotations

from typing import ClassVar

from msgspec import Struct

from mobile.feedback import Cue
from mobile.routes import OrderStep
from mobile.store import actions
from mobile.viewmodels.steps.base import CheckRow, PrintingStepViewModel, StepAction
from mobile.viewmodels.steps.printing import Document
from shared.carriers import CARRIERS, normalise_tracking, tracking_problem
from shared.lifecycle import tracking_refusal
from shared.types import OrderStatus

#: the scan field's label (also how browser tests and screen readers find it)
SCAN_LABEL = "Scan tracking number"
#: the carrier chosen when the order has none yet
DEFAULT_CARRIER = "demo"

#: how each carrier's numbers look, for the hint under the field (the rule is in shared/)
FORMAT_HINTS: dict[str, str] = {
    "ups": "1Z + 16 letters or digits, e.g. 1Z999AA10123456784",
    "usps": "20–22 digits starting 92, 93, 94…, or 2 letters + 9 digits + US",
    "fedex": "12, 15, 20 or 22 digits",
    "dhl": "10 or 11 digits, or JJD / JVGL + 16–20 digits",
    "demo": "SFD + 10 digits, e.g. SFD0123456789",
}

_SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)

#: carriers whose labels the server issues, tracking number included (``server/documents/
#: carriers.py``); for the others the number comes from the carrier and goes on our label
ISSUED_BY_SERVER = frozenset({"demo"})


class CarrierChoice(Struct, frozen=True):
    """A carrier the person can choose."""

    code: str
    name: str
    selected: bool
    hint: str


def carrier_name(code: str) -> str:
    """``UPS``, ``Shipfloor Demo Post``."""
    entry = CARRIERS.get(code.lower())
    return entry[0] if entry else code.upper()


def carriers_fitting(tracking_number: str) -> list[str]:
    """The carriers whose format the number fits."""
    return [code for code in CARRIERS if tracking_problem(code, tracking_number) is None]


class ShipViewModel(PrintingStepViewModel):
    """State and behaviour of the ship screen."""

    step: ClassVar[OrderStep] = OrderStep.SHIP
    heading: ClassVar[str] = "Ship"
    scan_label: ClassVar[str] = SCAN_LABEL

    def _order_changed(self) -> None:
        self.carrier = DEFAULT_CARRIER
        self.tracking_text = ""
        #: the carrier was chosen on this screen (a pulled order no longer overrides it)
        self.carrier_chosen = False

    def _loaded(self) -> None:
        order = self.order
        if order is None:
            return
        if order.carrier and not self.carrier_chosen:
            self.carrier = order.carrier
        if order.tracking_number and not self.tracking_text:
            # The label brought its number (issued by the server, or recorded earlier).
            self.tracking_text = order.tracking_number
            self.form_revision += 1

    # ----------------------------------------------------------------- state

    @property
    def carriers(self) -> list[CarrierChoice]:
        """The carriers to choose from, the chosen one marked."""
        return [
            CarrierChoice(code, entry[0], code == self.carrier, FORMAT_HINTS.get(code, ""))
            for code, entry in CARRIERS.items()
        ]

    @property
    def carrier_label(self) -> str:
        """The chosen carrier's name."""
        return carrier_name(self.carrier)

    @property
    def format_hint(self) -> str:
        """How the chosen carrier's numbers look: ``UPS: 1Z + 16 letters or digits…``."""
        return f"{self.carrier_label}: {FORMAT_HINTS.get(self.carrier, 'its tracking number')}"

    @property
    def tracking_number(self) -> str:
        """The number as the carrier prints it (upper case, no spaces or dashes)."""
        return normalise_tracking(self.tracking_text)

    @property
    def tracking_error(self) -> str | None:
        """What is wrong with the entered number for the chosen carrier (``None`` if fine/empty)."""
        if not self.tracking_number:
            return None
        refused = tracking_refusal(self.carrier, self.tracking_text)
        if refused is None:
            return None
        text = f"{refused.message} Expected {self.format_hint}."
        other = self.suggested_carrier
        if other is not None:
            text += f" It looks like a {carrier_name(other)} number: choose {carrier_name(other)}."
        return text

    @property
    def suggested_carrier(self) -> str | None:
        """Another carrier the entered number fits, when the chosen one does not."""
        number = self.tracking_number
        if not number or tracking_problem(self.carrier, number) is None:
            return None
        fitting = carriers_fitting(number)
        return fitting[0] if len(fitting) == 1 else None

    @property
    def checklist(self) -> list[CheckRow]:
        """Ready to ship's checks: label printed, attached, tracking number."""
        return self.stage_checks(OrderStatus.READY_TO_SHIP)

    @property
    def complete(self) -> bool:
        """The order left with the carrier."""
        return self.order is not None and self.order.status in _SHIPPED

    @property
    def shipped_text(self) -> str:
        """``Shipped with UPS · 1Z999AA10123456784`` ("" until shipped)."""
        order = self.order
        if order is None or not self.complete:
            return ""
        return f"Shipped with {carrier_name(order.carrier)} · {order.tracking_number}"

    @property
    def label_action(self) -> StepAction:
        """ "Print label" (a reprint once printed)."""
        printed = self.order is not None and self.order.label_printed_at is not None
        extra = None
        if self.carrier not in ISSUED_BY_SERVER and (
            not self.tracking_number or self.tracking_error is not None
        ):
            extra = (
                f"Scan or type the {self.carrier_label} tracking number first: the label shows it."
            )
        return self.action("print_label", "Print label again" if printed else "Print label", extra)

    @property
    def attach_action(self) -> StepAction:
        """ "Label attached"."""
        return self.action("attach_label", "Label attached")

    @property
    def ship_action(self) -> StepAction:
        """ "Mark shipped": the lifecycle first, then the tracking number."""
        extra = None
        if not self.tracking_number:
            extra = "Scan or type the tracking number first."
        elif self.tracking_error is not None:
            extra = self.tracking_error
        return self.action("ship", "Mark shipped", extra)

    @property
    def label_waiting(self) -> bool:
        """The label step is recorded but its paper waits for the network."""
        return self.order_id is not None and self.prints.is_pending(self.order_id, Document.LABEL)

    @property
    def label_status(self) -> str:
        """What happened to the label's paper ("" when nothing to say)."""
        if self.label_waiting:
            return "Label recorded; it prints when the network is back."
        return ""

    # -------------------------------------------------------------- commands

    def choose_carrier(self, code: str) -> None:
        """The carrier the parcel goes with."""
        if code.lower() not in CARRIERS:
            raise ValueError(f"unknown carrier {code!r}")
        self.carrier = code.lower()
        self.carrier_chosen = True
        self.problem = None
        self.changed()

    def use_suggested_carrier(self) -> None:
        """Switch to the one carrier the entered number fits."""
        other = self.suggested_carrier
        if other is not None:
            self.choose_carrier(other)

    def set_tracking(self, text: str) -> None:
        """The tracking number as typed (no redraw when it did not change)."""
        if text == self.tracking_text:
            return
        self.tracking_text = text
        self.problem = None
        self.changed()

    async def scan(self, code: str) -> bool:
        """A scanned label barcode fills the tracking number; True when it fits the carrier."""
        if not code.strip():
            return False
        self.tracking_text = normalise_tracking(code)
        self.form_revision += 1
        ok = self.tracking_error is None
        self.problem = None if ok else self.tracking_error
        self.changed()
        await self.cue(Cue.COUNTED if ok else Cue.WRONG)
        return ok

    async def print_label(self) -> bool:
        """Record "label printed" (with carrier, and number when known); open or queue the PDF."""
        order = self.order
        if order is None or self.order_id is None:
            return False
        reprint = order.label_printed_at is not None and order.carrier == self.carrier
        action = self.label_action
        if not action.enabled:
            self.problem = action.reason
            self.changed()
            return False
        if not reprint:
            carrier = self.carrier
            number = self.tracking_number if self.tracking_error is None else ""
            result = self._record(
                lambda s, o: actions.print_label(s, o, carrier=carrier, tracking_number=number)
            )
            if not self._finish(result, "Label printed."):
                return False
        await self._printed(
            Document.LABEL, "Label printed.", "Label recorded: waiting for the network."
        )
        return True

    async def attach_label(self) -> bool:
        """The label is on the package."""
        return self._finish(self._record(actions.attach_label), "Label attached.")

    async def ship(self) -> bool:
        """Mark shipped with the chosen carrier and the entered tracking number."""
        action = self.ship_action
        if not action.enabled:
            self.problem = action.reason
            self.changed()
            return False
        carrier, number = self.carrier, self.tracking_number
        result = self._record(lambda s, o: actions.mark_shipped(s, o, carrier, number))
        if not self._finish(result, f"Shipped with {carrier_name(carrier)} · {number}."):
            return False
        await self.cue(Cue.COMPLETE)
        return True
