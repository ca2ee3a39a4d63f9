"""Liveness and readiness probes for load balancers and process managers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text


class HealthController(Controller):
    """``/health/live`` (the process answers) and ``/health/ready`` (the database answers)."""

    path = "/health"
    tags = ["health"]

    @get("/live", summary="The process is up")
    async def live(self) -> dict[str, str]:
        """Always ok while the event loop runs."""
        return {"status": "ok"}

    @get("/ready", summary="The database answers")
    async def ready(self, state: State) -> Response[dict[str, Any]]:
        """503 while the database cannot be reached."""
        try:
            async with state.db_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means "not ready", never a crash
            return Response(
                {"status": "unavailable", "detail": type(exc).__name__}, status_code=503
            )
        return Response({"status": "ok", "database": state.db_engine.dialect.name})
