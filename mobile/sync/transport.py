"""The HTTP side of sync as an interface, and the failures a transport reports.

Each platform supplies a :class:`Transport`: httpx natively
(``mobile.transport_httpx``), ``pyodide.http.pyfetch`` in the browser. They share the
encoding, decoding and error mapping of :mod:`mobile.sync.wire`, so they differ only in
how bytes travel. What can go wrong is in :mod:`mobile.sync.errors`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
from mobile.sync.wire import (
    JSON,
    MSGPACK,
    PULL_PATH,
    PUSH_PATH,
    REFRESH_PATH,
    Tokens,
    decode_pull,
    decode_push,
    decode_tokens,
    encode_push,
    encode_refresh,
    error_for,
)
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


class WireTransport(ABC):
    """A :class:`Transport` whose subclass only moves bytes (:meth:`_exchange`).

    The requests, their encoding, the answers' decoding and the error mapping are here, once.
    """

    def __init__(self, base_url: str, media_type: str = MSGPACK) -> None:
        self.base_url = base_url.rstrip("/")
        self.media_type = media_type

    async def push(self, request: PushRequest, access_token: str) -> PushResponse:
        """Send a batch; one result per mutation comes back."""
        body, content_type = await self._send(
            "POST",
            PUSH_PATH,
            body=encode_push(request, self.media_type),
            headers={"Content-Type": self.media_type, **self._auth(access_token)},
        )
        return decode_push(body, content_type or JSON)

    async def pull(self, cursor: str, limit: int, access_token: str) -> PulledPage:
        """One page of changes after ``cursor``."""
        body, content_type = await self._send(
            "GET",
            PULL_PATH,
            params={"cursor": cursor, "limit": str(limit)},
            headers=self._auth(access_token),
        )
        return decode_pull(body, content_type or JSON)

    async def refresh(self, refresh_token: str) -> Tokens:
        """Swap the refresh token for a new pair."""
        body, _ = await self._send(
            "POST",
            REFRESH_PATH,
            body=encode_refresh(refresh_token),
            headers={"Content-Type": JSON, "Accept": JSON},
        )
        return decode_tokens(body)

    async def aclose(self) -> None:
        """Release connections (nothing by default: the browser pools its own)."""
        return None

    def _auth(self, access_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {access_token}", "Accept": self.media_type}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[bytes, str]:
        """The answer's body and content type; a 4xx/5xx raises its :mod:`errors` class."""
        status, content_type, answer = await self._exchange(
            method, self.base_url + path, headers=headers, body=body, params=params
        )
        if status >= 400:
            raise error_for(status, answer, content_type)
        return answer, content_type

    @abstractmethod
    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes | None,
        params: dict[str, str] | None,
    ) -> tuple[int, str, bytes]:
        """Status, ``Content-Type`` ("" if none) and body; :class:`Unreachable` if no answer."""


__all__ = [
    "AccessExpired",
    "RequestRefused",
    "ServerError",
    "SignInRequired",
    "SyncError",
    "Transport",
    "Unreachable",
    "WireTransport",
]
