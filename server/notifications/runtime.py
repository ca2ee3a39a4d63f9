"""What one server instance runs for notifications, started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.notifications.dispatcher import OutboxDispatcher
from server.notifications.events import LOCAL_HUB, Broker, PgListener
from server.notifications.webpush import ensure_key
from server.settings import Settings

log = logging.getLogger("shipfloor.notifications")


class NotificationRuntime:
    """The instance's live-event broker, its LISTEN connection and (unless off) a dispatcher."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        factory: async_sessionmaker[AsyncSession],
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.broker = Broker(asyncio.get_running_loop())
        self.dispatcher: OutboxDispatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: PgListener | None = None
        self._database = str(engine.sync_engine.url)
        self._postgres = engine.dialect.name == "postgresql"

    @classmethod
    async def start(
        cls, settings: Settings, engine: AsyncEngine, factory: async_sessionmaker[AsyncSession]
    ) -> NotificationRuntime:
        """Make sure a VAPID key exists, then listen and (unless disabled) dispatch."""
        runtime = cls(settings, engine, factory)
        async with factory() as session:
            await ensure_key(session)
        if settings.notifications.dispatcher:
            runtime.dispatcher = OutboxDispatcher(settings, factory)
            runtime._task = asyncio.create_task(
                runtime.dispatcher.run(), name="shipfloor-notification-dispatcher"
            )
        if runtime._postgres:
            runtime._listener = PgListener(
                settings.database_url, runtime._announced, runtime.broker.resync
            )
            await runtime._listener.start()
        else:
            LOCAL_HUB.add(runtime._database, runtime._announced)
        return runtime

    def _announced(self, body: dict[str, Any]) -> None:
        """A notifying change committed (here or on another instance)."""
        self.broker.publish(body)
        if body.get("w") and self.dispatcher is not None:
            self.dispatcher.wake()

    async def stop(self) -> None:
        """Stop listening and let the dispatcher finish its round (cancelled after 10 s)."""
        if not self._postgres:
            LOCAL_HUB.remove(self._database, self._announced)
        if self._listener is not None:
            await self._listener.stop()
        if self.dispatcher is not None and self._task is not None:
            self.dispatcher.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
            except TimeoutError:
                log.warning("notification dispatcher did not stop in time; cancelling")
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            except Exception:  # shutting down anyway: say why it had died, do not mask it
                log.exception("notification dispatcher had failed")
