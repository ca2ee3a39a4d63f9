"""HTTP routes of the inventory domain."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import JSONBody, Parameter, PathParameter

from server.deps import CurrentActor, DbSession
from server.errors import MAX_OFFSET
from server.inventory import service
from server.inventory.schemas import Adjustment, ItemIn
from shared.types import InventoryItem

Sku = Annotated[str, PathParameter(max_length=64)]


class InventoryController(Controller):
    """The vendor's SKUs and stock."""

    path = "/api/inventory"
    tags = ["inventory"]

    @get("/", summary="List SKUs (search by SKU, barcode or name)")
    async def list_items(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[InventoryItem]:
        """Alphabetical by SKU."""
        return await service.list_items(db_session, actor.vendor_id, q, limit, offset)

    @get("/{sku:str}", summary="One SKU")
    async def get_item(self, db_session: DbSession, actor: CurrentActor, sku: Sku) -> InventoryItem:
        """Stock on hand, reserved and free."""
        return await service.get_item(db_session, actor.vendor_id, sku)

    @put("/{sku:str}", summary="Create or replace a SKU")
    async def put_item(
        self, db_session: DbSession, actor: CurrentActor, sku: Sku, data: JSONBody[ItemIn]
    ) -> InventoryItem:
        """Details and stock on hand; reservations by open orders are kept."""
        return await service.put_item(db_session, actor.vendor_id, sku, data)

    @post("/{sku:str}/adjust", status_code=200, summary="Correct stock on hand")
    async def adjust(
        self, db_session: DbSession, actor: CurrentActor, sku: Sku, data: JSONBody[Adjustment]
    ) -> InventoryItem:
        """Add (or remove, with a negative delta) units after a count."""
        return await service.adjust(db_session, actor.vendor_id, sku, data)
