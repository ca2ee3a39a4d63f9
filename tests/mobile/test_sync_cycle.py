"""The order of a sync cycle and its failure paths (scripted server answers)."""

from __future__ import annotations

import pytest

from mobile.store import Store
from mobile.store import actions as act
from mobile.sync import AccessExpired, ServerError, SyncClient, SyncStatus, Unreachable
from mobile.sync.errors import RequestRefused
from mobile.sync.tokens import StoredTokens
from mobile.sync.wire import Tokens
from shared.sync import MutationResult, MutationStatus, PushRequest, PushResponse
from tests import builders as b
from tests.mobile.helpers import pull
from tests.mobile.scripted import ScriptedTransport


@pytest.fixture
def transport() -> ScriptedTransport:
    """A transport that answers at once."""
    return ScriptedTransport()


@pytest.fixture
def client(store: Store, transport: ScriptedTransport) -> SyncClient:
    """A signed-in client with one order in processing and small push batches."""
    StoredTokens(store, transport).save(Tokens(access_token="a0", refresh_token="r0"))
    pull(store, b.processing())
    return SyncClient(store, transport, push_batch=4)


def _scan(store: Store, times: int) -> None:
    """Pick a mug and put it back, ``times`` times (two mutations each)."""
    for _ in range(times):
        act.pick_line(store, "order-1", "L1", 1)
        act.pick_line(store, "order-1", "L1", -1)


async def test_the_outbox_is_pushed_in_order_in_batches_then_pulled(
    client: SyncClient, store: Store, transport: ScriptedTransport
) -> None:
    _scan(store, 5)
    made = [m.mutation_id for m in store.outbox_batch(100)]
    report = await client.sync()
    sent = [m.mutation_id for p in transport.pushed for m in p.mutations]
    assert sent == made
    assert [len(p.mutations) for p in transport.pushed] == [4, 4, 2]
    assert all(p.device_id == store.device_id for p in transport.pushed)
    assert [name for name, _ in transport.calls] == ["push", "push", "push", "pull"]
    assert (report.pushed, report.applied, report.pages) == (10, 10, 1)
    assert store.pending_count() == 0
    assert store.last_synced_at() is not None


async def test_an_expired_token_is_refreshed_and_the_same_batch_sent_again(
    client: SyncClient, store: Store, transport: ScriptedTransport
) -> None:
    _scan(store, 3)
    transport.failures = [AccessExpired("access token expired")]
    first = store.outbox_batch(4)
    await client.sync()
    assert transport.refreshes == 1
    assert transport.tokens_seen[:2] == ["a0", "access-1"]
    # The refused first attempt never reached the "server"; the resend is the same batch.
    assert transport.pushed[0].mutations == first
    sent = [m.mutation_id for p in transport.pushed for m in p.mutations]
    assert len(sent) == len(set(sent)) == 6
    saved = StoredTokens(store, transport).current()
    assert saved is not None and saved.refresh_token == "r-1"


async def test_a_failed_push_keeps_the_outbox_and_skips_the_pull(
    client: SyncClient, store: Store, transport: ScriptedTransport
) -> None:
    _scan(store, 1)
    seen: list[SyncStatus] = []
    client.listeners.append(seen.append)
    transport.failures = [Unreachable("connection reset")]
    with pytest.raises(Unreachable):
        await client.sync()
    assert seen[0].syncing and not seen[-1].syncing
    assert (seen[-1].online, seen[-1].pending, seen[-1].last_error) == (
        False,
        2,
        "connection reset",
    )
    assert transport.count("pull") == 0
    assert store.pending_count() == 2
    status = client.status()
    assert (status.online, status.pending) == (False, 2)
    assert status.last_error is not None and "reset" in status.last_error


async def test_a_partial_answer_keeps_the_rest_and_skips_the_pull(
    client: SyncClient, store: Store, transport: ScriptedTransport
) -> None:
    _scan(store, 2)

    def first_only(request: PushRequest) -> PushResponse:
        m = request.mutations[0]
        return PushResponse(
            results=[MutationResult(mutation_id=m.mutation_id, status=MutationStatus.APPLIED)]
        )

    transport.answer = first_only
    with pytest.raises(ServerError):
        await client.sync()
    assert transport.count("pull") == 0
    assert store.pending_count() == 3


async def test_a_mutation_the_server_cannot_read_is_set_aside_with_the_reason(
    client: SyncClient, store: Store, transport: ScriptedTransport
) -> None:
    _scan(store, 2)
    bad = store.outbox_batch(4)[2]

    def refuse_bad(request: PushRequest) -> PushResponse:
        if any(m.mutation_id == bad.mutation_id for m in request.mutations):
            raise RequestRefused(400, "mutations[2].command: unknown action")
        return PushResponse(
            results=[
                MutationResult(mutation_id=m.mutation_id, status=MutationStatus.APPLIED)
                for m in request.mutations
            ]
        )

    transport.answer = refuse_bad
    report = await client.sync()
    assert store.pending_count() == 0
    [rejected] = store.rejected()
    assert rejected.mutation == bad
    assert (rejected.code, rejected.message) == (
        "unreadable",
        "mutations[2].command: unknown action",
    )
    assert (report.applied, report.rejected) == (3, 1)
