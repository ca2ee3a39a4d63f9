"""The signed-in session: which server, who, for which vendor, and how it is remembered.

The tokens are kept in :class:`~mobile.prefs.Preferences` so the app stays signed in across
restarts (and, when served to a browser, across reloads of the tab). Every token renewal
is written back at once: a refresh token works only once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from mobile.api import ApiClient, Credentials, Transport
from mobile.prefs import Preferences
from mobile.wire import User, Vendor
from shared.deadlines import Calendar

SERVER_KEY = "shipfloor.server"
EMAIL_KEY = "shipfloor.email"
CREDENTIALS_KEY = "shipfloor.credentials"
DEVICE_KEY = "shipfloor.device_id"


@dataclass
class Session:
    """A signed-in user on one server."""

    api: ApiClient
    user: User
    vendor: Vendor

    @property
    def calendar(self) -> Calendar:
        """The vendor's working calendar (time zone, holidays) for deadlines."""
        return self.vendor.calendar


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
        """This device's id for the timeline ("which device"), made on first use."""
        device = await self.prefs.get(DEVICE_KEY)
        if not device:
            device = f"app-{uuid.uuid4().hex[:12]}"
            await self.prefs.set(DEVICE_KEY, device)
        return device

    async def credentials(self) -> Credentials | None:
        """The remembered tokens, or None (never stored, or unreadable)."""
        raw = await self.prefs.get(CREDENTIALS_KEY)
        if not raw:
            return None
        try:
            return msgspec.json.decode(raw, type=Credentials)
        except msgspec.DecodeError:
            await self.prefs.remove(CREDENTIALS_KEY)
            return None

    async def remember(self, server: str, email: str) -> None:
        """Keep the address and email for the next sign-in."""
        await self.prefs.set(SERVER_KEY, server)
        await self.prefs.set(EMAIL_KEY, email)

    async def store_credentials(self, credentials: Credentials | None) -> None:
        """Write (or, with None, forget) the tokens."""
        if credentials is None:
            await self.prefs.remove(CREDENTIALS_KEY)
        else:
            await self.prefs.set(CREDENTIALS_KEY, msgspec.json.encode(credentials).decode())

    async def client(self, server: str, credentials: Credentials | None = None) -> ApiClient:
        """An API client for ``server`` whose token renewals are remembered."""
        transport = self.transport_factory() if self.transport_factory else None
        return ApiClient(
            server,
            transport=transport,
            credentials=credentials,
            on_credentials=self.store_credentials,
            load_credentials=self.credentials,
            device_id=await self.device_id(),
        )
