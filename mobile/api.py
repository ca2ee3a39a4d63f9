"""The app's client for the Shipfloor HTTP API.

HTTP itself sits behind :class:`Transport` so each platform brings its own: httpx on
CPython (the served app and native apps), ``pyodide.http.pyfetch`` in the browser PWA.
:class:`ApiClient` adds the bearer token, renews it with the refresh token when it runs
out, and turns every answer into a msgspec Struct or an :class:`ApiError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

import msgspec

from mobile.wire import (
    ActionResult,
    Me,
    OrderDetail,
    OrderPage,
    StatusCounts,
    TokenPair,
)
from shared.commands import Command
from shared.types import OrderStatus

T = TypeVar("T")
Params = Sequence[tuple[str, str]]

#: renew the access token this long before it runs out, so a request never races the expiry
EXPIRY_MARGIN = timedelta(seconds=30)


class HttpResponse(msgspec.Struct):
    """A status code and the raw body."""

    status: int
    body: bytes


class Transport(Protocol):
    """Sends one HTTP request; raises :class:`ServerUnreachable` when no answer came."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: Params = (),
        body: bytes | None = None,
    ) -> HttpResponse:
        """One request, one response."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class ServerUnreachable(Exception):
    """No answer from the server (offline, wrong address, server down)."""


class ApiError(Exception):
    """The server answered with an error: its status, its sentence and, if any, a code."""

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code


class NotSignedIn(ApiError):
    """No valid session: the access token is gone and the refresh token was refused."""


class HttpxTransport:
    """:class:`Transport` over an ``httpx.AsyncClient`` (CPython)."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._client: Any = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: Params = (),
        body: bytes | None = None,
    ) -> HttpResponse:
        """Send with httpx; connection problems become :class:`ServerUnreachable`."""
        import httpx  # imported here: not available (nor needed) in Pyodide

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._client.request(
                method, url, headers=headers, params=list(params), content=body
            )
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"Cannot reach {_origin(url)}: {exc}") from exc
        return HttpResponse(response.status_code, response.content)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class Credentials(msgspec.Struct, kw_only=True):
    """The tokens of a session, as the app keeps them between runs."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime

    @classmethod
    def of(cls, pair: TokenPair) -> Credentials:
        """The tokens of a login or refresh answer."""
        return cls(
            access_token=pair.access_token,
            access_expires_at=pair.access_expires_at,
            refresh_token=pair.refresh_token,
            refresh_expires_at=pair.refresh_expires_at,
        )

    def access_fresh(self, now: datetime) -> bool:
        """Whether the access token will still be accepted for a little while."""
        return now + EXPIRY_MARGIN < self.access_expires_at


class _ErrorBody(msgspec.Struct):
    detail: str = ""
    code: str | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def normalise_server(address: str) -> str:
    """A server address as people type it (``shop.example:8000``) as a base URL."""
    text = address.strip().rstrip("/")
    if not text:
        return ""
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def origin_of(page_url: str | None) -> str:
    """Where an app page was served from (``ws://host:8000/x`` → ``http://host:8000``)."""
    if not page_url:
        return ""
    parts = urlsplit(page_url)
    if not parts.netloc:
        return ""
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}" if scheme in ("http", "https") else ""


class ApiClient:
    """The Shipfloor API for one server and (once signed in) one user."""

    def __init__(
        self,
        base_url: str,
        transport: Transport | None = None,
        credentials: Credentials | None = None,
        on_credentials: Callable[[Credentials | None], Awaitable[None]] | None = None,
        load_credentials: Callable[[], Awaitable[Credentials | None]] | None = None,
        device_id: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = normalise_server(base_url)
        self.transport = transport or HttpxTransport()
        self.credentials = credentials
        self.on_credentials = on_credentials
        #: reads the tokens as last stored, which another tab or window may have renewed
        self.load_credentials = load_credentials
        self.device_id = device_id
        self.clock = clock
        self._refresh_lock = asyncio.Lock()

    # ------------------------------------------------------------------ auth

    async def login(self, email: str, password: str) -> TokenPair:
        """Sign in; the client keeps the tokens for the calls that follow."""
        body = msgspec.json.encode({"email": email, "password": password})
        pair = await self._send("POST", "/api/auth/login", TokenPair, body=body)
        await self._store(Credentials.of(pair))
        return pair

    async def refresh(self) -> TokenPair:
        """Swap the refresh token for a new pair (each refresh token works once)."""
        if self.credentials is None:
            raise NotSignedIn(401, "Not signed in.")
        body = msgspec.json.encode({"refresh_token": self.credentials.refresh_token})
        try:
            pair = await self._send("POST", "/api/auth/refresh", TokenPair, body=body)
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                await self._store(None)
                raise NotSignedIn(401, "Your session has ended: please sign in again.") from exc
            raise
        await self._store(Credentials.of(pair))
        return pair

    async def sign_out(self) -> None:
        """Forget the tokens (the server lets them run out)."""
        await self._store(None)

    async def me(self) -> Me:
        """The signed-in user and their vendor."""
        return await self._authorized("GET", "/api/me", Me)

    # ---------------------------------------------------------------- orders

    async def orders(
        self,
        statuses: Sequence[OrderStatus] = (),
        q: str = "",
        sort: str = "ship_by",
        descending: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> OrderPage:
        """A page of the order list; pass its ``next_cursor`` back for the next page."""
        params: list[tuple[str, str]] = [("status", s.value) for s in statuses]
        if q.strip():
            params.append(("q", q.strip()))
        params += [("sort", sort), ("desc", "true" if descending else "false")]
        params.append(("limit", str(limit)))
        if cursor:
            params.append(("cursor", cursor))
        return await self._authorized("GET", "/api/orders", OrderPage, params=params)

    async def counts(self, q: str = "") -> StatusCounts:
        """Orders per status under the same search (for the filter chips)."""
        params = [("q", q.strip())] if q.strip() else []
        return await self._authorized("GET", "/api/orders/counts", StatusCounts, params=params)

    async def order(self, order_id: str) -> OrderDetail:
        """One order with notes, timeline and the actions it allows now."""
        path = f"/api/orders/{quote(order_id, safe='')}"
        return await self._authorized("GET", path, OrderDetail)

    async def act(self, order_id: str, command: Command) -> ActionResult:
        """Take a lifecycle step; a refusal is an :class:`ApiError` (409) with the reason."""
        path = f"/api/orders/{quote(order_id, safe='')}/actions"
        body = msgspec.json.encode(command)
        return await self._authorized("POST", path, ActionResult, body=body)

    async def aclose(self) -> None:
        """Release the transport's connections."""
        await self.transport.aclose()

    # -------------------------------------------------------------- plumbing

    async def _store(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        if self.on_credentials is not None:
            await self.on_credentials(credentials)

    async def _authorized(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
    ) -> T:
        used = await self._fresh_credentials()
        try:
            return await self._send(method, path, into, params=params, body=body, token=used)
        except ApiError as exc:
            if exc.status != 401:
                raise
        # The access token was refused (expired early, or the server's secret changed).
        renewed = await self._fresh_credentials(stale=used)
        return await self._send(method, path, into, params=params, body=body, token=renewed)

    async def _fresh_credentials(self, stale: Credentials | None = None) -> Credentials:
        # One refresh at a time: a refresh token works once, and reusing it makes the
        # server sign the whole session out — so concurrent calls wait for the first.
        async with self._refresh_lock:
            current = self.credentials
            if current is None:
                raise NotSignedIn(401, "Not signed in.")
            if current is not stale and current.access_fresh(self.clock()):
                return current
            stored = await self.load_credentials() if self.load_credentials else None
            if (
                stored is not None
                and stored.refresh_token != current.refresh_token
                and stored.access_fresh(self.clock())
            ):
                # Another tab sharing this storage renewed the session: using our old refresh
                # token now would look like theft and sign every tab out.
                self.credentials = stored
                return stored
            await self.refresh()
            assert self.credentials is not None
            return self.credentials

    async def _send(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
        token: Credentials | None = None,
    ) -> T:
        if not self.base_url:
            raise ServerUnreachable("No server address.")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token.access_token}"
        if self.device_id:
            headers["X-Device-Id"] = self.device_id
        response = await self.transport.request(
            method, self.base_url + path, headers=headers, params=params, body=body
        )
        if response.status >= 400:
            raise _error_of(response)
        try:
            return msgspec.json.decode(response.body, type=into)
        except msgspec.DecodeError as exc:
            raise ApiError(
                response.status, f"The server sent an answer this app does not understand: {exc}"
            ) from exc


def _error_of(response: HttpResponse) -> ApiError:
    try:
        error = msgspec.json.decode(response.body, type=_ErrorBody)
    except msgspec.DecodeError:
        error = _ErrorBody(detail=response.body[:200].decode(errors="replace"))
    detail = error.detail or f"The server answered {response.status}."
    if response.status == 401:
        return NotSignedIn(401, detail, error.code)
    return ApiError(response.status, detail, error.code)
