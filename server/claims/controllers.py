"""HTTP routes of the claims domain."""

from __future__ import annotations

from litestar import Controller, delete, get, put
from litestar.params import FromPath, JSONBody

from server.claims import service
from server.claims.schemas import Claim, ClaimBoard, ClaimRequest
from server.db import begin_write
from server.deps import ActingOrigin, CurrentActor, DbSession, Orders


class ClaimController(Controller):
    """Who is working which order right now ("I'm picking this")."""

    path = "/api"
    tags = ["claims"]

    @put(
        "/orders/{order_id:str}/claim",
        summary="Claim an order (or renew one's claim); 409 names who holds it",
    )
    async def claim(
        self,
        orders: Orders,
        actor: CurrentActor,
        origin: ActingOrigin,
        order_id: FromPath[str],
        data: JSONBody[ClaimRequest],
    ) -> Claim:
        """The claim runs ``minutes`` from now; ``take_over`` replaces someone else's."""
        await begin_write(orders.session)
        row = await orders.row(order_id)
        return await service.claim(
            orders.session, row, actor, origin.device_id, data.minutes, data.take_over
        )

    @delete("/orders/{order_id:str}/claim", status_code=204, summary="Release a claim")
    async def release(self, orders: Orders, actor: CurrentActor, order_id: FromPath[str]) -> None:
        """Idempotent: releasing an order nobody holds does nothing."""
        await begin_write(orders.session)
        row = await orders.row(order_id)
        await service.release(orders.session, row, actor)

    @get("/claims", summary="Every live claim of the vendor")
    async def board(self, db_session: DbSession, actor: CurrentActor) -> ClaimBoard:
        """With the server's clock, so devices judge expiry without trusting their own."""
        return await service.board(db_session, actor.vendor_id)
