"""The PWA's entry (packed as ``main.py``; runs in Pyodide in the browser's Python worker).

Before the app's first page: the device store's folder is mounted on IndexedDB and loaded
(:mod:`mobile.browser_runtime`). Then the same app as on a phone. Once it has started,
what this start compiled is kept for the next: ``pwa/code_cache.py``, which the worker
wrote as ``shipfloor_code_cache`` and installed as Python started.
"""

from __future__ import annotations

import asyncio

import flet as ft
import shipfloor_code_cache as code_cache  # type: ignore[import-not-found]

from mobile import browser_runtime
from mobile.main import main as app_main

#: when to store the compiled code, in seconds after the first screen (then after the one
#: before): soon, so that a quick reload finds it, and again as the first sync and the
#: first screens import more (:func:`code_cache.save` does nothing when nothing is new)
SAVE_CODE_AFTER_S = (1.0, 10.0, 60.0)

_tasks: set[asyncio.Task[None]] = set()


async def _save_code_cache() -> None:
    for delay in SAVE_CODE_AFTER_S:
        await asyncio.sleep(delay)
        await code_cache.save()


async def main(page: ft.Page) -> None:
    """Prepare the browser's storage, then build the app for this page."""
    await browser_runtime.start()
    await app_main(page)
    task = asyncio.create_task(_save_code_cache())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


ft.run(main)
