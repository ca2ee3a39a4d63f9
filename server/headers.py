"""Security headers on every response: the API's, the Flet app's pages and its assets.

Each response gets ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options``
and a ``Content-Security-Policy`` chosen by what the path serves:

- the Flet app (``/``, its assets and websocket): scripts, styles, fonts and WebAssembly
  from this origin only; Flet's ``index.html`` carries inline boot scripts, and Flutter
  inlines styles and runs CanvasKit/skwasm as WebAssembly, hence ``'unsafe-inline'`` and
  ``'wasm-unsafe-eval'`` — but no other origin, so no CDN is ever asked;
- the API (JSON, CSV, PDF and the small HTML pages behind signed links): nothing may load
  but inline styles, forms post back to this origin;
- the OpenAPI explorer (``/schema/swagger``): Swagger UI from its CDN.

``Strict-Transport-Security`` is only sent when the server is reached over HTTPS, which
``PUBLIC_URL`` says (``https://…``): sending it over plain HTTP would be ignored at best.
A header a handler set itself is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    BeforeMessageSendHookHandler,
    Message,
    Receive,
    Scope,
    Send,
)

from server.settings import Settings

APP_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
API_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
SWAGGER_POLICY = (
    f"default-src 'none'; script-src {SWAGGER_CDN} 'unsafe-inline'; "
    f"style-src {SWAGGER_CDN} 'unsafe-inline'; img-src {SWAGGER_CDN} data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: two years, the usual value once HTTPS is known to work for the whole host
HSTS = "max-age=63072000"


def policy_for(path: str) -> str:
    """The Content-Security-Policy for a response to ``path``."""
    if path.startswith("/schema/swagger"):
        return SWAGGER_POLICY
    if path == "/api" or path.startswith(("/api/", "/schema", "/health/")):
        return API_POLICY
    return APP_POLICY


def security_headers(path: str, settings: Settings) -> list[tuple[bytes, bytes]]:
    """Every security header a response to ``path`` carries."""
    headers = [
        (b"content-security-policy", policy_for(path).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]
    if settings.public_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


def add_headers(message: Message, extra: Iterable[tuple[bytes, bytes]]) -> None:
    """Add ``extra`` to a response's start message, keeping any header already set."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers.extend((name, value) for name, value in extra if name not in present)
    message["headers"] = headers


def before_send_hook(settings: Settings) -> BeforeMessageSendHookHandler:
    """A Litestar ``before_send`` hook adding the headers to every API response."""

    async def hook(message: Message, scope: Scope) -> None:
        if scope["type"] == ScopeType.HTTP:
            add_headers(message, security_headers(scope["path"], settings))

    return hook


class SecurityHeaders:
    """ASGI wrapper adding the headers to every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], self.settings)

        async def send_with_headers(message: Message) -> None:
            add_headers(message, extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)
