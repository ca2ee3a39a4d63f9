"""Where the order screens get their orders from.

The view models only know :class:`OrderSource`. Today :class:`RestOrderSource` asks the
server; the offline app will answer the same questions from the device's order cache,
so the screens do not change when the data moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mobile.api import ApiClient, ApiError
from mobile.wire import ActionResult, OrderDetail, OrderPage, OrderSummary, StatusCounts
from shared.commands import Command
from shared.types import OrderStatus


class OrderSource(Protocol):
    """The questions the order list and the order screen ask."""

    async def counts(self, q: str = "") -> StatusCounts:
        """Orders per status under a search."""
        ...

    async def page(
        self,
        statuses: Sequence[OrderStatus] = (),
        q: str = "",
        cursor: str | None = None,
        limit: int = 50,
    ) -> OrderPage:
        """A page of orders, soonest ship-by first; ``cursor`` comes from the last page."""
        ...

    async def detail(self, order_id: str) -> OrderDetail:
        """One order with notes, timeline and allowed actions."""
        ...

    async def find_by_code(self, code: str) -> OrderSummary | None:
        """The order a scanned or typed code names (its order number), or None."""
        ...

    async def act(self, order_id: str, command: Command) -> ActionResult:
        """Take a lifecycle step on an order."""
        ...


class RestOrderSource:
    """:class:`OrderSource` answered by the server's REST API."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    async def counts(self, q: str = "") -> StatusCounts:
        """``GET /api/orders/counts``."""
        return await self.api.counts(q)

    async def page(
        self,
        statuses: Sequence[OrderStatus] = (),
        q: str = "",
        cursor: str | None = None,
        limit: int = 50,
    ) -> OrderPage:
        """``GET /api/orders`` sorted by ship-by."""
        return await self.api.orders(statuses, q, limit=limit, cursor=cursor)

    async def detail(self, order_id: str) -> OrderDetail:
        """``GET /api/orders/{id}``."""
        return await self.api.order(order_id)

    async def find_by_code(self, code: str) -> OrderSummary | None:
        """Search by the code and keep only an exact order-number match."""
        wanted = code.strip()
        if not wanted:
            return None
        # The search is "contains" (SF101 also finds SF1010…), hence the exact match; sorted
        # by number, the exact one comes before the longer numbers that start with it.
        page = await self.api.orders(q=wanted, sort="number", limit=50)
        for item in page.items:
            if item.number.casefold() == wanted.casefold():
                return item
        return None

    async def act(self, order_id: str, command: Command) -> ActionResult:
        """``POST /api/orders/{id}/actions``."""
        return await self.api.act(order_id, command)


__all__ = ["ApiError", "OrderSource", "RestOrderSource"]
