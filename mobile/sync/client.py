"""One sync cycle: push the outbox in order, then pull until caught up, then rebase.

The order of a cycle is what makes it safe:

1. **Push** batches of the oldest pending mutations. A mutation leaves the outbox only in
   the transaction that files the server's answer for it, so a dropped answer, a crash
   or a killed process leaves it queued; it is sent again and the server, idempotent on
   ``(device_id, mutation_id)``, answers it without applying it twice. An expired access
   token is refreshed and the *same* batch is sent again.
2. **Pull** only once every mutation sent in this cycle has its answer filed. That is the
   rule that keeps a step from showing twice: a pulled state never already contains a
   mutation the device still holds as pending (anything still in the outbox during the
   pull was never sent). Each page is filed with its cursor in one transaction, so an
   interrupted initial sync resumes at the page it lost.
3. **Rebase**: each pulled order with pending mutations is shown as the server's state
   with them replayed on top (done by the store as it files the page); orders whose
   pushed mutations were refused are rebuilt once the pull has caught up.

Any failure ends the cycle; the scheduler tries again later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TypeVar

from msgspec import Struct

from mobile.store import PulledPage, Store
from mobile.sync.errors import (
    AccessExpired,
    RequestRefused,
    ServerError,
    SignInRequired,
    SyncError,
    Unreachable,
)
from mobile.sync.tokens import StoredTokens, TokenSource
from mobile.sync.transport import Transport
from shared.sync import MAX_PULL_LIMIT, MAX_PUSH_BATCH, PushRequest

T = TypeVar("T")

#: statuses meaning "this request can never work as sent": split the batch to find the culprit
_UNREADABLE = (400, 413, 422)

#: event-loop turns given to a prefetch so its request is on the wire before the store
#: blocks the loop filing a page (httpx needs two or three on a kept-alive connection)
_SEND_TURNS = 4


class SyncStatus(Struct, kw_only=True):
    """What the sync bar shows."""

    online: bool
    syncing: bool
    pending: int
    last_synced_at: datetime | None
    conflicts: int
    rejected: int
    last_error: str | None = None
    #: the session has ended: nothing syncs until someone signs in again
    sign_in_required: bool = False
    #: orders received so far by the cycle in progress (the first sync's progress)
    received: int = 0
    #: no sync has completed yet on this device store: it is still being filled
    first_sync: bool = False


class SyncReport(Struct, kw_only=True):
    """What one cycle did."""

    pushed: int = 0
    applied: int = 0
    merged: int = 0
    rejected: int = 0
    pulled: int = 0
    pages: int = 0
    rebuilt: int = 0
    seconds: float = 0.0


class SyncClient:
    """Syncs one device store with the server through a transport."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        tokens: TokenSource | None = None,
        *,
        push_batch: int = 100,
        pull_limit: int = MAX_PULL_LIMIT,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.tokens: TokenSource = tokens or StoredTokens(store, transport)
        self.push_batch = max(1, min(push_batch, MAX_PUSH_BATCH))
        self.pull_limit = max(1, min(pull_limit, MAX_PULL_LIMIT))
        #: whether the platform reports a network (set by the app's connectivity watcher)
        self.connected = True
        #: whether the last request got an answer
        self.reachable = True
        self.syncing = False
        self.last_error: str | None = None
        self.sign_in_required = False
        self.received = 0
        #: told the sync state (online, pending, ...) whenever it changes
        self.listeners: list[Callable[[SyncStatus], None]] = []
        #: told whenever the store's orders changed: a page filed, answers filed, views rebuilt
        self.data_listeners: list[Callable[[], None]] = []
        # One cycle at a time per store file: the app shares this lock between every client
        # of one file (two tabs of one browser open the same device store).
        self._lock = lock or asyncio.Lock()

    # ------------------------------------------------------------------ status

    def status(self) -> SyncStatus:
        """The sync state as the UI shows it (counts read from the store)."""
        last_synced_at = self.store.last_synced_at()
        return SyncStatus(
            online=self.connected and self.reachable,
            syncing=self.syncing,
            pending=self.store.pending_count(),
            last_synced_at=last_synced_at,
            conflicts=self.store.conflicts_count(),
            rejected=self.store.rejected_count(),
            last_error=self.last_error,
            sign_in_required=self.sign_in_required,
            received=self.received,
            first_sync=last_synced_at is None,
        )

    def _changed(self) -> None:
        if not self.listeners:
            return
        status = self.status()
        for listener in list(self.listeners):
            listener(status)

    def _data_changed(self) -> None:
        for listener in list(self.data_listeners):
            listener()

    def notify(self) -> None:
        """Tell the listeners the state again (a local change moved the pending count)."""
        self._changed()

    def set_connected(self, connected: bool) -> None:
        """The platform's connectivity changed."""
        self.connected = connected
        self._changed()

    def signed_in(self) -> None:
        """Someone signed in again: syncing may resume."""
        self.sign_in_required = False
        self.last_error = None
        self._changed()

    # ------------------------------------------------------------------ cycle

    async def sync(self) -> SyncReport:
        """One full cycle (push, pull, rebase); raises :class:`SyncError` when it fails."""
        async with self._lock:
            started = time.perf_counter()
            report = SyncReport()
            self.syncing = True
            self.received = 0
            self._changed()
            try:
                await self._push(report)
                await self._pull(report)
            except SyncError as exc:
                self._failed(exc)
                raise
            else:
                self.reachable = True
                self.last_error = None
            finally:
                self.syncing = False
                self.received = 0
                report.seconds = time.perf_counter() - started
                self._changed()
            return report

    def _failed(self, exc: SyncError) -> None:
        if isinstance(exc, Unreachable):
            self.reachable = False
        else:
            self.reachable = True
        if isinstance(exc, SignInRequired):
            self.sign_in_required = True
        self.last_error = str(exc) or type(exc).__name__

    async def _authorized(self, send: Callable[[str], Awaitable[T]]) -> T:
        """Send with the current access token; on "expired", renew it and send again once."""
        token = await self.tokens.access_token()
        if not token:
            raise SignInRequired("not signed in")
        try:
            return await send(token)
        except AccessExpired:
            fresh = await self.tokens.renew(token)
        return await send(fresh)

    async def _push(self, report: SyncReport) -> None:
        size = self.push_batch
        while True:
            batch = self.store.outbox_batch(size)
            if not batch:
                return
            request = PushRequest(device_id=self.store.device_id, mutations=batch)
            try:
                response = await self._authorized(partial(self.transport.push, request))
            except RequestRefused as exc:
                if exc.status not in _UNREADABLE:
                    raise
                if len(batch) > 1:
                    # Some mutation in it cannot be read (or the batch is too big): halve
                    # until the one that fails is alone, then set it aside with the reason.
                    size = max(1, len(batch) // 2)
                    continue
                self.store.reject_locally(batch[0], "unreadable", exc.detail)
                report.rejected += 1
                self._changed()
                self._data_changed()
                continue
            counts = self.store.record_results(batch, response.results)
            report.pushed += len(batch) - counts.unanswered
            report.applied += counts.applied
            report.merged += counts.merged
            report.rejected += counts.rejected
            self._changed()
            self._data_changed()
            if counts.unanswered:
                # Never pull while a sent mutation has no answer filed (see module docs).
                raise ServerError(
                    f"the server answered {len(batch) - counts.unanswered} of "
                    f"{len(batch)} mutations"
                )
            size = self.push_batch

    async def _pull(self, report: SyncReport) -> None:
        cursor = self.store.cursor
        try:
            page = await self._fetch(cursor)
        except RequestRefused as exc:
            # "cursor: …" — damaged, another account's, or ahead of a server restored from
            # a backup: start a first sync again (the outbox is not touched).
            if not (cursor and exc.status == 400 and exc.detail.startswith("cursor:")):
                raise
            self.store.restart_pull()
            cursor = ""
            page = await self._fetch(cursor)
        while True:
            ahead: asyncio.Task[PulledPage] | None = None
            if page.has_more:
                if page.cursor == cursor and not page.changes:
                    raise ServerError("the server said there is more but gave nothing")
                # Ask for the next page before filing this one, so the server builds it
                # while the store writes: an initial sync overlaps the two instead of
                # adding them up. Pages are still filed strictly in order.
                ahead = asyncio.ensure_future(self._fetch(page.cursor))
                for _ in range(_SEND_TURNS):
                    await asyncio.sleep(0)
            try:
                filed = self.store.apply_pull_page(page)
            except BaseException:
                if ahead is not None:
                    ahead.cancel()
                raise
            report.pulled += filed
            report.pages += 1
            if filed:
                self.received = report.pulled
                self._changed()
                self._data_changed()
            if ahead is None:
                break
            cursor = page.cursor
            page = await ahead
        report.rebuilt = self.store.finish_pull(page.server_time)
        if report.rebuilt:
            self._data_changed()

    async def _fetch(self, cursor: str) -> PulledPage:
        return await self._authorized(partial(self.transport.pull, cursor, self.pull_limit))
