"""Web Push here: the platform's side (:class:`PushPort`) and the server's (:class:`PushApi`).

The settings switch "Notify me of new orders" (:mod:`mobile.viewmodels.notify`) needs two
things from the platform — ask the person for permission, and subscribe with the browser's
push service — and three from the server: its VAPID public key, storing the subscription,
and deleting it (switch off, sign-out).

Platforms:

- the PWA (Python in the browser, Pyodide): :class:`mobile.push_browser.BrowserPushPort`,
  which asks the page through a small bridge (``pwa/page.js``): the permission prompt and
  ``pushManager`` live in the window, Python runs in a web worker;
- the app served by the server (``SHIPFLOOR_APP=server``: Python on the server, the page has
  no bridge) and native builds (no push set up in this build yet): an
  :class:`UnsupportedPushPort` that says why.

What this device remembers (per user, in :class:`~mobile.prefs.Preferences`) is the id the
server gave the subscription, so sign-out can delete it; a removal the server could not be
told of (offline) is kept and sent at that person's next sign-in here
(:class:`SubscriptionRecord`).
"""

from __future__ import annotations

import contextlib
from typing import Literal, Protocol

import msgspec

from mobile.api import ApiClient, ApiError
from mobile.prefs import Preferences

#: what the platform says about notifications for this app
Permission = Literal["granted", "denied", "default", "unsupported"]

#: preferences key prefix: one record per user on this device
RECORD_KEY = "shipfloor.push."

#: why a platform has no Web Push, in words for the person
SERVED_REASON = (
    "Notifications need the installed Shipfloor app: open it from this server's address "
    "in Chrome, Edge or Safari and install it."
)
NATIVE_REASON = "Notifications are not available in this build of the app yet."
NO_BRIDGE_REASON = "This page cannot ask for notifications: reload the app and try again."
BROWSER_REASONS = {
    "no-push": "This browser cannot receive push notifications.",
    "ios-home-screen": (
        "On iPhone and iPad, notifications work once Shipfloor is on the Home Screen: "
        "Share → Add to Home Screen, then open it from there."
    ),
    "insecure": "Notifications need a secure (https) address for this server.",
}


class PushError(Exception):
    """The platform could not subscribe or unsubscribe: its error's name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message

    def sentence(self) -> str:
        """What went wrong, for the status line (ends without a full stop)."""
        cause = f"{self.name}: {self.message}" if self.message else self.name
        if self.name == "AbortError":
            return f"this browser could not subscribe with its push service ({cause})"
        if self.name == "NotAllowedError":
            return f"this browser refused to subscribe ({cause})"
        if self.name == "TimeoutError":
            return f"the browser did not answer ({self.message or 'timed out'})"
        return f"the browser reported {cause}"


class SubscriptionKeys(msgspec.Struct):
    """The subscription's encryption keys (base64url)."""

    p256dh: str
    auth: str


class BrowserSubscription(msgspec.Struct):
    """``PushSubscription.toJSON()``: where the push service takes messages for this device."""

    endpoint: str
    keys: SubscriptionKeys
    expiration_time: int | None = msgspec.field(default=None, name="expirationTime")

    @classmethod
    def from_json(cls, text: str | bytes) -> BrowserSubscription:
        """Decode the browser's JSON (a :class:`PushError` when it has not that shape)."""
        try:
            return msgspec.json.decode(text, type=cls)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PushError("InvalidSubscription", str(exc)) from exc


class PushPort(Protocol):
    """The platform's Web Push: permission, and the push service's subscription."""

    #: why :meth:`permission` said "unsupported" (a sentence for the person), else ""
    unsupported_reason: str

    async def permission(self) -> Permission:
        """The permission as it stands, without asking anyone."""
        ...

    async def request_permission(self) -> Permission:
        """Ask the person (the browser's prompt); needs a tap just before it."""
        ...

    async def subscribe(self, public_key: str) -> BrowserSubscription:
        """Subscribe with the push service for ``public_key`` (the server's VAPID key)."""
        ...

    async def unsubscribe(self) -> bool:
        """Drop this device's subscription; whether there was one."""
        ...

    def close(self) -> None:
        """Release what the port holds (the bridge's channel)."""
        ...


class UnsupportedPushPort:
    """A platform without Web Push: every question gets "unsupported" and the reason."""

    def __init__(self, reason: str) -> None:
        self.unsupported_reason = reason

    async def permission(self) -> Permission:
        """Always "unsupported"."""
        return "unsupported"

    async def request_permission(self) -> Permission:
        """Always "unsupported"."""
        return "unsupported"

    async def subscribe(self, public_key: str) -> BrowserSubscription:
        """Never possible here."""
        raise PushError("NotSupportedError", self.unsupported_reason)

    async def unsubscribe(self) -> bool:
        """Nothing to drop."""
        return False

    def close(self) -> None:
        """Nothing held."""


def port_for(in_browser: bool, served: bool) -> PushPort:
    """This platform's port: the browser bridge in the PWA, else an unsupported one."""
    if in_browser:
        from mobile.push_browser import BrowserPushPort

        return BrowserPushPort()
    return UnsupportedPushPort(SERVED_REASON if served else NATIVE_REASON)


# ---------------------------------------------------------------------------- the server


class VapidKey(msgspec.Struct):
    """``GET /api/push/vapid-public-key``."""

    public_key: str
    key_id: str


class ServerSubscription(msgspec.Struct):
    """One of the user's subscriptions as the server lists it."""

    id: str
    device_id: str = ""
    endpoint_origin: str = ""


class _NewSubscription(msgspec.Struct, omit_defaults=True):
    endpoint: str
    keys: SubscriptionKeys
    expiration_time: int | None = msgspec.field(default=None, name="expirationTime")
    key_id: str = ""
    device_id: str = ""


class PushApi:
    """The server's push routes, for the signed-in user (``server/notifications``)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    async def public_key(self) -> VapidKey:
        """The key to subscribe with (404 while push is not set up on the server)."""
        return await self.api.request("GET", "/api/push/vapid-public-key", VapidKey)

    async def register(self, subscription: BrowserSubscription, key_id: str) -> str:
        """Store this device's subscription; the id the server gave it."""
        body = _NewSubscription(
            endpoint=subscription.endpoint,
            keys=subscription.keys,
            expiration_time=subscription.expiration_time,
            key_id=key_id,
            device_id=self.api.device_id,
        )
        made = await self.api.request(
            "POST", "/api/push/subscriptions", ServerSubscription, body=msgspec.json.encode(body)
        )
        return made.id

    async def subscriptions(self) -> list[ServerSubscription]:
        """The user's subscriptions (every device they turned notifications on)."""
        return await self.api.request("GET", "/api/push/subscriptions", list[ServerSubscription])

    async def remove(self, subscription_id: str) -> None:
        """Delete one subscription; one the server no longer has counts as deleted."""
        try:
            await self.api.request(
                "DELETE", f"/api/push/subscriptions/{subscription_id}", type(None)
            )
        except ApiError as exc:
            # 404: already gone (the push service said 410, or another sign-in on this
            # browser replaced it).
            if exc.status != 404:
                raise


# -------------------------------------------------------------------- what the device keeps


class SubscriptionRecord(msgspec.Struct, omit_defaults=True):
    """What this device remembers of one user's subscription.

    ``remove``: the person switched off or signed out, the browser dropped the subscription,
    but the server has not been told yet (offline): tell it at their next sign-in here.
    """

    id: str
    remove: bool = False


async def read_record(prefs: Preferences, user_id: str) -> SubscriptionRecord | None:
    """The user's record on this device, or None."""
    raw = await prefs.get(RECORD_KEY + user_id)
    if not raw:
        return None
    try:
        return msgspec.json.decode(raw, type=SubscriptionRecord)
    except (msgspec.DecodeError, msgspec.ValidationError):
        with contextlib.suppress(Exception):
            await prefs.remove(RECORD_KEY + user_id)
        return None


async def write_record(prefs: Preferences, user_id: str, record: SubscriptionRecord | None) -> None:
    """Keep (or forget, with None) the user's record."""
    if record is None:
        await prefs.remove(RECORD_KEY + user_id)
    else:
        await prefs.set(RECORD_KEY + user_id, msgspec.json.encode(record).decode())
