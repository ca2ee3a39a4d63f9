"""A scripted :class:`~mobile.sync.transport.Transport` for the client's failure paths.

It answers like a server that applies everything and has nothing new, and can be told to
fail in a given way for the next calls. The real server is used wherever behaviour
depends on what a server does (``test_sync_client.py``, ``test_convergence.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from mobile.store import PulledPage
from mobile.sync.wire import Tokens
from shared.sync import MutationResult, MutationStatus, PushRequest, PushResponse


class ScriptedTransport:
    """Answers push and pull; ``failures`` are raised, one per call, before answering."""

    def __init__(self) -> None:
        self.failures: list[Exception] = []
        self.calls: list[tuple[str, float]] = []
        self.pushed: list[PushRequest] = []
        self.tokens_seen: list[str] = []
        self.refreshes = 0
        #: decides each push answer (default: every mutation applied)
        self.answer: Callable[[PushRequest], PushResponse] = _apply_all

    def _call(self, name: str, token: str = "") -> None:
        self.calls.append((name, time.monotonic()))
        if token:
            self.tokens_seen.append(token)
        if self.failures:
            raise self.failures.pop(0)

    async def push(self, request: PushRequest, access_token: str) -> PushResponse:
        """Record the batch and answer it."""
        self._call("push", access_token)
        self.pushed.append(request)
        return self.answer(request)

    async def pull(self, cursor: str, limit: int, access_token: str) -> PulledPage:
        """Nothing new."""
        self._call("pull", access_token)
        return PulledPage(
            changes=[], cursor=cursor or "c0", has_more=False, server_time=datetime.now(UTC)
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        """A new pair each time."""
        self._call("refresh")
        self.refreshes += 1
        return Tokens(access_token=f"access-{self.refreshes}", refresh_token=f"r-{self.refreshes}")

    async def aclose(self) -> None:
        """Nothing to release."""

    def count(self, name: str) -> int:
        """How many calls of this kind were made."""
        return sum(1 for n, _ in self.calls if n == name)


def _apply_all(request: PushRequest) -> PushResponse:
    return PushResponse(
        results=[
            MutationResult(mutation_id=m.mutation_id, status=MutationStatus.APPLIED)
            for m in request.mutations
        ]
    )
