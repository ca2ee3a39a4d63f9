"""When the sync client runs: debounced after changes, on a timer, backing off on failures."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator

import pytest

from mobile.store import Store
from mobile.store import actions as act
from mobile.sync import Backoff, SyncClient, SyncScheduler, Unreachable
from mobile.sync.errors import SignInRequired
from mobile.sync.tokens import StoredTokens
from mobile.sync.wire import Tokens
from tests import builders as b
from tests.mobile.helpers import poll_until, pull
from tests.mobile.scripted import ScriptedTransport


@pytest.fixture
def transport() -> ScriptedTransport:
    """A transport that answers at once."""
    return ScriptedTransport()


@pytest.fixture
async def scheduler(store: Store, transport: ScriptedTransport) -> AsyncIterator[SyncScheduler]:
    """A running scheduler with short delays (tens of milliseconds)."""
    StoredTokens(store, transport).save(Tokens(access_token="a0", refresh_token="r0"))
    pull(store, b.processing())
    client = SyncClient(store, transport)
    s = SyncScheduler(
        client,
        interval=10.0,
        debounce=0.05,
        max_debounce=0.2,
        backoff=Backoff(base=0.05, cap=0.4, rng=random.Random(1)),
    )
    s.start()
    await poll_until(lambda: s.cycles == 1)  # the first cycle runs at once
    yield s
    await s.stop()


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(base=1.0, cap=30.0, rng=random.Random(7))
    for failures, step in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (40, 30.0)]:
        delays = [backoff.delay(failures) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert max(delays) - min(delays) > step / 4  # spread apart, not in lockstep


async def test_a_burst_of_scans_is_pushed_in_one_cycle_shortly_after(
    scheduler: SyncScheduler, store: Store, transport: ScriptedTransport
) -> None:
    for _ in range(2):
        act.scan_item(store, "order-1", "MUG-1")
        scheduler.local_change()
        await asyncio.sleep(0.01)
    await poll_until(lambda: store.pending_count() == 0)
    assert scheduler.cycles == 2
    assert [len(p.mutations) for p in transport.pushed] == [2]


async def test_steady_changes_still_sync_within_the_longest_debounce(
    scheduler: SyncScheduler, store: Store, transport: ScriptedTransport
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while transport.count("push") == 0:
        assert loop.time() - started < 1.0
        scheduler.local_change()  # every 20 ms: the 50 ms debounce alone would never fire
        act.pick_line(store, "order-1", "L1", 1)
        act.pick_line(store, "order-1", "L1", -1)
        await asyncio.sleep(0.02)
    assert loop.time() - started < 0.4


async def test_failures_back_off_and_a_success_resets_the_delay(
    scheduler: SyncScheduler, store: Store, transport: ScriptedTransport
) -> None:
    transport.failures = [Unreachable("no route")] * 4
    act.scan_item(store, "order-1", "MUG-1")
    scheduler.local_change()
    await poll_until(lambda: store.pending_count() == 0)
    pushes = [t for name, t in transport.calls if name == "push"]
    assert len(pushes) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(pushes)]
    # 0.025-0.05, 0.05-0.1, 0.1-0.2, 0.2-0.4 s (plus scheduling slack)
    for gap, step in zip(gaps, (0.05, 0.1, 0.2, 0.4), strict=True):
        assert step / 2 - 0.01 <= gap <= step + 0.1
    assert scheduler.failures == 0
    status = scheduler.client.status()
    assert (status.online, status.pending, status.last_error) == (True, 0, None)


async def test_offline_waits_and_coming_back_syncs_at_once(
    scheduler: SyncScheduler, store: Store, transport: ScriptedTransport
) -> None:
    scheduler.set_online(False)
    act.scan_item(store, "order-1", "MUG-1")
    scheduler.local_change()
    await asyncio.sleep(0.3)
    assert transport.count("push") == 0
    status = scheduler.client.status()
    assert (status.online, status.pending) == (False, 1)

    scheduler.set_online(True)
    await poll_until(lambda: store.pending_count() == 0)


async def test_an_ended_session_pauses_until_someone_signs_in(
    scheduler: SyncScheduler, store: Store, transport: ScriptedTransport
) -> None:
    transport.failures = [SignInRequired("refresh token revoked")]
    act.scan_item(store, "order-1", "MUG-1")
    scheduler.local_change()
    await poll_until(lambda: scheduler.client.sign_in_required)
    await asyncio.sleep(0.3)
    assert transport.count("push") == 1
    assert scheduler.client.status().sign_in_required

    scheduler.signed_in()
    await poll_until(lambda: store.pending_count() == 0)
    assert not scheduler.client.status().sign_in_required
