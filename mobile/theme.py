"""Shipfloor's look: light and dark themes, status and deadline colours, sizes."""

from __future__ import annotations

import flet as ft

from shared.deadlines import Urgency
from shared.types import OrderStatus

SEED = "#1F6F5C"  # a calm warehouse green; Material derives both schemes from it

#: at or above this width the app shows a navigation rail and list beside detail
WIDE = 840
#: the smallest touch target (Material guideline; gloves on a warehouse floor)
TOUCH = 48


def theme(dark: bool = False) -> ft.Theme:
    """The Material 3 theme for light or dark mode."""
    return ft.Theme(
        color_scheme_seed=SEED,
        # Desktop browsers default to a compact density; the floor needs full-size targets.
        visual_density=ft.VisualDensity.STANDARD,
        chip_theme=ft.ChipTheme(
            padding=ft.Padding.symmetric(horizontal=8, vertical=8),
            show_checkmark=False,
        ),
    )


def apply(page: ft.Page) -> None:
    """Light and dark themes, following the system unless the user picked one."""
    page.theme = theme()
    page.dark_theme = theme(dark=True)
    if page.theme_mode is None:
        page.theme_mode = ft.ThemeMode.SYSTEM


#: (background, text) colours of each status label
STATUS_COLORS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.NEW: (ft.Colors.BLUE_100, ft.Colors.BLUE_900),
    OrderStatus.PROCESSING: (ft.Colors.AMBER_100, ft.Colors.BROWN_900),
    OrderStatus.READY_TO_SHIP: (ft.Colors.TEAL_100, ft.Colors.TEAL_900),
    OrderStatus.SHIPPED: (ft.Colors.INDIGO_100, ft.Colors.INDIGO_900),
    OrderStatus.DELIVERED: (ft.Colors.GREEN_100, ft.Colors.GREEN_900),
    OrderStatus.ON_HOLD: (ft.Colors.ORANGE_100, ft.Colors.DEEP_ORANGE_900),
    OrderStatus.CANCELLED: (ft.Colors.GREY_300, ft.Colors.GREY_800),
}

#: (background, text) colours of each deadline badge
URGENCY_COLORS: dict[Urgency, tuple[str, str]] = {
    Urgency.LATE: (ft.Colors.RED_700, ft.Colors.WHITE),
    Urgency.DUE_TODAY: (ft.Colors.ORANGE_800, ft.Colors.WHITE),
    Urgency.DUE_SOON: (ft.Colors.AMBER_200, ft.Colors.BLACK),
    Urgency.ON_TRACK: (ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT),
}


def pill(text: str, colors: tuple[str, str], semantics: str | None = None) -> ft.Container:
    """A small rounded label (status, deadline badge)."""
    bg, fg = colors
    return ft.Container(
        content=ft.Text(
            text, size=13, weight=ft.FontWeight.W_600, color=fg, semantics_label=semantics
        ),
        bgcolor=bg,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=12,
    )
