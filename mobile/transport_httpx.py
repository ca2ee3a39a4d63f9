"""The sync transport over httpx (CPython: the phone, tablet and desktop apps, the tests).

Not imported by anything that runs in the browser: the PWA brings a ``pyfetch`` one.
Every way a request can fail without a complete answer — refused or reset connection,
timeout, a body cut off — becomes :class:`~mobile.sync.errors.Unreachable`.
"""

from __future__ import annotations

import httpx

from mobile.store.records import PulledPage
from mobile.sync.errors import Unreachable
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


class HttpxTransport:
    """:class:`~mobile.sync.transport.Transport` with an ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        *,
        media_type: str = MSGPACK,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.media_type = media_type
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    async def push(self, request: PushRequest, access_token: str) -> PushResponse:
        """Send a batch; one result per mutation comes back."""
        response = await self._send(
            "POST",
            PUSH_PATH,
            content=encode_push(request, self.media_type),
            headers={"Content-Type": self.media_type, **self._auth(access_token)},
        )
        return decode_push(response.content, response.headers.get("content-type", JSON))

    async def pull(self, cursor: str, limit: int, access_token: str) -> PulledPage:
        """One page of changes after ``cursor``."""
        response = await self._send(
            "GET",
            PULL_PATH,
            params={"cursor": cursor, "limit": str(limit)},
            headers=self._auth(access_token),
        )
        return decode_pull(response.content, response.headers.get("content-type", JSON))

    async def refresh(self, refresh_token: str) -> Tokens:
        """Swap the refresh token for a new pair."""
        response = await self._send(
            "POST",
            REFRESH_PATH,
            content=encode_refresh(refresh_token),
            headers={"Content-Type": JSON, "Accept": JSON},
        )
        return decode_tokens(response.content)

    async def aclose(self) -> None:
        """Close the connection pool (only if this transport made it)."""
        if self._own_client:
            await self.client.aclose()

    def _auth(self, access_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {access_token}", "Accept": self.media_type}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = await self.client.request(
                method, self.base_url + path, content=content, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            # Includes a connection reset mid-body and a body shorter than announced.
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise error_for(
                response.status_code, response.content, response.headers.get("content-type", "")
            )
        return response
