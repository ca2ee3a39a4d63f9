"""The ship screen: carrier, label, tracking number (scanned or typed), mark shipped."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.theme import TOUCH
from mobile.viewmodels.steps.ship import ShipViewModel, carrier_name
from mobile.views.camera import camera_button, submit_to
from mobile.views.steps.common import (
    ScanField,
    StepPanel,
    action_button,
    checklist,
    choice_chips,
    header,
    section,
    waiting_line,
)


class ShipPanel(StepPanel):
    """Print and attach the label, record the tracking number, hand over to the carrier."""

    vm: ShipViewModel

    def __init__(
        self,
        vm: ShipViewModel,
        redraw: Callable[[], None],
        on_done: Callable[[], None],
    ) -> None:
        super().__init__(vm, redraw)
        self.on_done = on_done
        # A scan here fills the tracking number; typing into the same field works too.
        self.scan = ScanField(
            vm.scan_label,
            "Scan the label's barcode or type the number",
            vm.scan,
            clear_on_scan=False,
        )
        self.scan.field.suffix_icon = camera_button(submit_to(self.scan.field))
        # Typed without Enter: read when the field is left (e.g. tapping "Mark shipped").
        # Not per keystroke: a redraw while a scanner types sends an older value back.
        self.scan.field.on_blur = lambda e: vm.set_tracking(e.control.value or "")
        self.scan.field.capitalization = ft.TextCapitalization.CHARACTERS
        # Made once: the field keeps its typed text and focus across redraws.
        self.scan_row = ft.Row([self.scan.field])
        self._revision = -1
        self.render(redraw=False)

    def top_controls(self) -> list[ft.Control]:
        """The tracking number field stays in view."""
        vm = self.vm
        if vm.complete:
            return []
        field = self.scan.field
        if self._revision != vm.form_revision:
            # Only what the view model set itself: copying typed text back loses keystrokes.
            self._revision = vm.form_revision
            field.value = vm.tracking_text
        field.error = f"Not a {vm.carrier_label} tracking number" if vm.tracking_error else None
        field.helper = vm.format_hint
        return [self.scan_row]

    def body_controls(self) -> list[ft.Control]:
        """Checklist, carrier, label, shipping."""
        vm = self.vm
        if vm.complete:
            return [
                header(vm),
                ft.Row(
                    [
                        ft.Icon(ft.Icons.LOCAL_SHIPPING, color=ft.Colors.PRIMARY, size=32),
                        ft.Text(vm.shipped_text, size=20, weight=ft.FontWeight.W_600, expand=True),
                    ],
                    spacing=10,
                    key="shipped",
                ),
                ft.FilledButton(
                    "Back to the orders", height=TOUCH + 8, on_click=self._done, key="done"
                ),
            ]
        carriers = choice_chips(
            [(ch.code, ch.name, ch.selected) for ch in vm.carriers], vm.choose_carrier, "carriers"
        )
        suggestion: list[ft.Control] = []
        if vm.suggested_carrier is not None:
            suggestion.append(
                ft.OutlinedButton(
                    f"Use {carrier_name(vm.suggested_carrier)}",
                    height=TOUCH,
                    on_click=vm.use_suggested_carrier,
                    key="suggested",
                )
            )
        label: list[ft.Control] = [
            action_button(vm.label_action, vm.print_label, icon=ft.Icons.PRINT)
        ]
        if vm.label_status:
            label.append(waiting_line(vm.label_status))
        label.append(action_button(vm.attach_action, vm.attach_label, icon=ft.Icons.LABEL))
        return [
            header(vm),
            section("Checklist", [checklist(vm.checklist)]),
            section("Carrier", [carriers, *suggestion]),
            section("Shipping label", label),
            action_button(vm.ship_action, vm.ship, primary=True, icon=ft.Icons.LOCAL_SHIPPING),
        ]

    async def _done(self) -> None:
        self.on_done()
