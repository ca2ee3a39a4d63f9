"""Claims on the device ("I'm picking this") against the real server: who is on an order,
claiming, taking over, releasing, renewing while working, and running out by the server's
clock. Time left is counted on an injected monotonic clock so no test waits 15 minutes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mobile.api import ApiClient
from mobile.claims import CLAIM_MINUTES, OFFLINE, Claims
from mobile.prefs import MemoryPreferences
from mobile.session import Session, SessionKeeper
from mobile.viewmodels.claim import ClaimState, ClaimViewModel
from mobile.viewmodels.signin import SignInViewModel
from tests.app.conftest import page_url
from tests.support import ServerThread, Tenant, free_port


def state(vm: ClaimViewModel) -> ClaimState:
    """The bar's state now (a call, so each check reads it afresh)."""
    return vm.state


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def staff(api: ServerThread, tenant: Tenant) -> AsyncIterator[Session]:
    """The tenant's staff member, signed in on a second device."""
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=page_url(api))
    vm.email, vm.password = tenant.staff_email, tenant.password
    signed_in = await vm.sign_in()
    assert signed_in is not None, vm.error
    yield signed_in
    await signed_in.api.aclose()


async def test_a_claim_shows_as_mine_here_and_as_theirs_on_another_device(
    session: Session, staff: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("processing")
    mine, theirs = Claims(session.api, session.user.id), Claims(staff.api, staff.user.id)
    assert await mine.claim(order_id) is None
    held = mine.holder(order_id)
    assert held is not None and held.mine
    assert held.text == f"You are on this ({CLAIM_MINUTES} min left)"

    assert await theirs.refresh()
    seen = theirs.holder(order_id)
    assert seen is not None and not seen.mine
    assert seen.text.startswith("Olive Owner is on this")

    refused = await theirs.claim(order_id)
    assert refused is not None and "Olive Owner is working on order" in refused
    assert await theirs.claim(order_id, take_over=True) is None
    assert await mine.refresh()
    now_on = mine.holder(order_id)
    assert now_on is not None and now_on.user_name == "Sid Staff" and not now_on.mine


async def test_releasing_clears_the_order_for_everyone(
    session: Session, staff: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("new")
    mine, theirs = Claims(session.api, session.user.id), Claims(staff.api, staff.user.id)
    changes: list[int] = []
    theirs.subscribe(lambda: changes.append(1))
    assert await mine.claim(order_id) is None
    assert await theirs.refresh() and theirs.holder(order_id) is not None
    assert await mine.release(order_id) is None
    assert mine.holder(order_id) is None
    assert await theirs.refresh() and theirs.holder(order_id) is None
    assert len(changes) == 2  # appeared, then went


async def test_a_claim_runs_out_by_the_servers_clock_and_is_renewed_while_working(
    session: Session, staff: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("new")
    clock = Clock()
    mine = Claims(session.api, session.user.id, clock=clock)
    theirs = Claims(staff.api, staff.user.id, clock=clock)
    assert await mine.claim(order_id) is None
    assert await theirs.refresh()
    clock.now += 6 * 60  # six minutes of picking: nine left, time to renew
    await mine.keep(order_id)
    held = mine.holder(order_id)
    assert held is not None and held.seconds_left == CLAIM_MINUTES * 60
    clock.now += 9 * 60 + 1  # the other device's copy (not renewed there) has run out
    assert theirs.holder(order_id) is None
    assert await theirs.refresh()  # the server says it still runs (it was renewed)
    assert theirs.holder(order_id) is not None


async def test_offline_claiming_says_so_and_keeps_the_last_board(
    session: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("new")
    online = Claims(session.api, session.user.id)
    assert await online.claim(order_id) is None
    dead = ApiClient(f"http://127.0.0.1:{free_port()}", tokens=session.tokens)
    offline = Claims(dead, session.user.id)
    offline._held = online._held  # what this device knew before the network went
    try:
        assert await offline.claim(order_id) == OFFLINE
        assert not await offline.refresh()
        assert offline.holder(order_id) is not None
    finally:
        await dead.aclose()


async def test_an_order_with_no_work_left_cannot_be_claimed(
    session: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("shipped")
    refused = await Claims(session.api, session.user.id).claim(order_id)
    assert refused is not None and "nothing left to pick" in refused


async def test_the_claim_bar_claims_asks_before_a_take_over_and_releases(
    session: Session, staff: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("processing")
    mine = ClaimViewModel(Claims(session.api, session.user.id), online=lambda: True)
    theirs = ClaimViewModel(Claims(staff.api, staff.user.id), online=lambda: True)
    redraws: list[int] = []
    mine.subscribe(lambda: redraws.append(1))
    mine.load(order_id)
    assert state(mine) is ClaimState.FREE and mine.text == "Nobody is on this order."
    await mine.claim()
    assert state(mine) is ClaimState.MINE and mine.message == ""
    assert redraws

    theirs.load(order_id)
    assert await theirs.claims.refresh()
    assert state(theirs) is ClaimState.THEIRS
    assert theirs.text.startswith("Olive Owner is on this")
    theirs.ask_take_over()
    assert theirs.confirming and state(theirs) is ClaimState.THEIRS  # nothing sent yet
    theirs.cancel_take_over()
    assert await theirs.claims.refresh() and state(theirs) is ClaimState.THEIRS
    theirs.ask_take_over()
    await theirs.take_over()
    assert state(theirs) is ClaimState.MINE and not theirs.confirming

    await mine.claims.refresh()
    assert state(mine) is ClaimState.THEIRS
    await mine.claim()  # refused: Sid is on it now, and the bar says so
    assert "Sid Staff is working on order" in mine.message
    await theirs.release()
    await mine.claims.refresh()
    assert state(mine) is ClaimState.FREE


async def test_offline_the_claim_bar_says_why_it_cannot_act(
    session: Session, tenant: Tenant
) -> None:
    order_id = tenant.order("new")
    vm = ClaimViewModel(Claims(session.api, session.user.id), online=lambda: False)
    vm.load(order_id)
    assert state(vm) is ClaimState.FREE and not vm.can_act
    assert vm.text.startswith("Offline: nobody can see who is on this order")
