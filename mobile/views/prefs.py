"""Preferences kept by Flet's ``SharedPreferences`` (the browser's local storage on the web)."""

from __future__ import annotations

import flet as ft


class FletPreferences:
    """:class:`mobile.prefs.Preferences` on ``ft.SharedPreferences``."""

    def __init__(self, service: ft.SharedPreferences | None = None) -> None:
        # Made inside the page's context, the service registers itself with that page.
        self.service = service or ft.SharedPreferences()

    async def get(self, key: str) -> str | None:
        """The stored text, or None."""
        value = await self.service.get(key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        """Store text."""
        await self.service.set(key, value)

    async def remove(self, key: str) -> None:
        """Forget a key."""
        await self.service.remove(key)
