"""Where the sync client gets its access token, and how it renews one that expired.

A refresh token works once, and presenting a spent one signs the whole session out, so
one place per app must own the renewal. :class:`StoredTokens` keeps the pair in the
device store; an app that already manages its session elsewhere passes its own
:class:`TokenSource` (one whose ``renew`` does nothing when another caller already
renewed ``stale``).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import msgspec

from mobile.store import Store
from mobile.sync.errors import AccessExpired, RequestRefused, SignInRequired
from mobile.sync.transport import Transport
from mobile.sync.wire import Tokens

_KEY = "tokens"


class TokenSource(Protocol):
    """Hands out the current access token and renews it on request."""

    async def access_token(self) -> str | None:
        """The access token to send now (``None`` when nobody is signed in)."""
        ...

    async def renew(self, stale: str) -> str:
        """A fresh access token after the server said ``stale`` has expired."""
        ...


class StoredTokens:
    """A :class:`TokenSource` over the store's settings, renewed through the transport."""

    def __init__(self, store: Store, transport: Transport) -> None:
        self.store = store
        self.transport = transport
        self._lock = asyncio.Lock()

    def current(self) -> Tokens | None:
        """The saved pair, if any."""
        raw = self.store.get_meta(_KEY)
        return None if raw is None else msgspec.json.decode(raw, type=Tokens)

    def save(self, tokens: Tokens | None) -> None:
        """Keep a pair (after sign-in or refresh), or forget it (sign-out)."""
        self.store.set_meta(_KEY, None if tokens is None else msgspec.json.encode(tokens).decode())

    async def access_token(self) -> str | None:
        """The saved access token."""
        tokens = self.current()
        return None if tokens is None else tokens.access_token

    async def renew(self, stale: str) -> str:
        """Refresh once per expiry: a caller that waited behind another gets its result."""
        async with self._lock:
            tokens = self.current()
            if tokens is None:
                raise SignInRequired("not signed in")
            if tokens.access_token != stale:
                return tokens.access_token
            try:
                renewed = await self.transport.refresh(tokens.refresh_token)
            except (AccessExpired, RequestRefused) as exc:
                # Any refusal of the refresh token (expired, spent, revoked) ends the
                # session; only a network or server failure is worth retrying.
                raise SignInRequired(str(exc)) from exc
            # Saved at once: the old refresh token is spent from this moment on.
            self.save(renewed)
            return renewed.access_token
