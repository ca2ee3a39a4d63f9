"""HTTP routes of the payouts domain (owner only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from server.accounts.security import owner_only
from server.deps import CurrentActor, DbSession
from server.errors import MAX_OFFSET
from server.payouts import service
from server.payouts.service import PayoutOut


class PayoutController(Controller):
    """Money due to the seller for delivered orders."""

    path = "/api/payouts"
    tags = ["payouts"]
    guards = [owner_only]

    @get("/", summary="Payouts, newest first (owner only)")
    async def list_payouts(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[PayoutOut]:
        """Order total less the marketplace fee, in minor units."""
        return await service.list_payouts(db_session, actor.vendor_id, limit, offset)

    @get("/export.csv", summary="Payouts as CSV (owner only)", media_type="text/csv")
    async def export(self, request: Request[Any, Any, Any], actor: CurrentActor) -> Stream:
        """Every payout, oldest first, streamed."""

        async def rows() -> AsyncIterator[bytes]:
            async with request.app.state.db_factory() as session:
                async for chunk in service.stream_csv(session, actor.vendor_id):
                    yield chunk

        return Stream(
            rows(),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
            headers={"Content-Disposition": 'attachment; filename="payouts.csv"'},
        )
