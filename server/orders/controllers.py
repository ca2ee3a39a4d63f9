"""HTTP routes of the orders domain."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from server.deps import ActingOrigin, CurrentActor, Orders
from server.ids import utcnow
from server.orders.export import stream_csv
from server.orders.schemas import (
    ActionResult,
    BulkRequest,
    BulkResult,
    NewNote,
    OrderDetail,
    OrderPage,
    SortKey,
    StatusCounts,
)
from server.orders.service import MAX_PAGE
from shared.commands import Command
from shared.deadlines import DueView
from shared.types import Note, OrderStatus

DueFilter = Annotated[
    DueView | None,
    QueryParameter(
        name="due",
        description="Open orders only: overdue, due later today, or due within 24 h",
    ),
]
StatusFilter = Annotated[
    list[OrderStatus] | None,
    QueryParameter(name="status", description="Only these statuses (repeat for several)"),
]
# No NUL: PostgreSQL refuses it, and the export would find out only after its 200 was sent.
Search = Annotated[
    str | None,
    Parameter(
        max_length=100,
        pattern=r"^[^\x00]*$",
        description="Order number or customer name, any part, any case",
    ),
]


class OrderController(Controller):
    """The vendor's orders."""

    path = "/api/orders"
    tags = ["orders"]

    @get("/", summary="List orders (filter, search, sort, keyset pages)")
    async def list_orders(
        self,
        orders: Orders,
        status: StatusFilter = None,
        q: Search = None,
        sort: FromQuery[SortKey] = SortKey.SHIP_BY,
        desc: FromQuery[bool] = False,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=500)] = None,
        due: DueFilter = None,
    ) -> OrderPage:
        """Soonest ship-by first by default; pass ``next_cursor`` back for the next page."""
        return await orders.page(status, q, sort, desc, limit, cursor, due)

    @get("/due-counts", summary="Open orders overdue, due today and due within 24 h")
    async def due_counts(self, orders: Orders) -> dict[str, int]:
        """The processing-time views' badges (vendor's time zone for "today")."""
        return await orders.due_counts()

    @get("/counts", summary="Orders per status")
    async def counts(self, orders: Orders, q: Search = None) -> StatusCounts:
        """For the status filter chips, under the same search."""
        return await orders.counts(q)

    @get(
        "/export.csv", summary="Export the current filter as CSV (streamed)", media_type="text/csv"
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        status: StatusFilter = None,
        q: Search = None,
        due: DueFilter = None,
    ) -> Stream:
        """Every matching order, one row each, in order of creation."""
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return Stream(
            stream_csv(request.app.state.db_factory, actor.vendor_id, status, q, due),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
            headers={"Content-Disposition": f'attachment; filename="orders-{stamp}.csv"'},
        )

    @get("/{order_id:str}", summary="One order with notes, timeline and allowed actions")
    async def detail(self, orders: Orders, order_id: FromPath[str]) -> OrderDetail:
        """Everything the order screen shows."""
        return await orders.detail(order_id)

    @post("/{order_id:str}/actions", status_code=200, summary="Take a lifecycle step")
    async def act(
        self, orders: Orders, origin: ActingOrigin, order_id: FromPath[str], data: JSONBody[Command]
    ) -> ActionResult:
        """409 with a reason code and sentence when the lifecycle does not allow it."""
        return await orders.act(order_id, data, origin)

    @post("/bulk", status_code=200, summary="One lifecycle step on many orders")
    async def bulk(
        self, orders: Orders, origin: ActingOrigin, data: JSONBody[BulkRequest]
    ) -> BulkResult:
        """A result per order; one refusal does not stop the others."""
        return await orders.bulk(data.order_ids, data.command, origin)

    @post("/{order_id:str}/notes", status_code=201, summary="Add an internal note")
    async def add_note(
        self, orders: Orders, origin: ActingOrigin, order_id: FromPath[str], data: JSONBody[NewNote]
    ) -> Note:
        """Notes are append-only; a client-chosen id makes a retry harmless."""
        return await orders.add_note(order_id, data, origin)
