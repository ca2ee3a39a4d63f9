"""A signed-in person's work on this device: the device store, its sync client and scheduler.

Opened after sign-in, closed at sign-out (or when the app's session ends). Screens read
``workspace.store`` and record what people do with :meth:`Workspace.act` — a function of
:mod:`mobile.store.actions` and its arguments — which writes the mutation (view and
outbox in one transaction), asks the scheduler to push soon and tells every subscriber.
Pulled changes tell the subscribers too, so lists and open orders follow the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from mobile.storage import sync_lock
from mobile.store import LocalChange, Store
from mobile.sync import SyncClient, SyncError, SyncScheduler, SyncStatus, TokenSource
from mobile.sync.transport import Transport
from mobile.wire import User
from shared.sync import MAX_PULL_LIMIT

P = ParamSpec("P")
Listener = Callable[[], None]
StatusListener = Callable[[SyncStatus], None]

log = logging.getLogger("shipfloor.sync")

#: pull this often (seconds) while the app is open; local changes push within seconds
PULL_INTERVAL = 30.0


class Workspace:
    """The device store of one signed-in person, kept in sync while the app is open."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        tokens: TokenSource,
        *,
        interval: float = PULL_INTERVAL,
        debounce: float = 1.0,
        max_debounce: float = 10.0,
        pull_limit: int = MAX_PULL_LIMIT,
    ) -> None:
        self.store = store
        self.transport = transport
        self.client = SyncClient(
            store, transport, tokens, pull_limit=pull_limit, lock=sync_lock(store.path)
        )
        self.scheduler = SyncScheduler(
            self.client, interval=interval, debounce=debounce, max_debounce=max_debounce
        )
        self._listeners: list[Listener] = []
        self.client.data_listeners.append(self._data_changed)
        self.closed = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        device_id: str,
        user: User,
        transport: Transport,
        tokens: TokenSource,
        **options: Any,
    ) -> Workspace:
        """Open (or create) the person's store file on this device; nothing syncs yet."""
        store = Store(path, device_id=device_id)
        try:
            store.set_user(user.id, user.name, user.vendor_id)
        except BaseException:
            store.close()
            raise
        return cls(store, transport, tokens, **options)

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        """Start syncing (a first cycle at once: on a new store, the initial sync)."""
        self.scheduler.start()

    async def pause(self) -> None:
        """Stop syncing for now (the browser tab went away); :meth:`start` resumes."""
        await self.scheduler.stop()

    async def close(self) -> None:
        """Stop syncing, release the connections and close the store file (it stays on disk)."""
        if self.closed:
            return
        self.closed = True
        await self.scheduler.stop()
        try:
            await self.transport.aclose()
        finally:
            self.store.close()

    # ------------------------------------------------------------------ doing

    def act(
        self,
        action: Callable[Concatenate[Store, str, P], LocalChange],
        order_id: str,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> LocalChange:
        """Record what a person did (e.g. ``act(actions.scan_item, order_id, code)``).

        Raises ``StepRefused`` (nothing written) when the lifecycle does not allow it now.
        """
        change = action(self.store, order_id, *args, **kwargs)
        self.local_change()
        return change

    def local_change(self) -> None:
        """Something was recorded in the store: push soon, and tell the screens and the bar.

        :meth:`act` calls it; code that records through the store itself calls it after.
        """
        self.scheduler.local_change()
        self._data_changed()
        self.client.notify()  # the pending count went up

    def dismiss(self, dismiss: Callable[[Store], None]) -> None:
        """Record that someone has read a refused change or a conflict; tell the screens."""
        dismiss(self.store)
        self._data_changed()
        self.client.notify()

    def set_online(self, online: bool) -> None:
        """The platform says the network went away or came back (back: sync at once)."""
        self.scheduler.set_online(online)

    def sync_now(self) -> None:
        """Sync as soon as possible ("Sync now", pull-to-refresh), even during a backoff."""
        self.scheduler.sync_soon()

    async def sync_and_wait(self) -> SyncStatus:
        """Run one cycle now and return the state after it (failures are in the state)."""
        try:
            await self.scheduler.sync_now()
        except SyncError as exc:  # shown through the status; the scheduler retries later
            log.info("sync failed: %s", exc)
        return self.status()

    def signed_in_again(self) -> None:
        """The session was renewed by a new sign-in: resume syncing."""
        self.scheduler.signed_in()

    # ------------------------------------------------------------------ watching

    def status(self) -> SyncStatus:
        """The sync state (online, pending, last synced, conflicts, rejected)."""
        return self.client.status()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` whenever the store's orders change; returns the unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def watch_status(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener`` with the sync state whenever it changes; returns the unsubscriber."""
        listeners = self.client.listeners
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    def _data_changed(self) -> None:
        if self.closed:
            return
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # one screen's bug must not stop syncing or other screens
                log.exception("a store listener failed")
