"""The HTTP side of sync as an interface, and the failures a transport reports.

Each platform supplies a :class:`Transport`: httpx natively
(``mobile.transport_httpx``), ``pyodide.http.pyfetch`` in the browser. They share the
encoding, decoding and error mapping of :mod:`mobile.sync.wire`, so they differ only in
how bytes travel. What can go wrong is in :mod:`mobile.sync.errors`.
"""

from __future__ import annotations

from typing import Protocol

from mobile.store.records import PulledPage
from mobile.sync.errors import (
    AccessExpired,
    RequestRefused,
    ServerError,
    SignInRequired,
    SyncError,
    Unreachable,
)
from mobile.sync.wire import Tokens
from shared.sync import PushRequest, PushResponse


class Transport(Protocol):
    """Sends sync requests to one server."""

    async def push(self, request: PushRequest, access_token: str) -> PushResponse:
        """``POST /api/sync/push``: an ordered batch; one result per mutation."""
        ...

    async def pull(self, cursor: str, limit: int, access_token: str) -> PulledPage:
        """``GET /api/sync/pull``: the changes after ``cursor`` ("" for the first sync)."""
        ...

    async def refresh(self, refresh_token: str) -> Tokens:
        """``POST /api/auth/refresh``: a new token pair (the old refresh token is spent)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


__all__ = [
    "AccessExpired",
    "RequestRefused",
    "ServerError",
    "SignInRequired",
    "SyncError",
    "Transport",
    "Unreachable",
]
