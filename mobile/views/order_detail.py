"""One order: status and deadline, customer, address, items, next steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flet as ft

from mobile.routes import OrderStep
from mobile.theme import STATUS_COLORS, TOUCH, pill
from mobile.viewmodels.order_detail import (
    ActionRow,
    LineRow,
    NoteRow,
    OrderDetailViewModel,
    StepLink,
)
from mobile.viewmodels.orders import WAITING
from mobile.views.outofstock import OutOfStockCard
from mobile.views.sync import issue_card


class OrderDetailPanel:
    """The order screen's body (beside the list on wide screens, its own page on phones).

    Rebuilt from the view model on every change (a sync included): each piece carries a
    ``key`` so that Flet updates what is on screen instead of replacing it, and a tap under
    way on a button is not lost to a redraw (see :mod:`mobile.views.steps.common`).
    """

    def __init__(
        self,
        vm: OrderDetailViewModel,
        redraw: Callable[[], None],
        on_close: Callable[[], None] | None = None,
        show_title: bool = True,
        on_step: Callable[[OrderStep], None] | None = None,
    ) -> None:
        self.vm = vm
        self.redraw = redraw
        self.on_close = on_close
        #: opens a work screen (pick, inspect & pack, ship) of the shown order
        self.on_step = on_step
        #: phones show the title in the app bar instead
        self.show_title = show_title
        self.body = ft.Column(spacing=16, scroll=ft.ScrollMode.AUTO, expand=True)
        self.root = ft.Container(
            expand=True,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            content=self.body,
        )
        self.out_of_stock = OutOfStockCard(vm, self.render)
        self._unsubscribe = vm.subscribe(self.render)
        self.render(redraw=False)

    def render(self, redraw: bool = True) -> None:
        """Show the view model's state."""
        vm = self.vm
        if vm.order is None and not vm.error and not vm.loading:
            self.root.content = _placeholder()
        else:
            self.root.content = self.body
            self.body.controls = self._controls()
        if redraw:
            self.redraw()

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()
        self.out_of_stock.dispose()

    # --------------------------------------------------------------- pieces

    def _controls(self) -> list[ft.Control]:
        vm = self.vm
        order = vm.order
        if order is None:
            if vm.error:
                shown: list[ft.Control] = [
                    ft.Text(vm.error, color=ft.Colors.ERROR, size=16, key="error")
                ]
                if self.on_close is not None:
                    shown.append(
                        ft.TextButton(
                            "Back to the list", height=TOUCH, on_click=self.on_close, key="back"
                        )
                    )
                return shown
            if vm.loading:
                return [
                    ft.ProgressRing(key="loading"),
                    ft.Text("Waiting for this order to download…", size=16, key="waiting"),
                ]
            return []
        status = pill(vm.status_label, STATUS_COLORS[order.status])
        deadline = ft.Text(vm.deadline, size=15, color=ft.Colors.ON_SURFACE_VARIANT, key="deadline")
        controls: list[ft.Control] = []
        if self.show_title:
            header: list[ft.Control] = [
                ft.Text(vm.title, size=24, weight=ft.FontWeight.BOLD, expand=True),
                status,
            ]
            if self.on_close is not None:
                header.append(
                    ft.TextButton(
                        "Close", icon=ft.Icons.CLOSE, height=TOUCH, on_click=self.on_close
                    )
                )
            controls.append(
                ft.Row(header, vertical_alignment=ft.CrossAxisAlignment.CENTER, key="title")
            )
            if vm.deadline:
                controls.append(deadline)
        else:
            controls.append(ft.Row([status, deadline], spacing=12, wrap=True, key="status"))
        if vm.loading:
            controls.append(ft.ProgressBar(key="loading"))
        if vm.error:
            controls.append(ft.Text(vm.error, color=ft.Colors.ERROR, size=15, key="error"))
        if vm.message:
            controls.append(ft.Text(vm.message, size=15, weight=ft.FontWeight.W_500, key="message"))
        if vm.pending_text:
            controls.append(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, size=18, color=ft.Colors.TERTIARY),
                        ft.Text(vm.pending_text, size=15, color=ft.Colors.TERTIARY),
                    ],
                    spacing=6,
                    key="pending",
                )
            )
        controls.extend(issue_card(issue, vm.dismiss) for issue in vm.issues)
        controls.extend(self.out_of_stock.controls())
        address: list[ft.Control] = [ft.Text(x, size=16) for x in vm.address]
        for problem in vm.address_problems:
            address.append(ft.Text(f"⚠ {problem.capitalize()}", color=ft.Colors.ERROR, size=15))
        controls += [
            _section(
                "Customer",
                ft.Icons.PERSON_OUTLINE,
                [ft.Text(x, size=16) for x in vm.customer]
                + [ft.Text(vm.payment, size=15, color=ft.Colors.ON_SURFACE_VARIANT)],
            ),
            _section("Ship to", ft.Icons.LOCAL_SHIPPING_OUTLINED, address),
            _section("Items", ft.Icons.INVENTORY_2_OUTLINED, [_line(ln) for ln in vm.lines]),
        ]
        if self.on_step is not None:
            controls.append(
                _section("Work", ft.Icons.QR_CODE_SCANNER, self._step_buttons(vm.steps))
            )
        controls += [
            _section("Next steps", ft.Icons.CHECKLIST, self._actions(vm.actions)),
        ]
        if vm.notes:
            controls.append(
                _section("Notes", ft.Icons.STICKY_NOTE_2_OUTLINED, [_note(n) for n in vm.notes])
            )
        return controls

    def _actions(self, actions: list[ActionRow]) -> list[ft.Control]:
        buttons: list[ft.Control] = []
        others: list[ft.Control] = []
        for row in actions:
            if row.one_tap:
                buttons.append(self._action_button(row))
            else:
                text = "ready" if row.allowed else (row.reason or "not possible now")
                others.append(
                    ft.Text(
                        f"{row.label}: {text}",
                        size=14,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    )
                )
        if others:
            buttons.append(ft.Divider())
            buttons.append(ft.Text("Other steps", size=14, weight=ft.FontWeight.W_600))
            buttons.extend(others)
        return buttons

    def _go_to(self, step: OrderStep) -> Callable[[], None]:
        def go() -> None:
            if self.on_step is not None:
                self.on_step(step)

        return go

    def _step_buttons(self, links: list[StepLink]) -> list[ft.Control]:
        controls: list[ft.Control] = []
        for link in links:
            if link.enabled:
                controls.append(
                    ft.FilledButton(
                        link.label,
                        icon=ft.Icons.ARROW_FORWARD,
                        height=TOUCH,
                        on_click=self._go_to(link.step),
                    )
                )
            else:
                controls.append(
                    ft.Column(
                        [
                            ft.OutlinedButton(link.label, height=TOUCH, disabled=True),
                            ft.Text(link.reason, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                        ],
                        spacing=2,
                    )
                )
        return [ft.Row(controls, wrap=True, spacing=12, run_spacing=8)]

    def _action_button(self, row: ActionRow) -> ft.Control:
        async def run() -> None:
            await self.vm.run(row.action)

        busy = self.vm.busy_action == row.action
        button: ft.Control
        if row.enabled:
            button = ft.FilledTonalButton(
                row.label, height=TOUCH, on_click=run, disabled=bool(self.vm.busy_action)
            )
        else:
            button = ft.OutlinedButton(row.label, height=TOUCH, disabled=True)
        parts: list[ft.Control] = [button]
        if busy:
            parts.append(ft.ProgressRing(width=20, height=20))
        column: list[ft.Control] = [ft.Row(parts)]
        if not row.allowed and row.reason:
            column.append(ft.Text(row.reason, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
        return ft.Column(column, spacing=2, key=f"action:{row.action}")


def _placeholder() -> ft.Control:
    return ft.Container(
        expand=True,
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            tight=True,
            controls=[
                ft.Icon(
                    ft.Icons.RECEIPT_LONG_OUTLINED, size=48, color=ft.Colors.ON_SURFACE_VARIANT
                ),
                ft.Text(
                    "Select an order, or scan its packing slip.",
                    size=16,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
            ],
        ),
    )


def _section(title: str, icon: ft.IconData, body: Sequence[ft.Control]) -> ft.Control:
    return ft.Card(
        key=f"section:{title}",
        elevation=0,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                spacing=6,
                controls=[
                    ft.Row(
                        [
                            ft.Icon(icon, size=20, color=ft.Colors.PRIMARY),
                            ft.Text(title, size=15, weight=ft.FontWeight.W_600),
                        ],
                        spacing=8,
                    ),
                    *body,
                ],
            ),
        ),
    )


def _line(line: LineRow) -> ft.Control:
    meta = " · ".join(
        x for x in (line.sku, f"bin {line.bin_location}" if line.bin_location else "") if x
    )
    value = 0.0 if line.removed or not line.quantity else min(1.0, line.picked / line.quantity)
    # One node per line for screen readers: "Wooden spoon, 1 / 3 picked, SKU-1023 · bin C-06-2".
    return ft.Semantics(
        container=True,
        exclude_semantics=True,
        label=f"{line.name}, {line.progress}, {meta}",
        content=_line_body(line, meta, value),
    )


def _line_body(line: LineRow, meta: str, value: float) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(vertical=6),
        content=ft.Column(
            spacing=4,
            controls=[
                ft.Row(
                    [
                        ft.Text(line.name, size=16, weight=ft.FontWeight.W_500, expand=True),
                        ft.Text(
                            line.progress,
                            size=15,
                            weight=ft.FontWeight.W_600,
                            color=ft.Colors.PRIMARY if line.done else None,
                        ),
                    ]
                ),
                ft.Text(meta, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.ProgressBar(value=value, bar_height=6, border_radius=3),
            ],
        ),
    )


def _note(note: NoteRow) -> ft.Control:
    meta = " · ".join(x for x in (note.kind, note.author, note.at) if x)
    if note.pending:
        meta += f" · {WAITING}"
    return ft.Column(
        [
            ft.Text(note.text, size=16),
            ft.Text(meta, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
        ],
        spacing=2,
    )
