"""Inspect and pack: the quality check, package type and weight, and the packing slip.

The checklist is Processing's own (``shared.lifecycle.stage_checklist``): every item
picked, inspected, packed, slip printed. When the last is done the lifecycle moves the
order to Ready to ship. The slip step is recorded at once; the paper comes from the
server's PDF, which waits visibly for the network when the device is offline.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from mobile.routes import OrderStep
from mobile.store import LocalChange, actions
from mobile.viewmodels.steps.base import CheckRow, PrintingStepViewModel, StepAction
from mobile.viewmodels.steps.printing import Document
from shared.lifecycle import StepRefused
from shared.types import OrderStatus

#: package types offered as one-tap choices (any other type may be typed)
PACKAGE_TYPES: tuple[str, ...] = (
    "Padded envelope",
    "Poly mailer",
    "Small box",
    "Medium box",
    "Large box",
)

#: weight units a scale may show, in grams per unit
WEIGHT_UNITS: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}

#: the heaviest package (grams) the lifecycle's ``Pack`` takes
MAX_GRAMS = 1_000_000

_PAST_PACKING = (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def grams_text(grams: int) -> str:
    """``850 g`` / ``1.25 kg``."""
    if grams < 1000:
        return f"{grams} g"
    return f"{grams / 1000:,.3f}".rstrip("0").rstrip(".") + " kg"


class PackViewModel(PrintingStepViewModel):
    """State and behaviour of the inspect & pack screen."""

    step: ClassVar[OrderStep] = OrderStep.PACK
    heading: ClassVar[str] = "Inspect & pack"
    continue_label: ClassVar[str] = "Continue to ship"

    def _order_changed(self) -> None:
        self.package_type = ""
        self.weight_text = ""
        self.weight_unit = "g"
        #: set when the person tried to pack: field problems show from then on
        self.tried_to_pack = False

    def _loaded(self) -> None:
        package = self.order.package if self.order else None
        if package is not None and not self.package_type and not self.weight_text:
            # Packed already (here or on another device): show what was recorded.
            self.package_type = package.package_type
            self.weight_text, self.weight_unit = str(package.weight_grams), "g"
            self.form_revision += 1

    # ----------------------------------------------------------------- state

    @property
    def checklist(self) -> list[CheckRow]:
        """Processing's checks: picked, inspected, packed, slip printed."""
        return self.stage_checks(OrderStatus.PROCESSING)

    @property
    def complete(self) -> bool:
        """Processing is done: the order is ready to ship (or further)."""
        return self.order is not None and self.order.status in _PAST_PACKING

    @property
    def next_step(self) -> OrderStep | None:
        """Where "Continue" leads, once processing is done."""
        return OrderStep.SHIP if self.complete else None

    @property
    def continue_action(self) -> StepAction:
        """ "Continue to ship", enabled when processing is done."""
        if self.complete:
            return StepAction("continue", self.continue_label, True)
        return self.action("print_label", self.continue_label)

    @property
    def inspect_action(self) -> StepAction:
        """ "Items inspected": the quality check passed."""
        return self.action("inspect", "Items inspected, no damage")

    @property
    def weight_grams(self) -> int | None:
        """The typed weight in whole grams, or ``None`` while it is not a valid weight."""
        text = self.weight_text.strip().replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        if not value.is_finite():
            return None
        grams = int((value * WEIGHT_UNITS[self.weight_unit]).to_integral_value())
        return grams if 1 <= grams <= MAX_GRAMS else None

    @property
    def weight_problem(self) -> str | None:
        """What is wrong with the weight, naming the unit (``None`` when fine)."""
        text = self.weight_text.strip()
        if not text:
            return f"Weight: enter the package's weight in {self.weight_unit}."
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return f"Weight: {text!r} is not a number; enter it in {self.weight_unit}, e.g. 850."
        if not value.is_finite() or value <= 0:
            return "Weight: must be more than 0."
        if self.weight_grams is None:
            if value * WEIGHT_UNITS[self.weight_unit] < 1:
                return "Weight: must be at least 1 g."
            return f"Weight: at most {grams_text(MAX_GRAMS)}."
        return None

    @property
    def weight_preview(self) -> str:
        """The weight as it will be recorded: ``= 1.25 kg`` ("" while invalid)."""
        grams = self.weight_grams
        return f"= {grams_text(grams)}" if grams is not None else ""

    @property
    def package_problem(self) -> str | None:
        """What is wrong with the package type (``None`` when chosen)."""
        if not self.package_type.strip():
            return "Package: choose or type the package type."
        if len(self.package_type.strip()) > 100:
            return "Package: at most 100 characters."
        return None

    @property
    def pack_action(self) -> StepAction:
        """ "Packed": the lifecycle first, then the form."""
        refused = self.refusal("pack")
        if refused is not None:
            return StepAction("pack", "Packed", False, refused)
        if self.tried_to_pack:
            problem = self.package_problem or self.weight_problem
            if problem is not None:
                return StepAction("pack", "Packed", False, problem)
        return StepAction("pack", "Packed", True)

    @property
    def slip_action(self) -> StepAction:
        """ "Print packing slip" (a reprint once printed)."""
        printed = self.order is not None and self.order.slip_printed_at is not None
        return self.action(
            "print_slip", "Print packing slip again" if printed else "Print packing slip"
        )

    @property
    def slip_waiting(self) -> bool:
        """The slip step is recorded but its paper waits for the network."""
        return self.order_id is not None and self.prints.is_pending(
            self.order_id, Document.PACKING_SLIP
        )

    @property
    def slip_status(self) -> str:
        """What happened to the slip's paper, in a sentence ("" when nothing to say)."""
        if self.slip_waiting:
            return "Packing slip recorded; it prints when the network is back."
        return ""

    # -------------------------------------------------------------- commands

    def set_package_type(self, text: str) -> None:
        """A package type typed (no redraw when it did not change)."""
        if text == self.package_type:
            return
        self.package_type = text
        self.changed()

    def choose_package_type(self, text: str) -> None:
        """A package type chosen with one tap (the typed field shows it)."""
        self.package_type = text
        self.form_revision += 1
        self.changed()

    def set_weight(self, text: str, unit: str | None = None) -> None:
        """The weight as typed (any decimal, comma or point), in ``unit`` if given.

        No redraw when nothing changed: leaving the field by tapping a button must not
        replace that button under the finger.
        """
        if unit is not None and unit not in WEIGHT_UNITS:
            raise ValueError(f"unknown weight unit {unit!r}")
        if text == self.weight_text and unit in (None, self.weight_unit):
            return  # a redraw for nothing would replace the button being tapped
        self.weight_text = text
        self.weight_unit = unit or self.weight_unit
        self.changed()

    async def inspect(self) -> bool:
        """The picked items passed the quality check."""
        result = self._record(actions.inspect)
        return self._done(result, "Inspection recorded.")

    async def pack(self) -> bool:
        """Record the package type and weight (checked here first, with a clear reason)."""
        self.tried_to_pack = True
        grams = self.weight_grams
        problem = self.refusal("pack") or self.package_problem or self.weight_problem
        if problem is not None or grams is None:
            self.problem = problem
            self.changed()
            return False
        package = self.package_type.strip()
        result = self._record(lambda s, o: actions.pack(s, o, package, grams))
        return self._done(result, f"Packed: {package}, {grams_text(grams)}.")

    async def print_slip(self) -> bool:
        """Record "packing slip printed" and open the PDF, or queue it until online."""
        order = self.order
        if order is None or self.order_id is None:
            return False
        if order.slip_printed_at is None:
            # A reprint records nothing: the step was done once already.
            result = self._record(actions.print_slip)
            if not self._done(result, "Packing slip printed."):
                return False
        elif (refused := self.refusal("print_slip")) is not None:
            self.problem = refused
            self.changed()
            return False
        await self._printed(
            Document.PACKING_SLIP,
            "Packing slip printed.",
            "Packing slip recorded: waiting for the network.",
        )
        return True

    def _done(self, result: LocalChange | StepRefused, message: str) -> bool:
        ready = " The order is ready to ship." if self.complete else ""
        return self._finish(result, message + ready)
