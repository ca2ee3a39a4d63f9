"""The three step screens of the open order, ready for a layout to mount.

A layout asks :meth:`StepScreens.show` for the control of a step route (``/orders/{id}/
pick`` …) and puts it where the order's detail would go: its own page on a phone, the
detail pane beside the list on a tablet. "Continue" on one step navigates to the next.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile import routes
from mobile.routes import OrderStep, Route
from mobile.store import Store
from mobile.viewmodels.claim import ClaimViewModel
from mobile.viewmodels.steps import (
    DocumentOpener,
    PackViewModel,
    PickViewModel,
    PrintQueue,
    ShipViewModel,
    StepViewModel,
)
from mobile.views.steps.common import FletFeedback, StepPanel
from mobile.views.steps.pack import PackPanel
from mobile.views.steps.pick import PickPanel
from mobile.views.steps.ship import ShipPanel

Listener = Callable[[], None]


class StepScreens:
    """Pick, inspect & pack, and ship over one device store, with their panels."""

    def __init__(
        self,
        store: Store,
        opener: DocumentOpener,
        redraw: Callable[[], None],
        navigate: Callable[[Route], None],
        *,
        on_recorded: Callable[[], None] | None = None,
        subscribe: Callable[[Listener], Callable[[], None]] | None = None,
        claim: ClaimViewModel | None = None,
    ) -> None:
        """``on_recorded``: the workspace's ``local_change``; ``subscribe``: its ``subscribe``."""
        self.store = store
        self.opener = opener
        self.navigate = navigate
        self.claim = claim

        def recorded() -> None:
            if on_recorded is not None:
                on_recorded()
            if claim is not None:
                claim.worked()  # the holder's claim is renewed while they work

        # Made while the page is current: Flet registers services with that page.
        feedback = FletFeedback()
        self.pick = PickViewModel(store, feedback=feedback, on_recorded=recorded)
        self.pack = PackViewModel(store, opener, feedback=feedback, on_recorded=recorded)
        self.ship = ShipViewModel(store, opener, feedback=feedback, on_recorded=recorded)
        self.vms: dict[OrderStep, StepViewModel] = {
            OrderStep.PICK: self.pick,
            OrderStep.PACK: self.pack,
            OrderStep.SHIP: self.ship,
        }
        self.panels: dict[OrderStep, StepPanel] = {
            OrderStep.PICK: PickPanel(self.pick, redraw, self.continue_to),
            OrderStep.PACK: PackPanel(self.pack, redraw, self.continue_to),
            OrderStep.SHIP: ShipPanel(self.ship, redraw, lambda: navigate(routes.ORDERS)),
        }
        self.order_id: str | None = None
        self.step: OrderStep | None = None
        # "I'm picking this" over every step of the open order (None: no claims here).
        self._unsubscribe_claim: Callable[[], None] | None = None
        if claim is not None:
            for panel in self.panels.values():
                panel.claim = claim
            self._unsubscribe_claim = claim.subscribe(self._claim_changed)
        # Pulled changes (another device picked, the server issued the label) redraw the step.
        self._unsubscribe = subscribe(self.refresh) if subscribe is not None else None

    def show(self, route: Route) -> ft.Control:
        """The control of a step route, its order read from the store."""
        assert route.step is not None and route.order_id is not None
        self.order_id = route.order_id
        self.step = route.step
        self.vms[route.step].load(route.order_id)
        if self.claim is not None:
            self.claim.load(route.order_id)
        return self.panels[route.step].root

    def title(self, step: OrderStep) -> str:
        """The step's title for an app bar (``Pick · SF10042``)."""
        return self.vms[step].title

    def _claim_changed(self) -> None:
        step = self.step
        if step is not None and self.vms[step].order is not None:
            self.panels[step].render()

    def refresh(self) -> None:
        """Read the shown order again (after a sync)."""
        for vm in self.vms.values():
            if vm.order_id is not None:
                vm.refresh()

    async def network_back(self) -> int:
        """The network is back: open every waiting slip and label; returns how many."""
        opened = await PrintQueue(self.store).flush(self.opener)
        if opened:
            self.refresh()
        return opened

    async def focus(self, step: OrderStep) -> None:
        """Put the cursor in the step's scan field (pick and ship have one)."""
        panel = self.panels[step]
        if isinstance(panel, PickPanel | ShipPanel):
            await panel.scan.focus()

    def dispose(self) -> None:
        """Stop listening to the store and the view models."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._unsubscribe_claim is not None:
            self._unsubscribe_claim()
        if self.claim is not None:
            self.claim.dispose()
        for panel in self.panels.values():
            panel.dispose()

    def continue_to(self, step: OrderStep) -> None:
        """ "Continue": show the next step of the same order."""
        if self.order_id is not None:
            self.navigate(routes.order_step(self.order_id, step))
