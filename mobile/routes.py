"""The app's routes: ``/login``, ``/orders``, ``/orders/{id}``, its steps, ``/metrics``,
``/settings``.

An order's work steps are ``/orders/{id}/pick``, ``/orders/{id}/pack`` (inspect and
pack) and ``/orders/{id}/ship``.

A route is also a deep link: opening ``/orders/{id}`` (typed, bookmarked, or from a
notification) lands on that order, after sign-in if needed.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote, unquote, urlsplit

from msgspec import Struct


class Screen(StrEnum):
    """The top-level screens."""

    LOGIN = "login"
    ORDERS = "orders"
    METRICS = "metrics"
    SETTINGS = "settings"


class OrderStep(StrEnum):
    """The work steps of one order, each its own screen."""

    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"


class Route(Struct, frozen=True):
    """Where the app is: a screen and, on the orders screen, maybe one order and a step."""

    screen: Screen
    order_id: str | None = None
    step: OrderStep | None = None

    @property
    def path(self) -> str:
        """The route as a URL path."""
        if self.screen is Screen.ORDERS and self.order_id:
            base = f"/orders/{quote(self.order_id, safe='')}"
            return f"{base}/{self.step.value}" if self.step else base
        return f"/{self.screen.value}"

    @property
    def needs_session(self) -> bool:
        """Every screen but sign-in needs a signed-in user."""
        return self.screen is not Screen.LOGIN


ORDERS = Route(Screen.ORDERS)
LOGIN = Route(Screen.LOGIN)
SETTINGS = Route(Screen.SETTINGS)
METRICS = Route(Screen.METRICS)


def parse(route: str) -> Route:
    """The route of a path; unknown paths go to the order list."""
    path = urlsplit(route or "/").path
    parts = [unquote(p) for p in path.split("/") if p]
    if parts[:1] == ["login"]:
        return LOGIN
    if parts[:1] == ["settings"]:
        return SETTINGS
    if parts[:1] == ["metrics"]:
        return METRICS
    if parts[:1] == ["orders"] and len(parts) >= 2 and parts[1]:
        wanted = parts[2] if len(parts) >= 3 else ""
        steps = {s.value: s for s in OrderStep}
        return Route(Screen.ORDERS, parts[1], steps.get(wanted))
    return ORDERS


def order(order_id: str) -> Route:
    """The route of one order."""
    return Route(Screen.ORDERS, order_id)


def order_step(order_id: str, step: OrderStep) -> Route:
    """The route of one work step (pick, pack, ship) of one order."""
    return Route(Screen.ORDERS, order_id, step)
