"""Settings → Notifications: the "Notify me of new orders" switch of this device.

States (:class:`NotifyState`), each with a one-line status for the person:

- ``unsupported`` — the platform has no Web Push (the app served by the server, a native
  build, a browser without push); the switch is disabled and the line says why;
- ``off`` / ``on`` — this device is (not) registered with the server for the user;
- ``asking`` — after the tap: the browser's prompt, then subscribing and registering;
- ``denied`` — the browser blocks notifications for the site: only the person can undo
  that, in the browser's site settings, and the line says where;
- ``failed`` — something went wrong turning it on, and the line says what.

Turning on: ask for permission first (right after the tap: the prompt needs it), then the
server's VAPID key, ``pushManager.subscribe`` and ``POST /api/push/subscriptions``; the id
the server gives is kept in the device's preferences for this user. Turning off and
signing out: drop the browser's subscription (no more pushes here, even offline), then
``DELETE`` it on the server; when the server cannot be told (offline), the record is kept
marked ``remove`` and deleted at this person's next sign-in on this device (:meth:`start`).
Until then a push to the dropped subscription gets 410 from the push service, and the
server deletes the row itself.

The platform sits behind :class:`~mobile.push.PushPort`; the server is the real API
(:class:`~mobile.push.PushApi`).
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from mobile.api import ApiError, NotSignedIn, ServerUnreachable
from mobile.prefs import Preferences
from mobile.push import (
    PushApi,
    PushError,
    PushPort,
    SubscriptionRecord,
    read_record,
    write_record,
)
from mobile.session import Session
from mobile.viewmodels.base import Observable

log = logging.getLogger("shipfloor.push")

#: the switch's label (also what a screen reader reads)
LABEL = "Notify me of new orders"
#: sign-out waits at most this long (seconds) for the browser and the server
SIGN_OUT_TIMEOUT = 8.0

DENIED_TEXT = (
    "Blocked in this browser. To allow them: open the site settings (the icon left of the "
    "address, or the browser's Settings → Site settings → Notifications), allow Shipfloor, "
    "then turn this on again."
)


class NotifyState(StrEnum):
    """Where the switch stands on this device."""

    UNSUPPORTED = "unsupported"
    OFF = "off"
    ASKING = "asking"
    ON = "on"
    DENIED = "denied"
    FAILED = "failed"


class NotifyViewModel(Observable):
    """The notification switch of one signed-in person on this device."""

    def __init__(
        self,
        port: PushPort,
        server: PushApi,
        prefs: Preferences,
        user_id: str,
    ) -> None:
        super().__init__()
        self.port = port
        self.server = server
        self.prefs = prefs
        self.user_id = user_id
        self.state = NotifyState.OFF
        self.status = "Checking this device…"
        #: a start, a switch or a sign-out is running: the switch waits
        self.busy = True
        self._lock = asyncio.Lock()

    @classmethod
    def for_session(cls, session: Session, prefs: Preferences, port: PushPort) -> NotifyViewModel:
        """The switch for a session; its sign-out removes this device's subscription."""
        vm = cls(port, PushApi(session.api), prefs, session.user.id)
        session.before_sign_out.append(vm.signing_out)
        return vm

    # ------------------------------------------------------------------ reading

    @property
    def switch_on(self) -> bool:
        """The switch's position (on while turning on)."""
        return self.state in (NotifyState.ON, NotifyState.ASKING)

    @property
    def enabled(self) -> bool:
        """Whether a tap does anything now."""
        return not self.busy and self.state is not NotifyState.UNSUPPORTED

    # ------------------------------------------------------------------ doing

    async def start(self) -> None:
        """At sign-in: finish a removal left from last time, then read the device's state."""
        async with self._lock:
            self.busy = True
            try:
                record = await read_record(self.prefs, self.user_id)
                if record is not None and record.remove:
                    await self._tell_server_removed(record)
                    record = None
                permission = await self.port.permission()
                if permission == "unsupported":
                    self._set(NotifyState.UNSUPPORTED, self.port.unsupported_reason)
                elif permission == "denied":
                    if record is not None:  # blocked since: the browser dropped it too
                        await self._tell_server_removed(record)
                    self._set(NotifyState.DENIED, DENIED_TEXT)
                elif record is not None and permission == "granted":
                    self._set(NotifyState.ON, _on_text())
                else:
                    if record is not None:  # permission reset since: the subscription died
                        await self._tell_server_removed(record)
                    self._set(NotifyState.OFF, _off_text())
            except Exception as exc:  # the switch must stay usable: say it, log the rest
                log.exception("reading the notification state failed")
                self._set(
                    NotifyState.FAILED, f"Could not read this device's notification state: {exc}"
                )
            finally:
                self.busy = False
                self.changed()

    async def toggle(self, want: bool) -> None:
        """The person moved the switch."""
        if want:
            await self.turn_on()
        else:
            await self.turn_off()

    async def turn_on(self) -> None:
        """Ask, subscribe, register; ends ``on``, ``off``, ``denied`` or ``failed``."""
        if self._lock.locked() or self.state in (NotifyState.UNSUPPORTED, NotifyState.ON):
            self.changed()  # redraw the switch where the state says
            return
        async with self._lock:
            self.busy = True
            self._set(NotifyState.ASKING, "Asking for permission…")
            try:
                await self._turn_on()
            except PushError as exc:
                self._set(NotifyState.FAILED, f"Could not turn on notifications: {exc.sentence()}.")
            except ServerUnreachable:
                self._set(
                    NotifyState.FAILED,
                    "Could not reach the server: turning notifications on needs a connection. "
                    "Try again when online.",
                )
            except NotSignedIn:
                self._set(NotifyState.FAILED, "Your session has ended: sign in again first.")
            except ApiError as exc:
                self._set(NotifyState.FAILED, f"The server refused the subscription: {exc.detail}")
            except Exception as exc:
                log.exception("turning notifications on failed")
                self._set(NotifyState.FAILED, f"Could not turn on notifications: {exc!r}.")
            finally:
                self.busy = False
                self.changed()

    async def _turn_on(self) -> None:
        permission = await self.port.permission()
        if permission == "default":
            permission = await self.port.request_permission()
        if permission == "unsupported":
            self._set(NotifyState.UNSUPPORTED, self.port.unsupported_reason)
            return
        if permission == "denied":
            self._set(NotifyState.DENIED, DENIED_TEXT)
            return
        if permission != "granted":  # the prompt was closed without an answer
            self._set(NotifyState.OFF, "Notifications were not allowed. Turn on again to be asked.")
            return
        self._set(NotifyState.ASKING, "Turning on…")
        key = await self.server.public_key()
        subscription = await self.port.subscribe(key.public_key)
        try:
            subscription_id = await self.server.register(subscription, key.key_id)
        except Exception:
            # Not registered: leave no subscription in the browser that nobody knows of.
            await self._drop_in_browser()
            raise
        await write_record(self.prefs, self.user_id, SubscriptionRecord(subscription_id))
        self._set(NotifyState.ON, _on_text())

    async def turn_off(self) -> None:
        """Drop the browser's subscription, then delete it on the server (later if offline)."""
        if self._lock.locked():
            self.changed()
            return
        async with self._lock:
            self.busy = True
            self.changed()
            try:
                told = await self._remove()
                if self.state in (NotifyState.ON, NotifyState.FAILED, NotifyState.ASKING):
                    self._set(NotifyState.OFF, _off_text() if told else _off_pending_text())
            finally:
                self.busy = False
                self.changed()

    async def signing_out(self) -> None:
        """Before the session's tokens are forgotten: remove this device's subscription.

        Never raises and waits at most :data:`SIGN_OUT_TIMEOUT`: sign-out must not hang on
        a browser or a server that does not answer; what is left is sent next time.
        """
        try:
            async with asyncio.timeout(SIGN_OUT_TIMEOUT):
                async with self._lock:
                    await self._remove()
                    self._set(NotifyState.OFF, _off_text())
        except TimeoutError:
            log.warning("push subscription not removed within %s s at sign-out", SIGN_OUT_TIMEOUT)
        except Exception:
            log.exception("removing the push subscription at sign-out failed")
        self.changed()

    def dispose(self) -> None:
        """The session ended: release the port."""
        self.port.close()

    # ------------------------------------------------------------------ plumbing

    async def _remove(self) -> bool:
        """Drop it in the browser and on the server; whether the server was told."""
        if self.state is not NotifyState.UNSUPPORTED:
            await self._drop_in_browser()
        record = await read_record(self.prefs, self.user_id)
        if record is None:
            return True
        return await self._tell_server_removed(record)

    async def _drop_in_browser(self) -> None:
        try:
            await self.port.unsubscribe()
        except PushError as exc:  # the server side still goes; pushes then get 410
            log.warning("the browser could not unsubscribe: %s", exc)

    async def _tell_server_removed(self, record: SubscriptionRecord) -> bool:
        """DELETE on the server; on failure keep the record marked for the next sign-in."""
        try:
            await self.server.remove(record.id)
        except (ServerUnreachable, ApiError) as exc:
            log.info("push subscription %s not deleted yet: %s", record.id, exc)
            await write_record(self.prefs, self.user_id, SubscriptionRecord(record.id, True))
            return False
        await write_record(self.prefs, self.user_id, None)
        return True

    def _set(self, state: NotifyState, status: str) -> None:
        self.state = state
        self.status = status
        self.changed()


def _on_text() -> str:
    return "On: new orders show as notifications on this device."


def _off_text() -> str:
    return "Off: turn on to hear of new orders on this device, even with the app closed."


def _off_pending_text() -> str:
    return "Off on this device. The server is told the next time the app starts online."
