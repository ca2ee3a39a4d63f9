"""The app's routes: ``/login``, ``/orders``, ``/orders/{id}``, ``/settings``.

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
    SETTINGS = "settings"


class Route(Struct, frozen=True):
    """Where the app is: a screen and, on the orders screen, maybe one order."""

    screen: Screen
    order_id: str | None = None

    @property
    def path(self) -> str:
        """The route as a URL path."""
        if self.screen is Screen.ORDERS and self.order_id:
            return f"/orders/{quote(self.order_id, safe='')}"
        return f"/{self.screen.value}"

    @property
    def needs_session(self) -> bool:
        """Every screen but sign-in needs a signed-in user."""
        return self.screen is not Screen.LOGIN


ORDERS = Route(Screen.ORDERS)
LOGIN = Route(Screen.LOGIN)
SETTINGS = Route(Screen.SETTINGS)


def parse(route: str) -> Route:
    """The route of a path; unknown paths go to the order list."""
    path = urlsplit(route or "/").path
    parts = [unquote(p) for p in path.split("/") if p]
    if parts[:1] == ["login"]:
        return LOGIN
    if parts[:1] == ["settings"]:
        return SETTINGS
    if parts[:1] == ["orders"] and len(parts) >= 2 and parts[1]:
        return Route(Screen.ORDERS, parts[1])
    return ORDERS


def order(order_id: str) -> Route:
    """The route of one order."""
    return Route(Screen.ORDERS, order_id)
