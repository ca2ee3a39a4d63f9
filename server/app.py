"""The app factory: the one place that assembles the server from its domains."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.exc import DBAPIError

from server import deps
from server.accounts.controllers import AccountController, AuthController
from server.accounts.security import PUBLIC_PATHS, BearerAuthMiddleware, owner_only
from server.claims.controllers import ClaimController
from server.db import create_engine, session_factory
from server.documents.controllers import DocumentController
from server.errors import (
    database_handler,
    document_errors,
    http_handler,
    internal_handler,
    step_refused_handler,
    undecodable_handler,
    validation_handler,
)
from server.headers import SecurityHeaders, before_send_hook
from server.health import HealthController
from server.heap import freeze_startup_heap
from server.intake.controllers import IntakeController
from server.inventory.controllers import InventoryController
from server.metrics.controllers import MetricsController
from server.notifications.controllers import (
    EventsController,
    PreferencesController,
    PushController,
)
from server.notifications.runtime import NotificationRuntime
from server.orders.controllers import OrderController
from server.outofstock.controllers import OutOfStockController
from server.payouts.controllers import PayoutController
from server.settings import Settings
from server.sync.controllers import SyncController
from server.sync.openapi import document_sync_bodies
from server.tracking.controllers import TrackingController
from shared.lifecycle import StepRefused

log = logging.getLogger("shipfloor")

#: libraries that log every SQL statement *with its parameters* (password hashes, token
#: hashes, intake secrets) at DEBUG: capped, so turning the server's logging up is safe
CHATTY_LOGGERS = ("aiosqlite",)

#: path prefixes the API serves; everything else is the app (its shell, assets, websocket)
API_PREFIXES = ("/api/", "/api", "/schema", "/health/")


def create_api(settings: Settings) -> Litestar:
    """The Litestar API application."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    engine = create_engine(settings.database_url)

    async def on_startup(app: Litestar) -> None:
        app.state.settings = settings
        app.state.db_engine = engine
        app.state.db_factory = session_factory(engine)
        app.state.notifications = await NotificationRuntime.start(
            settings, engine, app.state.db_factory
        )

    async def on_shutdown(app: Litestar) -> None:
        await app.state.notifications.stop()
        await engine.dispose()

    app = Litestar(
        route_handlers=[
            AuthController,
            AccountController,
            OrderController,
            InventoryController,
            IntakeController,
            DocumentController,
            TrackingController,
            PayoutController,
            MetricsController,
            OutOfStockController,
            ClaimController,
            PushController,
            PreferencesController,
            EventsController,
            SyncController,
            HealthController,
        ],
        dependencies={
            "db_session": Provide(deps.provide_session),
            "actor": Provide(deps.provide_actor, sync_to_thread=False),
            "settings": Provide(deps.provide_settings, sync_to_thread=False),
            "orders": Provide(deps.provide_orders, sync_to_thread=False),
            "origin": Provide(deps.provide_origin, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(BearerAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers={
            StepRefused: step_refused_handler,
            ValidationException: validation_handler,
            HTTPException: http_handler,
            UnicodeDecodeError: undecodable_handler,
            DBAPIError: database_handler,
            Exception: internal_handler,
        },
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        before_send=[before_send_hook(settings)],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Shipfloor",
            version="0.1.0",
            description="Offline-first order fulfilment for marketplace sellers.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(), SwaggerRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
            security=[{"BearerToken": []}],
        ),
        debug=settings.debug,
    )
    document_errors(app, PUBLIC_PATHS, owner_only)
    document_sync_bodies(app)  # after: it fills in what the route table cannot say
    return app


class Dispatcher:
    """Send API paths to Litestar and everything else to the Flet app, on one origin.

    Lifespan events go to Litestar, which also starts and stops Flet's session manager.
    """

    def __init__(self, api: Litestar, web: ASGIApp | None) -> None:
        self.api = api
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.web is None:
            await self.api(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        if path == "/api" or path.startswith(API_PREFIXES):
            await self.api(scope, receive, send)
        else:
            await self.web(scope, receive, send)


def create_app(settings: Settings | None = None) -> Any:
    """The whole server: API plus, unless disabled, the Flet app served at ``/``."""
    settings = settings or Settings.from_env()
    api = create_api(settings)
    if not settings.serve_app:
        return api
    from server.pwa import pwa_app

    if (static := pwa_app()) is not None:  # SHIPFLOOR_APP=pwa: the offline PWA at /
        return Dispatcher(api, SecurityHeaders(static, settings))
    from server.webapp import create_web_app

    web, start, stop = create_web_app(settings)
    # The hooks themselves (async, no parameters): a lambda returning their coroutine is
    # never awaited by Litestar, and Flet's manager would never evict closed sessions.
    api.on_startup.append(start)
    api.on_shutdown.append(stop)
    return Dispatcher(api, SecurityHeaders(web, settings))


def create_process_app(settings: Settings | None = None) -> Any:
    """:func:`create_app` as a server process runs it (``server.cli run``, uvicorn's
    factory): the same app, and the process's startup heap frozen once it has started.

    Kept apart from ``create_app`` because freezing is process-wide: tests build many apps
    in one process, and objects frozen with one of them would outlive it.
    """
    app = create_app(settings)
    api: Litestar = app.api if isinstance(app, Dispatcher) else app
    api.on_startup.append(freeze_startup_heap)  # last: after every other startup hook
    return app
