"""The inspect & pack screen: checklist, inspection, package and weight, packing slip."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.routes import OrderStep
from mobile.viewmodels.steps.pack import PACKAGE_TYPES, WEIGHT_UNITS, PackViewModel
from mobile.views.steps.common import (
    StepPanel,
    action_button,
    checklist,
    choice_chips,
    header,
    section,
    waiting_line,
)


class PackPanel(StepPanel):
    """Inspect, pack, print the slip; then on to shipping."""

    vm: PackViewModel

    def __init__(
        self,
        vm: PackViewModel,
        redraw: Callable[[], None],
        on_next: Callable[[OrderStep], None],
    ) -> None:
        super().__init__(vm, redraw)
        self.on_next = on_next
        self.package = ft.TextField(
            label="Package type",
            hint_text="Choose above or type, e.g. Small box",
            text_size=18,
            # Read on leaving the field, not per keystroke: a redraw while typing fast
            # sends an older value back to the field and loses characters.
            on_blur=lambda e: vm.set_package_type(e.control.value or ""),
            on_submit=lambda e: vm.set_package_type(e.control.value or ""),
        )
        self.weight = ft.TextField(
            label="Weight",
            hint_text="e.g. 850",
            text_size=18,
            expand=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            on_blur=lambda e: vm.set_weight(e.control.value or ""),
            on_submit=self._pack,
        )
        # The package card is made once so its fields keep their typed text and focus;
        # the chips and the "Packed" button inside it are rebuilt into these holders.
        self.package_types = ft.Column()
        self.weight_units = ft.Column()
        self.pack_button = ft.Column()
        self.package_section = section(
            "Package",
            [
                self.package_types,
                self.package,
                self.weight_units,
                ft.Row([self.weight]),
                self.pack_button,
            ],
        )
        self._revision = -1
        self.render(redraw=False)

    def body_controls(self) -> list[ft.Control]:
        """Checklist, inspection, package form, slip, and "Continue to ship"."""
        vm = self.vm
        if self._revision != vm.form_revision:
            # Only what the view model set itself: copying typed text back loses keystrokes.
            self._revision = vm.form_revision
            self.package.value = vm.package_type
            self.weight.value = vm.weight_text
        self.weight.suffix = ft.Text(vm.weight_unit, size=18)
        self.weight.helper = vm.weight_preview or f"in {vm.weight_unit}"
        self.weight.error = vm.weight_problem if vm.tried_to_pack else None
        self.package.error = vm.package_problem if vm.tried_to_pack else None
        self.package_types.controls = [
            choice_chips(
                [(t, t, t == vm.package_type) for t in PACKAGE_TYPES],
                vm.choose_package_type,
                "package-types",
            )
        ]
        self.weight_units.controls = [
            choice_chips(
                [(u, u, u == vm.weight_unit) for u in WEIGHT_UNITS],
                lambda unit: vm.set_weight(vm.weight_text, unit),
                "weight-units",
            )
        ]
        self.pack_button.controls = [
            action_button(vm.pack_action, vm.pack, icon=ft.Icons.INVENTORY_2)
        ]
        slip: list[ft.Control] = [action_button(vm.slip_action, vm.print_slip, icon=ft.Icons.PRINT)]
        if vm.slip_status:
            slip.append(waiting_line(vm.slip_status))
        return [
            header(vm),
            section("Checklist", [checklist(vm.checklist)]),
            section(
                "Inspect",
                [
                    ft.Text(
                        "Check each item for damage, and that it is the item ordered.", size=15
                    ),
                    action_button(vm.inspect_action, vm.inspect, icon=ft.Icons.FACT_CHECK),
                ],
            ),
            self.package_section,
            section("Packing slip", slip),
            action_button(
                vm.continue_action, self._continue, primary=True, icon=ft.Icons.ARROW_FORWARD
            ),
        ]

    async def _pack(self, e: ft.Event[ft.TextField]) -> None:
        self.vm.set_weight(e.control.value or "")
        await self.vm.pack()

    async def _continue(self) -> None:
        if self.vm.next_step is not None:
            self.on_next(self.vm.next_step)
