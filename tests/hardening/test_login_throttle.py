"""Failed sign-ins are limited per account and per client address, across instances.

Two server instances share one database (SQLite file or PostgreSQL): the counts are rows
there, so a guesser gains nothing by spreading attempts over instances. Client addresses
come from ``X-Forwarded-For``, which uvicorn trusts from 127.0.0.1 (as behind a proxy),
so each test guesses from addresses of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from server.accounts.models import LoginFailure
from server.accounts.throttle import LoginLimits
from server.app import create_app
from server.db import create_engine, session_factory
from server.settings import Settings
from tests import support
from tests.support import PASSWORD, ServerThread, Tenant, db_value, make_tenant

LIMITS = LoginLimits(per_account=3, per_address=5, window_seconds=900)
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


@dataclasses.dataclass
class Pair:
    """Two instances of the server on one database."""

    one: ServerThread
    two: ServerThread
    database_url: str
    settings: Settings

    def tenant(self) -> Tenant:
        """A new vendor (its owner and staff can sign in with :data:`PASSWORD`)."""
        return make_tenant(self.one.url, self.database_url, settings=self.settings)


@pytest.fixture(scope="module")
def pair(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two instances with small limits, sharing the module's database and secret."""
    settings = support.test_settings(
        own_database, tmp_path_factory.mktemp("throttle"), login_limits=LIMITS
    )
    one = ServerThread(create_app(settings), settings=settings).start()
    two = ServerThread(create_app(settings), settings=settings).start()
    try:
        yield Pair(one, two, own_database, settings)
    finally:
        one.stop()
        two.stop()


def login(server: ServerThread, email: str, password: str, address: str) -> httpx.Response:
    """POST /api/auth/login as if from ``address``."""
    return httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=30,
    )


def assert_throttled(r: httpx.Response, words: str) -> None:
    """A 429 naming who must wait, with a Retry-After within the window."""
    assert r.status_code == 429, r.text
    assert words in r.json()["detail"]
    assert 0 < int(r.headers["Retry-After"]) <= LIMITS.window_seconds
    assert f"{r.headers['Retry-After']} seconds" in r.json()["detail"]


def test_an_account_is_locked_after_its_failures_even_for_the_right_password(
    pair: Pair,
) -> None:
    t = pair.tenant()
    for _ in range(LIMITS.per_account):
        assert login(pair.one, t.owner_email, "wrong", next(_addresses)).status_code == 401
    assert_throttled(login(pair.one, t.owner_email, PASSWORD, next(_addresses)), "account")
    # the account's neighbours are not affected
    assert login(pair.one, t.staff_email, PASSWORD, next(_addresses)).status_code == 200


def test_failures_on_two_instances_add_up(pair: Pair) -> None:
    t = pair.tenant()
    servers = itertools.cycle([pair.one, pair.two])
    for _ in range(LIMITS.per_account):
        assert login(next(servers), t.owner_email, "wrong", next(_addresses)).status_code == 401
    for server in (pair.one, pair.two):
        assert_throttled(login(server, t.owner_email, PASSWORD, next(_addresses)), "account")


def test_an_address_is_blocked_after_failures_on_many_accounts(pair: Pair) -> None:
    address = next(_addresses)
    servers = itertools.cycle([pair.one, pair.two])
    for n in range(LIMITS.per_address):
        r = login(next(servers), f"guess-{n}-{address}@example.com", "wrong", address)
        assert r.status_code == 401
    t = pair.tenant()
    assert_throttled(login(pair.two, t.owner_email, PASSWORD, address), "address")
    assert login(pair.two, t.owner_email, PASSWORD, next(_addresses)).status_code == 200


def test_unknown_emails_are_counted_like_known_ones(pair: Pair) -> None:
    nobody = f"nobody-{next(_addresses)}@example.com"
    for _ in range(LIMITS.per_account):
        assert login(pair.one, nobody, "wrong", next(_addresses)).status_code == 401
    assert_throttled(login(pair.one, nobody, "wrong", next(_addresses)), "account")


def test_a_successful_sign_in_forgets_the_accounts_failures_but_not_the_addresses(
    pair: Pair,
) -> None:
    mine, theirs = pair.tenant(), pair.tenant()
    address = next(_addresses)
    for _ in range(LIMITS.per_account - 1):
        assert login(pair.one, mine.owner_email, "wrong", address).status_code == 401
    assert login(pair.one, mine.owner_email, PASSWORD, address).status_code == 200
    # the account starts again ...
    for _ in range(LIMITS.per_account - 1):
        assert login(pair.two, mine.owner_email, "wrong", next(_addresses)).status_code == 401
    assert login(pair.two, mine.owner_email, PASSWORD, next(_addresses)).status_code == 200
    # ... but signing in to my own account did not wipe the address's tally
    used = LIMITS.per_account - 1
    for _ in range(LIMITS.per_address - used):
        assert login(pair.one, theirs.owner_email, "wrong", address).status_code in (401, 429)
    assert_throttled(login(pair.one, mine.owner_email, PASSWORD, address), "address")


def test_failures_leave_the_window_and_are_pruned(pair: Pair) -> None:
    t = pair.tenant()
    for _ in range(LIMITS.per_account):
        assert login(pair.one, t.owner_email, "wrong", next(_addresses)).status_code == 401
    assert login(pair.one, t.owner_email, PASSWORD, next(_addresses)).status_code == 429
    # time passes: the failures are now older than the window
    stale = timedelta(seconds=LIMITS.window_seconds + 60)
    counted = _failures(pair, t.owner_email)
    _age(pair, t.owner_email, stale)
    assert login(pair.two, t.owner_email, PASSWORD, next(_addresses)).status_code == 200
    # the next failure, anyone's, prunes what left the window
    assert login(pair.two, "someone@example.com", "wrong", next(_addresses)).status_code == 401
    assert _failures(pair, t.owner_email) == 0 < counted


def _failures(pair: Pair, email: str) -> int:
    count: int = db_value(
        pair.database_url,
        "SELECT count(*) FROM login_failures WHERE scope = 'account' AND subject = :email",
        email=email,
    )
    return count


def _age(pair: Pair, email: str, by: timedelta) -> None:
    """Move the account's failures back in time (what waiting would do)."""

    async def shift() -> None:
        engine = create_engine(pair.database_url)
        try:
            async with session_factory(engine)() as session:
                rows = (
                    await session.scalars(select(LoginFailure).where(LoginFailure.subject == email))
                ).all()
                assert rows
                for row in rows:
                    row.failed_at -= by
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(shift())


def test_the_default_policy_and_its_environment_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert LoginLimits() == LoginLimits(per_account=10, per_address=50, window_seconds=900)
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")
    monkeypatch.setenv("LOGIN_FAILURE_WINDOW_SECONDS", "600")
    assert LoginLimits.from_env() == LoginLimits(5, 20, 600)
