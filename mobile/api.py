"""The app's client for the Shipfloor HTTP API.

HTTP itself sits behind :class:`Transport` so each platform brings its own: httpx on
CPython (the served app and native apps), ``pyodide.http.pyfetch`` in the browser PWA.
:class:`ApiClient` adds the bearer token (from the session's one token owner, shared with
the sync client) and turns every answer into a msgspec Struct or an :class:`ApiError`.
The screens read orders from the device store, never from here: what is left is sign-in,
who is signed in, and calls that need the server itself (documents, metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import msgspec

from mobile.sync.errors import ServerError, SignInRequired, SyncError, Unreachable
from mobile.sync.tokens import TokenOwner
from mobile.sync.wire import Tokens
from mobile.wire import Me, TokenPair

T = TypeVar("T")
Params = Sequence[tuple[str, str]]


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
    """The Shipfloor API for one server and (once signed in) one user.

    Its tokens belong to a :class:`~mobile.sync.tokens.TokenOwner`, the same one the sync
    client uses: a sign-in here hands the pair to the owner, and every renewal — whoever
    needs it — goes through the owner, so a refresh token is never spent twice.
    """

    def __init__(
        self,
        base_url: str,
        transport: Transport | None = None,
        tokens: TokenOwner | None = None,
        device_id: str = "",
    ) -> None:
        self.base_url = normalise_server(base_url)
        self.transport = transport or HttpxTransport()
        self.tokens = tokens
        self.device_id = device_id

    # ------------------------------------------------------------------ auth

    async def login(self, email: str, password: str) -> TokenPair:
        """Sign in; the token owner keeps the pair for every call that follows."""
        body = msgspec.json.encode({"email": email, "password": password})
        pair = await self._send("POST", "/api/auth/login", TokenPair, body=body)
        if self.tokens is not None:
            await self.tokens.set(tokens_of(pair))
        return pair

    async def refresh_pair(self, refresh_token: str) -> Tokens:
        """``POST /api/auth/refresh`` (a :data:`~mobile.sync.tokens.Refresher` for the owner).

        Only the token owner calls this: a refresh token works once.
        """
        body = msgspec.json.encode({"refresh_token": refresh_token})
        try:
            pair = await self._send("POST", "/api/auth/refresh", TokenPair, body=body)
        except ServerUnreachable as exc:
            raise Unreachable(str(exc)) from exc
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise SignInRequired(exc.detail) from exc
            raise ServerError(f"{exc.status}: {exc.detail}") from exc
        return tokens_of(pair)

    async def sign_out(self) -> None:
        """Forget the tokens (the server lets them run out)."""
        if self.tokens is not None:
            await self.tokens.set(None)

    async def me(self) -> Me:
        """The signed-in user and their vendor."""
        return await self._authorized("GET", "/api/me", Me)

    async def aclose(self) -> None:
        """Release the transport's connections."""
        await self.transport.aclose()

    # -------------------------------------------------------------- plumbing

    async def request(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
    ) -> T:
        """Any signed-in JSON call (``path`` under the server), decoded into ``into``."""
        return await self._authorized(method, path, into, params=params, body=body)

    async def _authorized(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
    ) -> T:
        used = await self._access_token()
        try:
            return await self._send(method, path, into, params=params, body=body, token=used)
        except ApiError as exc:
            if exc.status != 401:
                raise
        # The access token was refused (expired early, or the server's secret changed).
        renewed = await self._renewed(used)
        return await self._send(method, path, into, params=params, body=body, token=renewed)

    async def _access_token(self) -> str:
        if self.tokens is None:
            raise NotSignedIn(401, "Not signed in.")
        try:
            token = await self.tokens.access_token()
        except SyncError as exc:
            raise _api_error_of(exc) from exc
        if token is None:
            raise NotSignedIn(401, "Not signed in.")
        return token

    async def _renewed(self, stale: str) -> str:
        assert self.tokens is not None
        try:
            return await self.tokens.renew(stale)
        except SyncError as exc:
            raise _api_error_of(exc) from exc

    async def _send(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
        token: str | None = None,
    ) -> T:
        if not self.base_url:
            raise ServerUnreachable("No server address.")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if self.device_id:
            headers["X-Device-Id"] = self.device_id
        response = await self.transport.request(
            method, self.base_url + path, headers=headers, params=params, body=body
        )
        if response.status >= 400:
            raise _error_of(response)
        body = b"null" if response.status == 204 else response.body  # No Content: decodes as None
        try:
            return msgspec.json.decode(body, type=into)
        except msgspec.DecodeError as exc:
            raise ApiError(
                response.status, f"The server sent an answer this app does not understand: {exc}"
            ) from exc


def tokens_of(pair: TokenPair) -> Tokens:
    """The tokens of a login or refresh answer, as the token owner keeps them."""
    return Tokens(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        access_expires_at=pair.access_expires_at,
        refresh_expires_at=pair.refresh_expires_at,
    )


def _api_error_of(exc: SyncError) -> ApiError | ServerUnreachable:
    """What a failed renewal means to a REST caller."""
    if isinstance(exc, SignInRequired):
        return NotSignedIn(401, "Your session has ended: please sign in again.")
    if isinstance(exc, Unreachable):
        return ServerUnreachable(str(exc))
    return ApiError(503, f"The server could not renew the session: {exc}")


def _error_of(response: HttpResponse) -> ApiError:
    try:
        error = msgspec.json.decode(response.body, type=_ErrorBody)
    except msgspec.DecodeError:
        error = _ErrorBody(detail=response.body[:200].decode(errors="replace"))
    detail = error.detail or f"The server answered {response.status}."
    if response.status == 401:
        return NotSignedIn(401, detail, error.code)
    return ApiError(response.status, detail, error.code)
