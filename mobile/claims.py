"""Claims on the device: who is on which order, as the server last said; claim and release.

A claim ("I'm picking this") is coordination between people who are online. It is never
queued in the outbox: a claim that reached the server an hour late would only mislead, and
picking never waits for it — offline, a picker simply works without one. The board is
kept in memory, refreshed as the app syncs, and judged against the server's clock (a
phone's clock may be minutes off): each claim's time left is the server's ``expires_at``
minus its ``server_time``, counted down on this device's monotonic clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import msgspec

from mobile.api import ApiError, NotSignedIn, ServerUnreachable

T = TypeVar("T")
Listener = Callable[[], None]

#: how long a claim runs; the picker's work renews it
CLAIM_MINUTES = 15
#: a claim with less than this left is renewed when its holder records a step
RENEW_WHEN_LEFT_S = 10 * 60
#: the board is refreshed at most this often by sync activity (seconds)
REFRESH_EVERY_S = 10.0

OFFLINE = "Claiming needs the network. You can still pick; others will not see you on it."


class ClaimApi(Protocol):
    """What claims need of :class:`mobile.api.ApiClient`."""

    async def request(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Any = (),
        body: bytes | None = None,
    ) -> T:
        """A signed-in JSON call."""
        ...


class _Claim(msgspec.Struct):
    order_id: str
    user_id: str
    user_name: str
    device_id: str
    claimed_at: datetime
    expires_at: datetime


class _Board(msgspec.Struct):
    server_time: datetime
    claims: list[_Claim]


class Holder(msgspec.Struct, frozen=True):
    """Who is on an order: their name, whether it is the person using this device, time left."""

    order_id: str
    user_name: str
    mine: bool
    seconds_left: float

    @property
    def text(self) -> str:
        """What a screen says: "You are on this" / "Ana is on this (12 min left)"."""
        minutes = max(1, round(self.seconds_left / 60))
        who = "You are" if self.mine else f"{self.user_name} is"
        return f"{who} on this ({minutes} min left)"


class Claims:
    """The vendor's live claims as this device knows them, and this person's own."""

    def __init__(
        self, api: ClaimApi, user_id: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.clock = clock
        #: order id → (claim, its deadline on ``clock``)
        self._held: dict[str, tuple[_Claim, float]] = {}
        self._listeners: list[Listener] = []
        self._refreshed_at: float | None = None
        self._refreshing: asyncio.Task[bool] | None = None

    # ------------------------------------------------------------------ reading

    def holder(self, order_id: str) -> Holder | None:
        """Who is on the order now, if anyone (a claim that ran out is nobody's)."""
        found = self._held.get(order_id)
        if found is None:
            return None
        claim, deadline = found
        left = deadline - self.clock()
        if left <= 0:
            return None
        return Holder(claim.order_id, claim.user_name, claim.user_id == self.user_id, left)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` whenever the board changes; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ------------------------------------------------------------------ talking to the server

    async def refresh(self) -> bool:
        """Read the board from the server; False (the last board kept) when unreachable."""
        try:
            board = await self.api.request("GET", "/api/claims", _Board)
        except (ServerUnreachable, NotSignedIn):
            return False
        now = self.clock()
        self._refreshed_at = now
        held = {c.order_id: (c, now + _left(c, board.server_time)) for c in board.claims}
        if {k: c for k, (c, _) in held.items()} != {k: c for k, (c, _) in self._held.items()}:
            self._held = held
            self._changed()
        else:
            self._held = held  # same claims; deadlines from the newer server time
        return True

    def refresh_soon(self) -> None:
        """Refresh in the background unless one ran in the last few seconds (sync activity)."""
        now = self.clock()
        if self._refreshing is not None and not self._refreshing.done():
            return
        if self._refreshed_at is not None and now - self._refreshed_at < REFRESH_EVERY_S:
            return
        self._refreshed_at = now
        self._refreshing = asyncio.get_running_loop().create_task(self.refresh())

    async def claim(self, order_id: str, *, take_over: bool = False) -> str | None:
        """Claim the order for this person (renewing their claim); None, or why not."""
        body = msgspec.json.encode({"minutes": CLAIM_MINUTES, "take_over": take_over})
        try:
            claim = await self.api.request(
                "PUT", f"/api/orders/{order_id}/claim", _Claim, body=body
            )
        except ServerUnreachable:
            return OFFLINE
        except ApiError as exc:
            if exc.status == 409:
                await self.refresh()  # show who holds it
            return exc.detail
        # The server set the claim to run CLAIM_MINUTES from its "now": that is what is left.
        self._held[order_id] = (claim, self.clock() + CLAIM_MINUTES * 60.0)
        self._changed()
        return None

    async def keep(self, order_id: str) -> None:
        """Renew this person's claim while they work, when it is running low (quietly)."""
        holder = self.holder(order_id)
        if holder is not None and holder.mine and holder.seconds_left < RENEW_WHEN_LEFT_S:
            await self.claim(order_id)

    async def release(self, order_id: str) -> str | None:
        """Give the order up (done, or leaving it); None, or why not."""
        try:
            await self.api.request("DELETE", f"/api/orders/{order_id}/claim", type(None))
        except ServerUnreachable:
            return "Releasing needs the network; the claim runs out by itself."
        except ApiError as exc:
            return exc.detail
        if self._held.pop(order_id, None) is not None:
            self._changed()
        return None

    def close(self) -> None:
        """Stop a background refresh (signing out: its connection is about to close)."""
        if self._refreshing is not None:
            self._refreshing.cancel()
        self._listeners.clear()

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()


def _left(claim: _Claim, server_time: datetime) -> float:
    return (claim.expires_at - server_time).total_seconds()
