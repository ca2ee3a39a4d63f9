"""The signed-in session: which server, who, for which vendor, and how it is remembered.

The token pair is kept in :class:`~mobile.prefs.Preferences` so the app stays signed in
across restarts (and, when served to a browser, across reloads of the tab). One
:class:`~mobile.sync.tokens.TokenOwner` per session holds it: the REST client and the sync
client both ask it for the access token and for renewals, and every renewal is written
back at once, because a refresh token works only once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec

from mobile.api import ApiClient, Transport
from mobile.prefs import Preferences
from mobile.sync.tokens import TokenOwner
from mobile.sync.wire import Tokens
from mobile.wire import Me, User, Vendor
from shared.deadlines import Calendar

SERVER_KEY = "shipfloor.server"
EMAIL_KEY = "shipfloor.email"
CREDENTIALS_KEY = "shipfloor.credentials"
DEVICE_KEY = "shipfloor.device_id"
#: who is signed in and for which vendor, as the server last said (to start offline)
ACCOUNT_KEY = "shipfloor.account"

#: work to do at sign-out while the session can still call the server (e.g. delete push)
SignOutHook = Callable[[], Awaitable[None]]

log = logging.getLogger("shipfloor.session")


@dataclass
class Session:
    """A signed-in user on one server."""

    api: ApiClient
    user: User
    vendor: Vendor
    #: run in order by :meth:`sign_out` before the tokens are forgotten; each must bound
    #: its own time, and one that fails does not stop the sign-out
    before_sign_out: list[SignOutHook] = field(default_factory=list)

    async def sign_out(self) -> None:
        """Run the sign-out hooks, then forget the tokens (the server lets them run out)."""
        for hook in list(self.before_sign_out):
            try:
                await hook()
            except Exception:
                log.exception("a sign-out hook failed")
        await self.api.sign_out()

    @property
    def tokens(self) -> TokenOwner:
        """The session's one token owner (shared by the REST and the sync client)."""
        assert self.api.tokens is not None
        return self.api.tokens

    @property
    def server(self) -> str:
        """The server's base URL."""
        return self.api.base_url

    @property
    def device_id(self) -> str:
        """This device's id (the device store's file name and every mutation carry it)."""
        return self.api.device_id

    @property
    def calendar(self) -> Calendar:
        """The vendor's working calendar (time zone, holidays) for deadlines."""
        return self.vendor.calendar


class PrefsVault:
    """A :class:`~mobile.sync.tokens.TokenVault` in the app's preferences.

    Keeps a copy in memory (a preferences read is a round trip to the browser when the app
    is served); :meth:`reread` looks at the preferences again for another tab's renewal.
    """

    def __init__(self, prefs: Preferences, tokens: Tokens | None = None) -> None:
        self.prefs = prefs
        self.tokens = tokens

    def current(self) -> Tokens | None:
        """The pair as last read or written here."""
        return self.tokens

    async def reread(self) -> Tokens | None:
        """The pair as the preferences hold it now."""
        return await read_tokens(self.prefs)

    async def save(self, tokens: Tokens | None) -> None:
        """Keep (or forget) the pair, in memory and in the preferences."""
        self.tokens = tokens
        if tokens is None:
            await self.prefs.remove(CREDENTIALS_KEY)
        else:
            await self.prefs.set(CREDENTIALS_KEY, msgspec.json.encode(tokens).decode())


async def read_tokens(prefs: Preferences) -> Tokens | None:
    """The remembered pair, or None (never stored, or unreadable)."""
    raw = await prefs.get(CREDENTIALS_KEY)
    if not raw:
        return None
    try:
        return msgspec.json.decode(raw, type=Tokens)
    except (msgspec.DecodeError, msgspec.ValidationError):
        await prefs.remove(CREDENTIALS_KEY)
        return None


class SessionKeeper:
    """Reads and writes what the app remembers between runs."""

    def __init__(
        self, prefs: Preferences, transport_factory: Callable[[], Transport] | None = None
    ) -> None:
        self.prefs = prefs
        self.transport_factory = transport_factory

    async def server(self) -> str | None:
        """The server address last signed in to."""
        return await self.prefs.get(SERVER_KEY)

    async def email(self) -> str | None:
        """The email last signed in with."""
        return await self.prefs.get(EMAIL_KEY)

    async def device_id(self) -> str:
        """This device's id, made on first use and kept in the client's storage.

        It names the device store (one per device and person) and is stamped on every
        mutation, so the server answers a resent one instead of applying it twice.
        """
        device = await self.prefs.get(DEVICE_KEY)
        if not device:
            device = f"app-{uuid.uuid4().hex[:12]}"
            await self.prefs.set(DEVICE_KEY, device)
        return device

    async def tokens(self) -> Tokens | None:
        """The remembered token pair, or None."""
        return await read_tokens(self.prefs)

    async def remember(self, server: str, email: str) -> None:
        """Keep the address and email for the next sign-in."""
        await self.prefs.set(SERVER_KEY, server)
        await self.prefs.set(EMAIL_KEY, email)

    async def forget_tokens(self) -> None:
        """Forget the token pair (sign-out without a session at hand)."""
        await self.prefs.remove(CREDENTIALS_KEY)

    async def remember_account(self, user: User, vendor: Vendor) -> None:
        """Keep who is signed in, so that the app can start with the server out of reach."""
        await self.prefs.set(ACCOUNT_KEY, msgspec.json.encode(Me(user, vendor)).decode())

    async def account(self) -> Me | None:
        """The user and vendor of the remembered session, or None (never kept, unreadable)."""
        raw = await self.prefs.get(ACCOUNT_KEY)
        if not raw:
            return None
        try:
            return msgspec.json.decode(raw, type=Me)
        except (msgspec.DecodeError, msgspec.ValidationError):
            await self.prefs.remove(ACCOUNT_KEY)
            return None

    async def client(self, server: str, tokens: Tokens | None = None) -> ApiClient:
        """An API client for ``server`` with the session's one token owner.

        The owner renews through this client's ``POST /api/auth/refresh`` and writes each
        renewal to the preferences at once.
        """
        transport = self.transport_factory() if self.transport_factory else None
        api = ApiClient(server, transport=transport, device_id=await self.device_id())
        api.tokens = TokenOwner(PrefsVault(self.prefs, tokens), api.refresh_pair)
        return api
