"""What the three step screens share: one order from the device store, and its actions.

A step screen reads the order as the device shows it (server state plus this device's
pending changes) and records each action with :meth:`mobile.store.Store.record`. Which
buttons work, and why the others do not, comes from ``shared.lifecycle.allowed_actions``:
the same rules the server applies, never a second copy here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from msgspec import Struct, structs

from mobile.feedback import Cue, Feedback
from mobile.routes import OrderStep
from mobile.store import LocalChange, OrderDetail, OrderNotFound, Store
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import plural
from mobile.viewmodels.steps.printing import Document, DocumentOpener, PrintQueue
from shared import commands as c
from shared.lifecycle import Refusal, StepRefused, allowed_actions, stage_checklist
from shared.types import Order, OrderStatus, Step

#: what each lifecycle check reads like in a step's checklist
STEP_LABELS: dict[Step, str] = {
    Step.AVAILABILITY: "Item availability verified",
    Step.ADDRESS: "Shipping address checked",
    Step.PAYMENT: "Payment confirmed",
    Step.PICK: "Every item picked",
    Step.INSPECT: "Quality inspected",
    Step.PACK: "Packed",
    Step.PACKING_SLIP: "Packing slip printed",
    Step.LABEL_PRINTED: "Shipping label printed",
    Step.LABEL_ATTACHED: "Label attached to the package",
    Step.TRACKING: "Tracking number recorded",
    Step.DELIVERY_CONFIRMED: "Delivery confirmed",
}


class StepAction(Struct, frozen=True):
    """A button of a step screen: may it be used now, and if not, why not."""

    action: str
    label: str
    enabled: bool
    #: why the button is disabled ("" when enabled)
    reason: str = ""

    @property
    def semantics(self) -> str:
        """The button in one phrase, with the reason when it is disabled."""
        return self.label if self.enabled else f"{self.label} (unavailable: {self.reason})"


class CheckRow(Struct, frozen=True):
    """One check of the order's current stage and whether it is done."""

    step: Step
    label: str
    done: bool

    @property
    def semantics(self) -> str:
        """``Packed: done`` / ``Packed: to do``."""
        return f"{self.label}: {'done' if self.done else 'to do'}"


class StepViewModel(Observable):
    """One order as a step screen shows it, and how the screen records actions."""

    #: which step this screen is
    step: ClassVar[OrderStep]
    #: the screen's title, before the order number
    heading: ClassVar[str]

    def __init__(
        self,
        store: Store,
        *,
        feedback: Feedback | None = None,
        on_recorded: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        #: haptics and sound; the view sets its own when it shows this screen
        self.feedback = feedback
        #: called after every recorded action (the sync scheduler's "local change")
        self.on_recorded = on_recorded
        self.order_id: str | None = None
        self.detail: OrderDetail | None = None
        self._allowed: dict[str, Refusal | None] = {}
        #: why the order cannot be shown (not on this device)
        self.error: str | None = None
        #: what the last action did, in a sentence
        self.message: str | None = None
        #: why the last action was refused, in a sentence
        self.problem: str | None = None
        #: goes up whenever the view model itself changes a form field (not typing), so
        #: the view copies the field values back only then and never undoes keystrokes
        self.form_revision = 0
        #: goes up with every action tried and every order shown: a print that finishes
        #: later tells its outcome only if nothing happened since (see ``_printed``)
        self.attempts = 0
        self._order_changed()

    # ----------------------------------------------------------------- state

    @property
    def order(self) -> Order | None:
        """The order as this device shows it."""
        return self.detail.order if self.detail else None

    @property
    def title(self) -> str:
        """``Pick · SF10042``."""
        order = self.order
        return f"{self.heading} · {order.number}" if order else self.heading

    @property
    def status_label(self) -> str:
        """Where the order stands (``Processing``)."""
        return self.order.status.label if self.order else ""

    @property
    def waiting_to_sync(self) -> str:
        """``2 changes waiting to sync`` ("" when the server has everything)."""
        pending = len(self.detail.pending) if self.detail else 0
        return f"{plural(pending, 'change')} waiting to sync" if pending else ""

    @property
    def rejected(self) -> list[str]:
        """Changes to this order the server refused, each with its reason."""
        if self.detail is None:
            return []
        return [f"{c.action_name(r.mutation.command)}: {r.message}" for r in self.detail.rejected]

    def refusal(self, action: str) -> str | None:
        """Why the lifecycle does not allow ``action`` now, or ``None`` when it does."""
        if self.order is None:
            return "The order is not loaded."
        refused = self._allowed.get(action)
        return refused.message if refused else None

    def action(self, action: str, label: str, extra: str | None = None) -> StepAction:
        """A button for a lifecycle action; ``extra`` is a further reason of the screen's own."""
        reason = self.refusal(action) or extra
        return StepAction(action, label, reason is None, reason or "")

    def stage_checks(self, status: OrderStatus) -> list[CheckRow]:
        """The checks of ``status``'s stage, done or not, whatever stage the order is at now."""
        order = self.order
        if order is None:
            return []
        as_if = structs.replace(order, status=status, held_from=None)
        return [CheckRow(step, STEP_LABELS[step], done) for step, done in stage_checklist(as_if)]

    # -------------------------------------------------------------- commands

    def load(self, order_id: str) -> bool:
        """Read the order from the device store; ``error`` says why when it is not there."""
        if order_id != self.order_id:
            self.message = None
            self.problem = None
            self.attempts += 1
            self._order_changed()
        self.order_id = order_id
        self._read()
        self.changed()
        return self.detail is not None

    def refresh(self) -> None:
        """Read the order again (after a sync brought news)."""
        if self.order_id is not None:
            self._read()
            self.changed()

    def _read(self) -> None:
        assert self.order_id is not None
        self.detail = self.store.order_detail(self.order_id)
        if self.detail is None:
            self.error = "This order is not on this device yet: sync, then try again."
            self._allowed = {}
        else:
            self.error = None
            self._allowed = allowed_actions(self.detail.order)
            self._loaded()

    def _loaded(self) -> None:
        """Hook: the order was (re)read; a subclass fills its fields from it."""

    def _order_changed(self) -> None:
        """Hook: another order is about to be shown; a subclass clears its fields."""

    def _record(self, make: Callable[[Store, str], LocalChange]) -> LocalChange | StepRefused:
        """Record one action; the refusal is returned (and ``problem`` set), never raised."""
        self.attempts += 1
        if self.order_id is None:
            return self._refused(StepRefused("not_loaded", "The order is not loaded."))
        try:
            change = make(self.store, self.order_id)
        except StepRefused as refused:
            return self._refused(refused)
        except OrderNotFound:
            return self._refused(
                StepRefused("not_found", "This order is no longer on this device.")
            )
        self.problem = None
        self._read()
        if self.on_recorded is not None:
            self.on_recorded()
        return change

    def _refused(self, refused: StepRefused) -> StepRefused:
        self.problem = refused.message
        self.message = None
        return refused

    def _finish(self, result: LocalChange | StepRefused, message: str) -> bool:
        """After recording: the message on success; on refusal ``problem`` is already set."""
        if isinstance(result, StepRefused):
            self.changed()
            return False
        self.message = message
        self.changed()
        return True

    async def cue(self, cue: Cue) -> None:
        """Ask the view for haptics and sound, when it supplied them."""
        if self.feedback is not None:
            await self.feedback.cue(cue)


class PrintingStepViewModel(StepViewModel):
    """A step that prints a server document (slip, label), or queues it while offline."""

    def __init__(
        self,
        store: Store,
        opener: DocumentOpener,
        *,
        feedback: Feedback | None = None,
        on_recorded: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(store, feedback=feedback, on_recorded=on_recorded)
        #: opens the server's PDFs (the shell supplies it)
        self.opener = opener
        self.prints = PrintQueue(store)

    @property
    def waiting_prints(self) -> list[str]:
        """This order's documents waiting for the network (``Packing slip``, …)."""
        if self.order_id is None:
            return []
        return [p.document.label for p in self.prints.pending(self.order_id)]

    async def _printed(self, document: Document, done: str, waiting: str) -> None:
        """Open the shown order's document (or queue it while offline), then say which.

        Opening takes a round trip or two (a label's step is pushed first): when the person
        has done something else meanwhile, that newer outcome stays on screen.
        """
        assert self.order_id is not None
        attempts = self.attempts
        opened = await self.prints.open(self.opener, self.order_id, document)
        if self.attempts == attempts:
            self.message = done if opened else waiting
            self.changed()

    async def network_back(self) -> int:
        """The network is back: open this order's waiting documents; returns how many."""
        if self.order_id is None:
            return 0
        opened = await self.prints.flush(self.opener, self.order_id)
        if opened:
            self.message = f"{opened} waiting document(s) sent to the printer."
            self.changed()
        return opened
