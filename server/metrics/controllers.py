"""HTTP route of the metrics domain."""

from __future__ import annotations

from litestar import Controller, get

from server.deps import CurrentActor, DbSession
from server.metrics import service
from server.metrics.service import Metrics


class MetricsController(Controller):
    """Where the seller stands before the marketplace tells them."""

    path = "/api/metrics"
    tags = ["metrics"]

    @get("/", summary="Seller metrics for the trailing 7 and 30 days")
    async def metrics(self, db_session: DbSession, actor: CurrentActor) -> Metrics:
        """Late shipment, cancellation, valid tracking, on-time delivery, time to ship."""
        return await service.compute(db_session, actor.vendor_id)
