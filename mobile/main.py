"""Entry point of the Flet app: one :class:`~mobile.views.shell.ShipfloorApp` per page."""

from __future__ import annotations

import flet as ft

from mobile.views.shell import ShipfloorApp


async def main(page: ft.Page) -> None:
    """Build the app for one page (one browser tab when served)."""
    await ShipfloorApp(page).start()


if __name__ == "__main__":
    ft.run(main)
