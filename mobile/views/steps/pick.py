"""The pick screen: the scan field on top, each line with its bin and progress below."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.routes import OrderStep
from mobile.theme import TOUCH
from mobile.viewmodels.steps.pick import PickLine, PickViewModel
from mobile.views.camera import camera_button, submit_to
from mobile.views.steps.common import (
    ScanField,
    StepPanel,
    action_button,
    alert_banner,
    header,
)


class PickPanel(StepPanel):
    """Scan items into the tote; a wrong one stops everything until acknowledged."""

    vm: PickViewModel

    def __init__(
        self,
        vm: PickViewModel,
        redraw: Callable[[], None],
        on_next: Callable[[OrderStep], None],
    ) -> None:
        super().__init__(vm, redraw)
        self.on_next = on_next
        self.scan = ScanField(vm.scan_label, "Scan an item's barcode, or type its SKU", vm.scan)
        self.scan.field.suffix_icon = camera_button(submit_to(self.scan.field))
        self.quantity = ft.TextField(
            label="Quantity",
            value="1",
            width=110,
            text_size=18,
            keyboard_type=ft.KeyboardType.NUMBER,
            # Read on leaving the field or Enter, not per keystroke (see the pack screen).
            on_blur=lambda e: vm.set_quantity(e.control.value or ""),
            on_submit=self._quantity_submitted,
        )
        # Made once: the fields inside keep their typed text and focus across redraws.
        self.scan_row = ft.Row(
            [self.scan.field, self.quantity],
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
        self.render(redraw=False)

    def top_controls(self) -> list[ft.Control]:
        """The alert (when up) and the scan field stay in view."""
        vm = self.vm
        shown: list[ft.Control] = []
        if vm.alert is not None:
            shown.append(alert_banner(vm.alert, vm.acknowledge_label, self._acknowledge))
        self.scan.set_refusal(vm.scan_refusal if vm.alert is None else None)
        self.quantity.error = vm.quantity_error
        if vm.quantity == 1 and vm.quantity_error is None:
            self.quantity.value = "1"
        shown.append(self.scan_row)
        return shown

    def body_controls(self) -> list[ft.Control]:
        """Progress, the lines, and "Continue" once every line is picked."""
        vm = self.vm
        progress = ft.Text(vm.progress, size=18, weight=ft.FontWeight.W_600)
        controls: list[ft.Control] = [header(vm, [progress])]
        controls += [self._line(line) for line in vm.lines]
        go_on = vm.continue_action
        controls.append(
            action_button(go_on, self._continue, primary=True, icon=ft.Icons.ARROW_FORWARD)
        )
        return controls

    def _line(self, line: PickLine) -> ft.Control:
        vm = self.vm

        async def count() -> None:
            await vm.count(line.id)

        async def put_back() -> None:
            await vm.put_back(line.id)

        async def short() -> None:
            await vm.mark_short(line.id)

        def ask_short() -> None:
            vm.ask_short(line.id)

        last = line.id == vm.last_line_id
        value = 0.0 if line.removed or not line.quantity else min(1.0, line.picked / line.quantity)
        plus, minus, out = vm.count_action(line), vm.put_back_action(line), vm.short_action(line)
        buttons: ft.Control = ft.Row(
            wrap=True,
            spacing=8,
            run_spacing=8,
            controls=[
                _small_button("+1", plus.enabled, count, f"{plus.label}: {line.name}"),
                _small_button("−1", minus.enabled, put_back, f"{minus.label}: {line.name}"),
                _small_button(
                    out.label, out.enabled, ask_short, f"{out.label}: {line.name}", danger=True
                ),
            ],
        )
        if vm.confirm_short_id == line.id:
            buttons = ft.Column(
                spacing=6,
                controls=[
                    ft.Text(
                        f"Report {line.left} × {line.sku} out of stock? "
                        "The order goes on hold until it is resolved with the customer.",
                        size=16,
                        color=ft.Colors.ERROR,
                    ),
                    ft.Row(
                        wrap=True,
                        spacing=8,
                        controls=[
                            _small_button(
                                "Yes, out of stock",
                                True,
                                short,
                                f"Yes, out of stock: {line.name}",
                                danger=True,
                            ),
                            _small_button("Cancel", True, vm.cancel_short, "Cancel out of stock"),
                        ],
                    ),
                ],
            )
        body = ft.Column(
            spacing=6,
            controls=[
                ft.Row(
                    [
                        ft.Text(line.name, size=18, weight=ft.FontWeight.W_600, expand=True),
                        ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.PRIMARY, size=28)
                        if line.done
                        else ft.Container(),
                    ]
                ),
                ft.Text(line.where, size=17),
                ft.Text(line.progress, size=20, weight=ft.FontWeight.BOLD),
                ft.ProgressBar(value=value, bar_height=8, border_radius=4),
                buttons,
            ],
        )
        return ft.Semantics(
            key=f"line:{line.id}",
            container=True,
            label=line.semantics,
            content=ft.Container(
                padding=12,
                border_radius=12,
                border=ft.Border.all(
                    3 if last else 1, ft.Colors.PRIMARY if last else ft.Colors.OUTLINE_VARIANT
                ),
                content=body,
            ),
        )

    async def _acknowledge(self) -> None:
        await self.vm.acknowledge()
        await self.scan.focus()

    async def _continue(self) -> None:
        if self.vm.next_step is not None:
            self.on_next(self.vm.next_step)

    async def _quantity_submitted(self, e: ft.Event[ft.TextField]) -> None:
        if self.vm.set_quantity(e.control.value or ""):
            await self.scan.focus()


def _small_button(
    text: str,
    enabled: bool,
    on_click: Callable[[], object],
    semantics: str,
    danger: bool = False,
) -> ft.Control:
    return ft.OutlinedButton(
        content=ft.Text(text, semantics_label=semantics),
        height=TOUCH,
        width=None if len(text) > 2 else TOUCH + 24,
        disabled=not enabled,
        on_click=on_click if enabled else None,
        style=ft.ButtonStyle(color=ft.Colors.ERROR) if danger and enabled else None,
    )
