"""Login rate limiting: failed sign-ins per account and per client address.

Failures are rows in the database (``login_failures``), not counters in memory, so every
instance behind the load balancer counts the same attempts. An account or address with
``limit`` failures inside the sliding window is refused with 429 and ``Retry-After`` before
its password is even checked, and nothing more is recorded while it waits: the table holds
at most ``limit`` rows per subject and window, and older rows are pruned.

A successful sign-in forgets the failures of that account only. The address keeps its
count, so someone guessing other people's passwords cannot wipe their tally by signing in
to an account of their own between guesses.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.exceptions import TooManyRequestsException
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import LoginFailure
from server.db import begin_write
from server.ids import utcnow

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class LoginLimits:
    """How many failed sign-ins an account and an address get per window."""

    per_account: int = 10
    per_address: int = 50
    window_seconds: int = 15 * 60

    @classmethod
    def from_env(cls) -> LoginLimits:
        """``LOGIN_MAX_FAILURES_PER_ACCOUNT``, ``..._PER_ADDRESS``, ``LOGIN_FAILURE_WINDOW_SECONDS``."""
        return cls(
            per_account=int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", cls.per_account)),
            per_address=int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", cls.per_address)),
            window_seconds=int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", cls.window_seconds)),
        )

    @property
    def window(self) -> timedelta:
        """The sliding window failures are counted in."""
        return timedelta(seconds=self.window_seconds)


class TooManyFailures(TooManyRequestsException):
    """429: too many failed sign-ins; ``Retry-After`` says when to try again."""

    def __init__(self, whom: str, seconds: int) -> None:
        super().__init__(
            f"too many failed sign-ins {whom}: try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )


async def _blocked_until(
    session: AsyncSession, scope: str, subject: str, limit: int, limits: LoginLimits
) -> datetime | None:
    """When the subject may try again, if it has used up its failures in the window."""
    newest = (
        await session.scalars(
            select(LoginFailure.failed_at)
            .where(
                LoginFailure.scope == scope,
                LoginFailure.subject == subject,
                LoginFailure.failed_at > utcnow() - limits.window,
            )
            .order_by(LoginFailure.failed_at.desc())
            .limit(limit)
        )
    ).all()
    # Once the oldest of the newest ``limit`` failures leaves the window, one attempt is free.
    return newest[-1] + limits.window if len(newest) >= limit else None


async def check(session: AsyncSession, limits: LoginLimits, email: str, address: str) -> None:
    """Raise :class:`TooManyFailures` if the account or the address must wait."""
    waits: list[tuple[datetime, str]] = []
    account = await _blocked_until(session, ACCOUNT, email, limits.per_account, limits)
    if account is not None:
        waits.append((account, "for this account"))
    if address:
        by_address = await _blocked_until(session, ADDRESS, address, limits.per_address, limits)
        if by_address is not None:
            waits.append((by_address, "from this address"))
    if waits:
        until, whom = max(waits)
        seconds = max(1, math.ceil((until - utcnow()).total_seconds()))
        raise TooManyFailures(whom, seconds)


async def record_failure(
    session: AsyncSession, limits: LoginLimits, email: str, address: str
) -> None:
    """Count a failed sign-in against the account and the address, and prune old rows."""
    now = utcnow()
    await begin_write(session)
    rows = [{"scope": ACCOUNT, "subject": email, "failed_at": now}]
    if address:
        rows.append({"scope": ADDRESS, "subject": address, "failed_at": now})
    await session.execute(insert(LoginFailure), rows)
    await session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - limits.window))
    await session.commit()


async def forget_account(session: AsyncSession, email: str) -> None:
    """A correct password: the account's failures are forgotten (in the caller's transaction)."""
    await session.execute(
        delete(LoginFailure).where(LoginFailure.scope == ACCOUNT, LoginFailure.subject == email)
    )
