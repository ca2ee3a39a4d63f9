"""The PWA's entry (packed as ``main.py``; runs in Pyodide in the browser's Python worker).

Before the app's first page: the device store's folder is mounted on IndexedDB and loaded
(:mod:`mobile.browser_runtime`). Then the same app as on a phone.
"""

from __future__ import annotations

import flet as ft

from mobile import browser_runtime
from mobile.main import main as app_main


async def main(page: ft.Page) -> None:
    """Prepare the browser's storage, then build the app for this page."""
    await browser_runtime.start()
    await app_main(page)


ft.run(main)
