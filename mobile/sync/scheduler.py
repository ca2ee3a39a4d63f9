"""When to sync: on a timer, shortly after a local change, when the network comes back.

:class:`SyncScheduler` is a small asyncio task the app drives: it calls
:meth:`SyncScheduler.local_change` after each recorded action,
:meth:`SyncScheduler.set_online` from its connectivity watcher, and
:meth:`SyncScheduler.sync_soon` for "Sync now". Failures back off exponentially with
jitter, so a hundred phones coming back on the same Wi-Fi do not knock together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

from mobile.sync.client import SyncClient, SyncReport
from mobile.sync.errors import SignInRequired, SyncError

log = logging.getLogger("shipfloor.sync")


class Backoff:
    """Exponential backoff with "equal jitter": half the step fixed, half random.

    The fixed half keeps retries from hammering; the random half spreads devices apart.
    The cap is a minute: when the Wi-Fi comes back, a picker's steps should reach the
    server within a minute without anyone tapping "Sync now" (200 devices retrying at
    that pace are a few requests a second).
    """

    def __init__(
        self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1, 2, …)."""
        step = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return step / 2 + self.rng.uniform(0, step / 2)


class SyncScheduler:
    """Runs :meth:`SyncClient.sync` at the right moments until stopped."""

    def __init__(
        self,
        client: SyncClient,
        *,
        interval: float = 60.0,
        debounce: float = 2.0,
        max_debounce: float = 15.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.interval = interval
        self.debounce = debounce
        self.max_debounce = max_debounce
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.online = True
        self.failures = 0
        self.cycles = 0
        self.last_report: SyncReport | None = None
        self._timer_at = clock()  # the first cycle runs at once
        self._change_at: float | None = None
        self._first_change_at: float | None = None
        self._retry_at: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # ------------------------------------------------------------------ driving

    def start(self) -> None:
        """Start the background task (in the running event loop)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop after the cycle in progress, if any, has finished."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    def local_change(self) -> None:
        """Something was recorded: sync shortly (debounced, so a burst of scans is one push).

        A steady stream of scans still syncs every ``max_debounce`` seconds. During a
        backoff the retry time stands: more changes do not make a failing server retry sooner.
        """
        now = self.clock()
        if self._first_change_at is None:
            self._first_change_at = now
        self._change_at = min(now + self.debounce, self._first_change_at + self.max_debounce)
        self._wake.set()

    def set_online(self, online: bool) -> None:
        """The platform's connectivity changed; coming back online syncs at once."""
        was = self.online
        self.online = online
        self.client.set_connected(online)
        if online and not was:
            self.failures = 0
            self._retry_at = None
            self._timer_at = self.clock()
        self._wake.set()

    def sync_soon(self) -> None:
        """Sync now, even during a backoff ("Sync now", pull-to-refresh)."""
        now = self.clock()
        self._timer_at = now
        if self._retry_at is not None:
            self._retry_at = now
        self._wake.set()

    def signed_in(self) -> None:
        """Someone signed in again after the session ended: resume."""
        self.client.signed_in()
        self.sync_soon()

    async def sync_now(self) -> SyncReport:
        """Run one cycle here and now and return its report (errors propagate)."""
        return await self._cycle()

    # ------------------------------------------------------------------ loop

    def next_due(self) -> float | None:
        """When the next cycle is due (clock seconds), or ``None`` while waiting for an event."""
        if not self.online or self.client.sign_in_required:
            return None
        if self._retry_at is not None:
            return self._retry_at
        due = self._timer_at
        if self._change_at is not None:
            due = min(due, self._change_at)
        return due

    async def _run(self) -> None:
        while not self._stopping:
            due = self.next_due()
            timeout = None if due is None else max(0.0, due - self.clock())
            if timeout is None or timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                self._wake.clear()
                continue  # recompute: the wake-up may have moved the due time
            try:
                await self._cycle()
            except SyncError:
                pass  # already counted and shown; the backoff decides when to retry
            except Exception as exc:  # a bug must not stop syncing for good
                log.exception("sync cycle failed")
                self.client.last_error = f"unexpected error: {exc}"
                self._after_failure()

    async def _cycle(self) -> SyncReport:
        # Changes recorded from here on are picked up by this cycle's push loop or the next.
        self._change_at = None
        self._first_change_at = None
        try:
            report = await self.client.sync()
        except SyncError as exc:
            # A refused request backs off too (it might be a server bug fixed later);
            # only an ended session waits for a person to sign in.
            if not isinstance(exc, SignInRequired):
                self._after_failure()
            raise
        self.cycles += 1
        self.failures = 0
        self._retry_at = None
        self.last_report = report
        self._timer_at = self.clock() + self.interval
        if self.client.store.pending_count() and self._change_at is None:
            # Recorded during the pull: send soon rather than at the next timer.
            self.local_change()
        return report

    def _after_failure(self) -> None:
        self.failures += 1
        self._retry_at = self.clock() + self.backoff.delay(self.failures)
