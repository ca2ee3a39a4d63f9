"""Entry point of the Flet app (placeholder until the app lands)."""

from __future__ import annotations

import flet as ft


async def main(page: ft.Page) -> None:
    """Build the app for one page/session."""
    page.title = "Shipfloor"
    page.add(ft.Text("Shipfloor"))
