"""The one owner of a session's tokens: hands out the access token, renews it once per expiry.

A refresh token works once, and presenting a spent one makes the server revoke the whole
sign-in (theft detection). So every part of the app that talks to the server — the sync
client and the REST client alike — asks one :class:`TokenOwner` for its access token and
for a renewal; the owner renews one at a time, and a caller that waited behind another
gets the result instead of spending the refresh token a second time.

Where the pair is kept is a :class:`TokenVault`: the app's preferences (so the session
survives a restart, see :mod:`mobile.session`), or the device store's settings for a
headless device (:class:`StoredTokens`: tests, benchmarks, the sync CLI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

import msgspec

from mobile.store import Store
from mobile.sync.errors import AccessExpired, RequestRefused, SignInRequired
from mobile.sync.transport import Transport
from mobile.sync.wire import Tokens

_KEY = "tokens"

#: renew the access token this long before it runs out, so a request never races the expiry
EXPIRY_MARGIN = timedelta(seconds=30)

#: swaps a refresh token for a new pair; raises ``SignInRequired``/``AccessExpired``/
#: ``RequestRefused`` when the server refuses it, ``Unreachable``/``ServerError`` otherwise
Refresher = Callable[[str], Awaitable[Tokens]]


class TokenSource(Protocol):
    """Hands out the current access token and renews it on request."""

    async def access_token(self) -> str | None:
        """The access token to send now (``None`` when nobody is signed in)."""
        ...

    async def renew(self, stale: str) -> str:
        """A fresh access token after the server said ``stale`` has expired."""
        ...


class TokenVault(Protocol):
    """Where a token pair is kept."""

    def current(self) -> Tokens | None:
        """The pair as this holder last saw it (cheap: no I/O beyond a local read)."""
        ...

    async def reread(self) -> Tokens | None:
        """The pair as kept now, which another holder (another tab) may have renewed."""
        ...

    async def save(self, tokens: Tokens | None) -> None:
        """Keep a pair, or forget it (``None``)."""
        ...


def access_fresh(tokens: Tokens, now: datetime) -> bool:
    """Whether the access token will still be accepted for a little while (unknown: yes)."""
    expires = tokens.access_expires_at
    return expires is None or now + EXPIRY_MARGIN < expires


class TokenOwner:
    """The single holder of one session's tokens (a :class:`TokenSource` for every caller)."""

    def __init__(
        self,
        vault: TokenVault,
        refresher: Refresher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.vault = vault
        self.refresher = refresher
        self.clock = clock
        self._lock = asyncio.Lock()

    def current(self) -> Tokens | None:
        """The pair held now, if any."""
        return self.vault.current()

    async def set(self, tokens: Tokens | None) -> None:
        """Keep the pair of a sign-in, or forget it (sign-out)."""
        async with self._lock:
            await self.vault.save(tokens)

    async def access_token(self) -> str | None:
        """The access token to send; renewed first when it is about to run out."""
        tokens = self.vault.current()
        if tokens is None:
            return None
        if access_fresh(tokens, self.clock()):
            return tokens.access_token
        # Known by its refresh token: an access token issued in the same second as the
        # previous one can be the very same string.
        return await self._renew(lambda held: held.refresh_token != tokens.refresh_token)

    async def renew(self, stale: str) -> str:
        """A fresh access token after the server refused ``stale``.

        Refreshes at most once however many callers ask at once. Raises ``SignInRequired``
        (and forgets the pair) when the server refuses the refresh token; a network or
        server failure propagates and keeps the pair.
        """
        return await self._renew(lambda held: held.access_token != stale)

    async def _renew(self, renewed_since: Callable[[Tokens], bool]) -> str:
        async with self._lock:
            held = self.vault.current()
            if held is None:
                raise SignInRequired("not signed in")
            if renewed_since(held) and access_fresh(held, self.clock()):
                return held.access_token  # renewed by the caller we waited behind
            kept = await self.vault.reread()
            if kept is not None and kept.refresh_token != held.refresh_token:
                # Another holder of the same storage (a second tab) renewed the session: our
                # refresh token is spent, and presenting it would sign every tab out.
                held = kept
                if access_fresh(kept, self.clock()):
                    await self.vault.save(kept)
                    return kept.access_token
            try:
                renewed = await self.refresher(held.refresh_token)
            except (AccessExpired, RequestRefused, SignInRequired) as exc:
                # Any refusal of the refresh token (expired, spent, revoked) ends the
                # session; only a network or server failure is worth retrying.
                await self.vault.save(None)
                raise SignInRequired(str(exc)) from exc
            # Saved at once: the old refresh token is spent from this moment on.
            await self.vault.save(renewed)
            return renewed.access_token


class StoreVault:
    """A :class:`TokenVault` in the device store's settings (one process owns the file)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def current(self) -> Tokens | None:
        """The saved pair, if any."""
        raw = self.store.get_meta(_KEY)
        return None if raw is None else msgspec.json.decode(raw, type=Tokens)

    async def reread(self) -> Tokens | None:
        """The same as :meth:`current`: the store is the only copy."""
        return self.current()

    async def save(self, tokens: Tokens | None) -> None:
        """Keep or forget the pair."""
        self.put(tokens)

    def put(self, tokens: Tokens | None) -> None:
        """Keep or forget the pair (synchronously)."""
        self.store.set_meta(_KEY, None if tokens is None else msgspec.json.encode(tokens).decode())


class StoredTokens(TokenOwner):
    """A :class:`TokenOwner` keeping its pair in the device store, renewed through ``transport``.

    For a device with no app around it (tests, benchmarks, ``tests/mobile/sync_device.py``).
    """

    def __init__(self, store: Store, transport: Transport) -> None:
        self.store_vault = StoreVault(store)
        super().__init__(self.store_vault, transport.refresh)

    def save(self, tokens: Tokens | None) -> None:
        """Keep a pair (after sign-in), or forget it (sign-out)."""
        self.store_vault.put(tokens)
