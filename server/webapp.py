"""The Flet app, served to browsers by this server (Python runs here, one session per tab)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from server.settings import Settings


def create_web_app(
    settings: Settings,
) -> tuple[Any, Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """The Flet ASGI app and the start/stop hooks of its session manager.

    Everything is served from the installed flet-web package: no CDN is ever asked.
    """
    os.environ.setdefault("FLET_WEB_NO_CDN", "true")
    import flet as ft
    import flet_web.fastapi as flet_fastapi

    from mobile.main import main

    web = ft.run(main, export_asgi_app=True, no_cdn=True, name="")
    return web, flet_fastapi.app_manager.start, flet_fastapi.app_manager.shutdown
