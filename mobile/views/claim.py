"""The "I'm picking this" bar over an open order's steps and detail (thin over its view model)."""

from __future__ import annotations

import flet as ft

from mobile.theme import TOUCH
from mobile.viewmodels.claim import ClaimState, ClaimViewModel


def claim_bar(vm: ClaimViewModel) -> ft.Control:
    """Who is on the order and the one action that fits (keyed, so redraws keep it in place)."""
    state = vm.state
    icon = {
        ClaimState.FREE: ft.Icons.PAN_TOOL_OUTLINED,
        ClaimState.MINE: ft.Icons.PERSON,
        ClaimState.THEIRS: ft.Icons.PERSON_OUTLINE,
    }[state]
    colour = ft.Colors.TERTIARY if state is ClaimState.THEIRS else ft.Colors.PRIMARY
    buttons: list[ft.Control] = []
    if vm.confirming:
        buttons = [
            ft.FilledButton("Yes, take over", height=TOUCH, on_click=vm.take_over),
            ft.TextButton("No, leave it", height=TOUCH, on_click=vm.cancel_take_over),
        ]
    elif state is ClaimState.FREE:
        buttons = [
            ft.FilledTonalButton(
                "I'm picking this", height=TOUCH, disabled=not vm.can_act, on_click=vm.claim
            )
        ]
    elif state is ClaimState.MINE:
        buttons = [
            ft.OutlinedButton("Release", height=TOUCH, disabled=not vm.can_act, on_click=vm.release)
        ]
    else:
        buttons = [
            ft.OutlinedButton(
                "Take over", height=TOUCH, disabled=not vm.can_act, on_click=vm.ask_take_over
            )
        ]
    # Flutter's Wrap cannot hold an expanded child (a grey error box in release builds):
    # one row with the text taking the room left; the take-over question's two buttons
    # get a row of their own.
    inline = [] if vm.confirming else buttons
    rows: list[ft.Control] = [
        ft.Row(
            [
                ft.Icon(icon, color=colour, size=22),
                ft.Text(vm.text, size=15, expand=True, semantics_label=f"Claim: {vm.text}"),
                *inline,
            ],
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    ]
    if vm.confirming:
        rows.append(ft.Row(buttons, spacing=8, wrap=True, alignment=ft.MainAxisAlignment.END))
    if vm.message:
        rows.append(ft.Text(vm.message, size=14, color=ft.Colors.ERROR))
    return ft.Container(
        key="claim",
        padding=ft.Padding.symmetric(horizontal=12, vertical=4),
        border_radius=12,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
        content=ft.Column(rows, spacing=4, tight=True),
    )
