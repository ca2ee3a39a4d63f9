"""The order screen's "Out of stock" card: the short lines, Call and Email, the resolutions.

Its pieces carry keys like the rest of the order screen, so a redraw (a sync) updates
them in place and a tap under way is not lost.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.theme import TOUCH
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.outofstock import (
    ChoiceButton,
    ContactLink,
    OutOfStockViewModel,
    ShortLine,
)

_ICONS = {"Call": ft.Icons.PHONE, "Email": ft.Icons.EMAIL_OUTLINED}


class OutOfStockCard:
    """Shown on an order on hold for out of stock; records the resolution through its view model."""

    def __init__(self, detail: OrderDetailViewModel, redraw: Callable[[], None]) -> None:
        # Made before the order screen listens to ``detail``: the card forgets the last
        # order's typing before the screen redraws with the next one.
        self.vm = OutOfStockViewModel(detail)
        self.redraw = redraw
        #: one SKU field per line, kept across redraws so typing keeps its focus
        self._fields: dict[str, ft.TextField] = {}
        self._unsubscribe = self.vm.subscribe(redraw)

    def controls(self) -> list[ft.Control]:
        """The card, when the order needs it (else nothing)."""
        vm = self.vm
        if not vm.visible:
            self._fields = {}
            return []
        body: list[ft.Control] = [
            _own(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.REMOVE_SHOPPING_CART_OUTLINED, color=ft.Colors.ERROR),
                        ft.Text(vm.title, size=17, weight=ft.FontWeight.W_600),
                    ],
                    spacing=8,
                )
            )
        ]
        if vm.active:
            body.append(
                _own(
                    ft.Text(
                        f"Contact {vm.customer} now: offer an alternative or a refund of the "
                        "missing item, or cancel the order if neither works.",
                        size=15,
                    )
                )
            )
            body.append(
                ft.Row([_contact(c) for c in vm.contacts], wrap=True, spacing=12, key="contact")
            )
            for line in vm.lines:
                body.append(self._line(line))
            body.append(self._cancel(vm.cancel))
        if vm.error:
            body.append(_own(ft.Text(vm.error, color=ft.Colors.ERROR, size=15)))
        if vm.message:
            body.append(_own(ft.Text(vm.message, size=15, weight=ft.FontWeight.W_500)))
        return [
            ft.Card(
                key="out_of_stock",
                elevation=0,
                bgcolor=ft.Colors.ERROR_CONTAINER if vm.active else ft.Colors.SURFACE_CONTAINER_LOW,
                content=ft.Container(padding=16, content=ft.Column(body, spacing=10)),
            )
        ]

    def dispose(self) -> None:
        """Stop listening."""
        self._unsubscribe()
        self.vm.dispose()

    # --------------------------------------------------------------- pieces

    def _line(self, line: ShortLine) -> ft.Control:
        field = self._fields.get(line.id)
        if field is None:
            field = ft.TextField(
                label="Alternative SKU",
                hint_text="The item to send instead",
                dense=True,
                autocorrect=False,
                width=220,
                value=self.vm.alternative_skus.get(line.id, ""),
                on_change=lambda e: self.vm.set_alternative(line.id, e.control.value),
            )
            self._fields[line.id] = field

        async def alternative() -> None:
            await self.vm.send_alternative(line.id)

        async def refund() -> None:
            await self.vm.refund_line(line.id)

        return ft.Column(
            spacing=6,
            key=f"short:{line.id}",
            controls=[
                _own(ft.Text(line.text, size=16, weight=ft.FontWeight.W_500)),
                ft.Row(
                    [
                        _own(field),
                        _choice(line.alternative, alternative, ft.Icons.SWAP_HORIZ),
                        _choice(
                            line.remove,
                            refund,
                            ft.Icons.CURRENCY_EXCHANGE,
                            label=f"Refund item ({line.refund})",
                        ),
                    ],
                    wrap=True,
                    spacing=12,
                    run_spacing=8,
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
            ],
        )

    def _cancel(self, button: ChoiceButton) -> ft.Control:
        async def cancel() -> None:
            await self.vm.cancel_order()

        parts: list[ft.Control] = [_choice(button, cancel, ft.Icons.CANCEL_OUTLINED, danger=True)]
        if self.vm.confirm_cancel:
            parts.append(ft.TextButton("Keep the order", height=TOUCH, on_click=self.vm.keep_order))
        return ft.Row(parts, wrap=True, spacing=12, key="cancel")


def _contact(link: ContactLink) -> ft.Control:
    icon = _ICONS.get(link.label, ft.Icons.CONTACT_PHONE)
    if link.enabled:
        return ft.FilledTonalButton(
            f"{link.label} {link.value}",
            icon=icon,
            height=TOUCH,
            url=ft.Url(link.url),
            tooltip=f"{link.label} the customer",
        )
    return ft.Column(
        [
            ft.OutlinedButton(link.label, icon=icon, height=TOUCH, disabled=True),
            _own(ft.Text(link.reason, size=13, color=ft.Colors.ON_SURFACE_VARIANT)),
        ],
        spacing=2,
    )


def _choice(
    button: ChoiceButton,
    on_click: Callable[[], object],
    icon: ft.IconData,
    label: str | None = None,
    danger: bool = False,
) -> ft.Control:
    text = label or button.label
    if not button.enabled:
        return ft.Column(
            [
                ft.OutlinedButton(text, icon=icon, height=TOUCH, disabled=True),
                _own(
                    ft.Text(button.reason, size=13, color=ft.Colors.ON_SURFACE_VARIANT, width=260)
                ),
            ],
            spacing=2,
        )
    if danger:
        return ft.FilledButton(
            text,
            icon=icon,
            height=TOUCH,
            on_click=on_click,
            style=ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR),
        )
    return ft.FilledButton(text, icon=icon, height=TOUCH, on_click=on_click)


def _own(control: ft.Control) -> ft.Control:
    # Its own node for screen readers: otherwise Flutter merges the card's texts into the
    # text field's label (and a tap on that field lands on a button).
    return ft.Semantics(container=True, content=control)
