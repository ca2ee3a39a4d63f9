"""Pick: count each line's items off the shelf by scanning, with wrong items impossible to miss.

A scan of a line's barcode or SKU counts one unit (or the typed quantity). A code that is
not on the order, or one unit too many, raises an :class:`Alert` that stays until the
picker acknowledges it; until then further scans are refused, so a second scan cannot
push the alert off the screen unseen. "Out of stock" on a line reports it short, and the
lifecycle puts the order on hold.
"""

from __future__ import annotations

from typing import ClassVar

from msgspec import Struct

from mobile.feedback import Cue
from mobile.routes import OrderStep
from mobile.store import LocalChange, actions
from mobile.viewmodels.format import plural
from mobile.viewmodels.steps.base import CheckRow, StepAction, StepViewModel
from shared.lifecycle import StepRefused, all_picked, find_line, open_lines
from shared.types import OrderLine, OrderStatus

#: the scan field's label (also how browser tests and screen readers find it)
SCAN_LABEL = "Scan item"
#: the most units one typed quantity may count
MAX_QUANTITY = 999

#: refusals of a scan that mean "this item should not go in the tote": they raise the alert
_ALERT_TITLES = {
    "wrong_item": "Wrong item",
    "over_pick": "Too many",
    "line_removed": "Item removed from the order",
    "wrong_status": "Cannot pick this order now",
}


class PickLine(Struct, frozen=True, kw_only=True):
    """One ordered item with its picking progress and where to find it."""

    id: str
    sku: str
    name: str
    barcode: str
    bin_location: str
    picked: int
    quantity: int
    short: int
    removed: bool

    @property
    def wanted(self) -> int:
        """Units to pick (ordered, less those reported short)."""
        return max(0, self.quantity - self.short)

    @property
    def left(self) -> int:
        """Units still to pick."""
        return 0 if self.removed else max(0, self.wanted - self.picked)

    @property
    def done(self) -> bool:
        """Every unit of the line is picked."""
        return not self.removed and self.picked >= self.quantity

    @property
    def progress(self) -> str:
        """``1 / 2 picked`` (with the short units, or "removed")."""
        if self.removed:
            return "removed"
        text = f"{self.picked} / {self.quantity} picked"
        return f"{text}, {self.short} out of stock" if self.short else text

    @property
    def where(self) -> str:
        """``Bin C-06-2 · SKU-1023`` (the bin first: it is where the picker walks to)."""
        parts = [f"Bin {self.bin_location}" if self.bin_location else "Bin unknown", self.sku]
        return " · ".join(parts)

    @property
    def semantics(self) -> str:
        """The line in one sentence for screen readers and browser tests."""
        return f"{self.name}, {self.progress}, {self.where}"


def line_of(line: OrderLine) -> PickLine:
    """A pick row from an order line."""
    return PickLine(
        id=line.id,
        sku=line.sku,
        name=line.name or line.sku,
        barcode=line.barcode,
        bin_location=line.bin_location,
        picked=line.picked,
        quantity=line.quantity,
        short=line.short,
        removed=line.removed,
    )


class Alert(Struct, frozen=True, kw_only=True):
    """A refused scan that stays on screen until the picker acknowledges it."""

    #: the lifecycle's refusal code (``wrong_item``, ``over_pick``, …)
    code: str
    title: str
    detail: str
    #: the scanned code or the line's SKU
    scanned: str

    @property
    def text(self) -> str:
        """Title and detail in one line (the banner's screen-reader label)."""
        return f"{self.title}: {self.detail}"


class PickViewModel(StepViewModel):
    """State and behaviour of the pick screen."""

    step: ClassVar[OrderStep] = OrderStep.PICK
    heading: ClassVar[str] = "Pick"
    scan_label: ClassVar[str] = SCAN_LABEL
    acknowledge_label: ClassVar[str] = "OK, got it"
    continue_label: ClassVar[str] = "Continue to inspect & pack"

    def _order_changed(self) -> None:
        self.alert: Alert | None = None
        self.quantity = 1
        self.quantity_error: str | None = None
        #: the line the last scan counted (the screen highlights it)
        self.last_line_id: str | None = None
        #: the line whose "Out of stock" waits for confirmation (it puts the order on hold)
        self.confirm_short_id: str | None = None

    # ----------------------------------------------------------------- state

    @property
    def lines(self) -> list[PickLine]:
        """Every line with its progress (removed lines too, marked so)."""
        return [line_of(ln) for ln in self.order.lines] if self.order else []

    @property
    def progress(self) -> str:
        """``3 of 5 items picked``."""
        order = self.order
        if order is None:
            return ""
        lines = open_lines(order)
        picked = sum(min(ln.picked, ln.quantity) for ln in lines)
        return f"{picked} of {plural(sum(ln.quantity for ln in lines), 'item')} picked"

    @property
    def complete(self) -> bool:
        """Every remaining line is picked (or the order is already past picking)."""
        order = self.order
        if order is None or order.status in (OrderStatus.NEW, OrderStatus.CANCELLED):
            return False
        return all_picked(order)

    @property
    def on_hold(self) -> bool:
        """The order was put on hold (an item is out of stock)."""
        return self.order is not None and self.order.status is OrderStatus.ON_HOLD

    @property
    def checklist(self) -> list[CheckRow]:
        """Processing's checks (picking is the first)."""
        return self.stage_checks(OrderStatus.PROCESSING)

    @property
    def scan_refusal(self) -> str | None:
        """Why a scan cannot count now (``None`` when the scan field is ready)."""
        if self.alert is not None:
            return f"Acknowledge the alert first: {self.alert.title.lower()}."
        return self.refusal("pick")

    @property
    def continue_action(self) -> StepAction:
        """ "Continue to inspect & pack", enabled once every line is picked."""
        if self.complete:
            return StepAction("continue", self.continue_label, True)
        return self.action("inspect", self.continue_label)

    def short_action(self, line: PickLine) -> StepAction:
        """ "Out of stock" on a line: reports the units not picked yet as short."""
        extra = None
        if line.removed:
            extra = "The item was removed from the order."
        elif line.quantity - line.picked - line.short < 1:
            extra = "Every unit of this item is picked or already reported."
        return self.action("mark_short", "Out of stock", extra)

    def count_action(self, line: PickLine) -> StepAction:
        """ "+1" on a line (for items without a readable barcode)."""
        extra = "Every unit of this item is picked." if line.left == 0 else None
        return self.action("pick", "Count one", self.scan_refusal or extra)

    def put_back_action(self, line: PickLine) -> StepAction:
        """ "−1" on a line: a unit went back to the shelf."""
        extra = "Nothing picked to put back." if line.picked == 0 else None
        return self.action("pick", "Put one back", self.scan_refusal or extra)

    @property
    def next_step(self) -> OrderStep | None:
        """Where "Continue" leads, once picking is complete."""
        return OrderStep.PACK if self.complete else None

    # -------------------------------------------------------------- commands

    def set_quantity(self, text: str) -> bool:
        """The quantity the next scan counts (typed), 1 to 999; ``quantity_error`` says why not."""
        value = text.strip()
        if (value or "1") == str(self.quantity) and self.quantity_error is None:
            return True  # unchanged: no redraw (it would replace a button being tapped)
        if not value:
            self.quantity, self.quantity_error = 1, None
        elif not value.isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
            self.quantity_error = f"Quantity: a whole number from 1 to {MAX_QUANTITY}."
        else:
            self.quantity, self.quantity_error = int(value), None
        self.changed()
        return self.quantity_error is None

    async def scan(self, code: str) -> bool:
        """A scanned barcode or SKU counts the typed quantity (1 unless typed) of its line."""
        wanted = code.strip()
        if not wanted or self.order is None:
            return False  # a scanner sending only Enter: nothing to count
        if self.alert is not None:
            # The alert stays: a scan must not count while a wrong item is unexplained.
            await self.cue(Cue.WRONG)
            self.changed()
            return False
        if self.quantity_error is not None:
            self.problem = self.quantity_error
            self.changed()
            return False
        quantity = self.quantity
        line_id = self._line_for(wanted)
        result = self._record(lambda s, o: actions.scan_item(s, o, wanted, quantity))
        return await self._counted(result, line_id, wanted)

    async def count(self, line_id: str, quantity: int = 1) -> bool:
        """Count units of a line chosen on screen (no barcode to scan, or a typed count)."""
        if self.order is None or quantity < 1:
            return False
        if self.alert is not None:
            await self.cue(Cue.WRONG)
            self.changed()
            return False
        result = self._record(lambda s, o: actions.pick_line(s, o, line_id, quantity))
        sku = next((ln.sku for ln in self.order.lines if ln.id == line_id), line_id)
        return await self._counted(result, line_id, sku)

    async def put_back(self, line_id: str, quantity: int = 1) -> bool:
        """Units of a line went back to the shelf (a mistake corrected)."""
        result = self._record(lambda s, o: actions.pick_line(s, o, line_id, -quantity))
        if isinstance(result, StepRefused):
            self.changed()
            return False
        self.message = f"{plural(quantity, 'unit')} put back."
        self.changed()
        return True

    def ask_short(self, line_id: str) -> None:
        """First tap on "Out of stock": ask to confirm (the order will go on hold)."""
        self.confirm_short_id = line_id
        self.changed()

    def cancel_short(self) -> None:
        """The line is not out of stock after all."""
        self.confirm_short_id = None
        self.changed()

    async def mark_short(self, line_id: str, missing: int | None = None) -> bool:
        """Report a line's unpicked units (or ``missing`` of them) out of stock: order on hold."""
        self.confirm_short_id = None
        result = self._record(lambda s, o: actions.mark_short(s, o, line_id, missing))
        if isinstance(result, StepRefused):
            self.changed()
            return False
        line = next(ln for ln in result.order.lines if ln.id == line_id)
        held = result.order.status is OrderStatus.ON_HOLD
        self.message = f"{line.name or line.sku}: reported out of stock." + (
            " The order is on hold until it is resolved with the customer." if held else ""
        )
        self.changed()
        return True

    async def acknowledge(self) -> None:
        """ "OK, got it": the picker has seen the alert; scanning goes on."""
        self.alert = None
        self.problem = None
        self.changed()

    # --------------------------------------------------------------- helpers

    def _line_for(self, code: str) -> str | None:
        if self.order is None:
            return None
        try:
            return self.order.lines[find_line(self.order, None, code)].id
        except StepRefused:
            return None

    async def _counted(
        self, result: LocalChange | StepRefused, line_id: str | None, scanned: str
    ) -> bool:
        if isinstance(result, StepRefused):
            self.alert = self._alert_of(result, line_id, scanned)
            self.problem = None  # the alert says it, louder
            self.changed()
            await self.cue(Cue.WRONG)
            return False
        self.quantity = 1
        self.last_line_id = line_id
        line = next((ln for ln in self.lines if ln.id == line_id), None)
        self.message = f"{line.name}: {line.progress}." if line else "Counted."
        complete = self.complete
        if complete:
            self.message = "Every item is picked."
        self.changed()
        await self.cue(Cue.COMPLETE if complete else Cue.COUNTED)
        return True

    def _alert_of(self, refused: StepRefused, line_id: str | None, scanned: str) -> Alert:
        order = self.order
        number = order.number if order else ""
        title = _ALERT_TITLES.get(refused.code, "Cannot count this")
        if refused.code == "wrong_item":
            detail = (
                f"{scanned} is not on order {number}. Put it back and scan an item of the list."
            )
        elif refused.code == "over_pick" and order is not None and line_id is not None:
            line = next(line_of(ln) for ln in order.lines if ln.id == line_id)
            detail = (
                f"{line.name} needs {line.wanted} and {line.picked} are already picked. "
                "Put the extra item back on the shelf."
            )
        else:
            detail = refused.message
        return Alert(code=refused.code, title=title, detail=detail, scanned=scanned)
