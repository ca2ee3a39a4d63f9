"""The "I'm picking this" bar of an open order: who is on it, claim, take over, release.

Plain Python over :class:`mobile.claims.Claims`; the step screens and the order detail
show it. Offline the bar says claiming needs the network and picking goes on without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum

from mobile.claims import Claims
from mobile.viewmodels.base import Observable


class ClaimState(StrEnum):
    """What the bar offers."""

    FREE = "free"  # nobody is on it: "I'm picking this"
    MINE = "mine"  # this person is on it: "Release"
    THEIRS = "theirs"  # someone else is: "Take over" (asks first)


class ClaimViewModel(Observable):
    """The claim of one order as this device sees it."""

    def __init__(self, claims: Claims, online: Callable[[], bool]) -> None:
        super().__init__()
        self.claims = claims
        self.online = online
        self.order_id: str | None = None
        #: the last refusal or failure, shown under the bar until the next action
        self.message = ""
        #: a take-over waits for "Yes, take over"
        self.confirming = False
        self.busy = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe = claims.subscribe(self.changed)

    def load(self, order_id: str) -> None:
        """Show this order's claim (and ask the server who is on it, in the background)."""
        if order_id != self.order_id:
            self.order_id = order_id
            self.message, self.confirming = "", False
        if self.online():
            self.claims.refresh_soon()
        self.changed()

    def dispose(self) -> None:
        """Stop listening to the board."""
        self._unsubscribe()

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> ClaimState:
        """Free, mine or someone else's."""
        holder = self.claims.holder(self.order_id) if self.order_id else None
        if holder is None:
            return ClaimState.FREE
        return ClaimState.MINE if holder.mine else ClaimState.THEIRS

    @property
    def text(self) -> str:
        """The bar's sentence."""
        holder = self.claims.holder(self.order_id) if self.order_id else None
        if holder is not None:
            return holder.text
        if not self.online():
            return "Offline: nobody can see who is on this order until the network is back."
        return "Nobody is on this order."

    @property
    def can_act(self) -> bool:
        """Claiming, releasing and taking over talk to the server."""
        return self.online() and not self.busy and self.order_id is not None

    # ------------------------------------------------------------------ actions

    async def claim(self) -> None:
        """ "I'm picking this"."""
        await self._run(lambda order_id: self.claims.claim(order_id))

    def ask_take_over(self) -> None:
        """ "Take over" asks first: someone else may still be at the shelf."""
        self.confirming = True
        self.changed()

    def cancel_take_over(self) -> None:
        """ "No, leave it"."""
        self.confirming = False
        self.changed()

    async def take_over(self) -> None:
        """ "Yes, take over"."""
        self.confirming = False
        await self._run(lambda order_id: self.claims.claim(order_id, take_over=True))

    async def release(self) -> None:
        """ "Release": done, or leaving the order for someone else."""
        await self._run(self.claims.release)

    async def keep(self) -> None:
        """A step was recorded: renew this person's claim if it is running low."""
        if self.order_id is not None and self.online():
            await self.claims.keep(self.order_id)

    def worked(self) -> None:
        """A step was recorded (a plain callback): renew in the background when needed."""
        holder = self.claims.holder(self.order_id) if self.order_id else None
        if holder is None or not holder.mine or not self.online():
            return
        task = asyncio.get_running_loop().create_task(self.keep())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, call: Callable[[str], Awaitable[str | None]]) -> None:
        if self.order_id is None:
            return
        self.busy, self.message = True, ""
        self.changed()
        try:
            refused = await call(self.order_id)
        finally:
            self.busy = False
        self.message = refused or ""
        self.changed()
