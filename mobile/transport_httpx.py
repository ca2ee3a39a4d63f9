"""The sync transport over httpx (CPython: the phone, tablet and desktop apps, the tests).

Not imported by anything that runs in the browser: the PWA brings a ``pyfetch`` one.
Every way a request can fail without a complete answer — refused or reset connection,
timeout, a body cut off — becomes :class:`~mobile.sync.errors.Unreachable`.
"""

from __future__ import annotations

import httpx

from mobile.sync.errors import Unreachable
from mobile.sync.transport import WireTransport
from mobile.sync.wire import MSGPACK


class HttpxTransport(WireTransport):
    """:class:`~mobile.sync.transport.Transport` with an ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        *,
        media_type: str = MSGPACK,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, media_type)
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    async def aclose(self) -> None:
        """Close the connection pool (only if this transport made it)."""
        if self._own_client:
            await self.client.aclose()

    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes | None,
        params: dict[str, str] | None,
    ) -> tuple[int, str, bytes]:
        try:
            response = await self.client.request(
                method, url, content=body, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            # Includes a connection reset mid-body and a body shorter than announced.
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.headers.get("content-type", ""), response.content
