"""HTTP for Python in the browser (the PWA): ``pyodide.http.pyfetch``, i.e. the browser's fetch.

Two transports, one per interface the app has:

- :class:`PyfetchTransport`: the sync client's :class:`~mobile.sync.transport.Transport`
  (push, pull, refresh), with the same encoding, decoding and error mapping as
  :class:`~mobile.transport_httpx.HttpxTransport` (all of it in :mod:`mobile.sync.wire`);
- :class:`PyfetchHttp`: the API client's :class:`~mobile.api.Transport` (one request, one
  response).

The PWA is served by the server it talks to, so requests are same-origin: no CORS. Every
failure without a complete answer (offline, refused, reset, a timeout, a body cut off)
becomes :class:`~mobile.sync.errors.Unreachable` / :class:`~mobile.api.ServerUnreachable`.
``pyodide`` is imported only when a request is made, so this module imports on CPython too.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from mobile.api import HttpResponse, Params, ServerUnreachable
from mobile.sync.errors import Unreachable
from mobile.sync.transport import WireTransport
from mobile.sync.wire import MSGPACK


class FetchFailed(Exception):
    """No complete answer came (the network, a timeout, or a body cut off)."""


class FetchResult:
    """Status, lower-cased headers and the whole body of one fetch."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header, or ""."""
        return self.headers.get("content-type", "")


async def fetch(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    time_limit: float = 30.0,
) -> FetchResult:
    """One request through the browser's fetch; raises :class:`FetchFailed` without an answer.

    ``cache: "no-store"``: API answers are never served from (nor put in) the HTTP cache;
    the service worker leaves ``/api`` alone too. ``time_limit`` covers the body as well, and
    cancelling aborts the browser's request.
    """
    from pyodide.http import pyfetch

    options: dict[str, Any] = {
        "method": method,
        "headers": headers,
        "cache": "no-store",
        "credentials": "same-origin",
    }
    if body is not None:
        options["body"] = body
    try:
        async with asyncio.timeout(time_limit):
            response = await pyfetch(url, **options)
            data = await response.bytes()
    except TimeoutError as exc:
        raise FetchFailed(f"no answer from {url} within {time_limit:g} s") from exc
    except OSError as exc:  # pyodide's AbortError, HttpStatusError
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        # A JsException: "TypeError: Failed to fetch" (offline, refused, reset) and
        # "network error" for a body cut off midway.
        if type(exc).__name__ == "JsException":
            raise FetchFailed(str(exc)) from exc
        raise
    headers_out = {k.lower(): v for k, v in response.headers.items()}
    return FetchResult(int(response.status), headers_out, data)


def with_query(url: str, params: Params | dict[str, str] | None) -> str:
    """``url`` with ``params`` appended as a query string (repeated keys kept in order)."""
    if not params:
        return url
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}"


class PyfetchTransport(WireTransport):
    """:class:`~mobile.sync.transport.Transport` over ``pyfetch`` (the PWA's sync client)."""

    def __init__(self, base_url: str = "", *, media_type: str = MSGPACK, timeout: float = 30.0):
        #: "" means this page's origin (the PWA is served by its server)
        super().__init__(base_url, media_type)
        self.timeout = timeout

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
            result = await fetch(
                method, with_query(url, params), headers=headers, body=body, time_limit=self.timeout
            )
        except FetchFailed as exc:
            raise Unreachable(str(exc)) from exc
        return result.status, result.content_type, result.body


class PyfetchHttp:
    """:class:`~mobile.api.Transport` over ``pyfetch`` (the PWA's API client)."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: Params = (),
        body: bytes | None = None,
    ) -> HttpResponse:
        """One request; no answer becomes :class:`~mobile.api.ServerUnreachable`."""
        try:
            result = await fetch(
                method, with_query(url, params), headers=headers, body=body, time_limit=self.timeout
            )
        except FetchFailed as exc:
            raise ServerUnreachable(f"Cannot reach the server: {exc}") from exc
        return HttpResponse(result.status, result.body)

    async def aclose(self) -> None:
        """Nothing to release."""
