"""Dependencies every domain's handlers share: the session, the caller, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.security import Actor
from server.orders.service import OrderService
from server.orders.store import Origin
from server.settings import Settings


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """One database session per request."""
    async with state.db_factory() as session:
        yield session


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in caller (set by the bearer-token middleware)."""
    user = request.user
    assert isinstance(user, Actor)  # the middleware guarantees it on non-public routes
    return user


def provide_settings(state: State) -> Settings:
    """The instance's settings."""
    settings: Settings = state.settings
    return settings


def provide_orders(db_session: DbSession, actor: CurrentActor) -> OrderService:
    """The caller's vendor's orders."""
    return OrderService(db_session, actor.vendor_id)


def provide_origin(request: Request[Any, Any, Any], actor: CurrentActor) -> Origin:
    """Who acts, from which device (``X-Device-Id``), for the timeline."""
    device = request.headers.get("x-device-id", "")[:64]
    return Origin(source="app", actor_id=actor.user_id, actor_name=actor.name, device_id=device)


# Handler parameters name the dependency they want (Litestar injects by name).
DbSession = NamedDependency[AsyncSession]
CurrentActor = NamedDependency[Actor]
AppSettings = NamedDependency[Settings]
Orders = NamedDependency[OrderService]
ActingOrigin = NamedDependency[Origin]
