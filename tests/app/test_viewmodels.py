"""The app's view models against the real server over HTTP on 127.0.0.1 (no Flutter client).

Each test signs in as a fresh vendor, so counts and searches see only that test's orders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from mobile.api import ApiClient, Credentials, NotSignedIn
from mobile.prefs import MemoryPreferences
from mobile.session import CREDENTIALS_KEY, Session, SessionKeeper
from mobile.sources import RestOrderSource
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.orders import OrdersViewModel
from mobile.viewmodels.signin import SignInViewModel
from shared import commands as c
from shared.deadlines import Urgency
from tests.support import ServerThread, Tenant, free_port, intake_order


def page_url(api: ServerThread) -> str:
    """What Flet reports as the page URL when the app is served by ``api``."""
    return f"ws://127.0.0.1:{api.port}"


def add_order(tenant: Tenant, **overrides: object) -> dict[str, str]:
    """Post a paid order through intake and return the intake result."""
    r = tenant.intake(intake_order(**overrides))
    assert r.status_code == 201, r.text
    result: dict[str, str] = r.json()
    return result


def customer(name: str) -> dict[str, str]:
    """A customer block for intake."""
    return {"name": name, "email": "someone@example.com"}


@pytest.fixture
async def session(api: ServerThread, tenant: Tenant) -> AsyncIterator[Session]:
    """The tenant's owner, signed in through the sign-in view model."""
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    signed_in = await vm.sign_in()
    assert signed_in is not None, vm.error
    yield signed_in
    await signed_in.api.aclose()


def orders_vm(
    session: Session,
    page_size: int = 50,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> OrdersViewModel:
    """The list's view model over the REST source, with a short search pause to wait out."""
    return OrdersViewModel(
        RestOrderSource(session.api),
        session.calendar,
        clock=clock,
        page_size=page_size,
        debounce_seconds=0.05,
    )


def stopped_at(moment: datetime) -> Callable[[], datetime]:
    """A clock that always says ``moment``."""
    return lambda: moment


# ---------------------------------------------------------------- sign-in


async def test_sign_in_defaults_to_the_server_the_app_was_served_from(api: ServerThread) -> None:
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=page_url(api))
    await vm.restore()
    assert vm.server == api.url
    assert vm.session is None and vm.error is None


async def test_sign_in_with_the_right_password_is_remembered_across_restarts(
    api: ServerThread, tenant: Tenant
) -> None:
    prefs = MemoryPreferences()
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    session = await vm.sign_in()
    assert session is not None and vm.error is None and not vm.busy
    assert session.user.email == tenant.owner_email
    assert session.vendor.id == tenant.vendor_id
    assert vm.password == ""  # not kept on screen after signing in
    assert CREDENTIALS_KEY in prefs.values
    await session.api.aclose()

    restarted = SignInViewModel(SessionKeeper(prefs), page_url="ws://elsewhere:1")
    resumed = await restarted.restore()
    assert resumed is not None
    assert resumed.user.email == tenant.owner_email
    assert restarted.server == api.url and restarted.email == tenant.owner_email
    await resumed.api.aclose()


async def test_wrong_password_is_refused_with_a_sentence_and_nothing_is_remembered(
    api: ServerThread, tenant: Tenant
) -> None:
    prefs = MemoryPreferences()
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, "not the password"
    assert await vm.sign_in() is None
    assert vm.error == "Wrong email or password."
    assert not vm.busy and vm.session is None
    assert CREDENTIALS_KEY not in prefs.values


async def test_missing_fields_are_named_before_asking_the_server(api: ServerThread) -> None:
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=page_url(api))
    assert await vm.sign_in() is None
    assert vm.error == "Enter your email address."
    vm.email = "someone@example.com"
    assert await vm.sign_in() is None
    assert vm.error == "Enter your password."


async def test_an_unreachable_server_is_reported_as_such() -> None:
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()))
    vm.server = f"127.0.0.1:{free_port()}"
    vm.email, vm.password = "someone@example.com", "secret"
    assert await vm.sign_in() is None
    assert vm.error is not None and vm.error.startswith("Cannot reach the server at http://")


async def test_sign_out_forgets_the_tokens_but_keeps_address_and_email(
    api: ServerThread, tenant: Tenant
) -> None:
    prefs = MemoryPreferences()
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    assert await vm.sign_in() is not None
    await vm.sign_out()
    assert vm.session is None
    assert CREDENTIALS_KEY not in prefs.values
    again = SignInViewModel(SessionKeeper(prefs))
    assert await again.restore() is None
    assert again.email == tenant.owner_email and again.server == api.url


async def test_an_expired_access_token_is_renewed_once_for_calls_made_together(
    session: Session,
) -> None:
    api = session.api
    assert api.credentials is not None
    old = api.credentials
    expire_access(api)
    # Two calls at once must share one refresh: a refresh token works only once.
    counts, page = await asyncio.gather(api.counts(), api.orders())
    assert counts.total == 0 and page.items == []
    assert api.credentials.refresh_token != old.refresh_token
    assert (await api.me()).user.id == session.user.id
    await api.refresh()  # the session family was not revoked by a second use


async def test_two_tabs_sharing_storage_do_not_sign_each_other_out(
    api: ServerThread, tenant: Tenant
) -> None:
    keeper = SessionKeeper(MemoryPreferences())  # one browser profile, two tabs
    vm = SignInViewModel(keeper, page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    first = await vm.sign_in()
    assert first is not None
    second = await SignInViewModel(keeper).restore()
    assert second is not None
    for tab in (first, second):
        expire_access(tab.api)
    await first.api.counts()  # the first tab renews the session...
    await second.api.counts()  # ...the second takes the renewed tokens instead of reusing
    assert second.api.credentials == first.api.credentials
    await first.api.refresh()  # nothing was revoked
    for tab in (first, second):
        await tab.api.aclose()


def expire_access(api: ApiClient) -> None:
    """Make the client believe its access token ran out a minute ago."""
    assert api.credentials is not None
    api.credentials = msgspec.structs.replace(
        api.credentials, access_expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )


async def test_a_refused_refresh_token_means_signed_out(session: Session) -> None:
    api = ApiClient(
        session.api.base_url,
        credentials=Credentials(
            access_token="not-a-token",
            access_expires_at=datetime.now(UTC) + timedelta(minutes=5),
            refresh_token="not-a-refresh-token",
            refresh_expires_at=datetime.now(UTC) + timedelta(days=1),
        ),
    )
    with pytest.raises(NotSignedIn):
        await api.counts()
    assert api.credentials is None
    await api.aclose()


# ---------------------------------------------------------------- the list


async def test_chips_count_every_status_and_filter_the_list(
    tenant: Tenant, session: Session
) -> None:
    first = add_order(tenant)
    gone = add_order(tenant)
    add_order(tenant)
    add_order(tenant)
    source = RestOrderSource(session.api)
    await source.act(first["order_id"], c.StartProcessing())
    await source.act(gone["order_id"], c.Cancel())
    vm = orders_vm(session)
    await vm.load()
    chips = {chip.label: chip.count for chip in vm.chips}
    assert chips == {
        "Open": 3,
        "All": 4,
        "New": 2,
        "Processing": 1,
        "Ready to ship": 0,
        "Shipped": 0,
        "Delivered": 0,
        "On hold": 0,
        "Cancelled": 1,
    }
    # The work still to do is what the list opens with.
    assert [chip.label for chip in vm.chips if chip.selected] == ["Open"]
    assert len(vm.rows) == 3 and gone["order_id"] not in {r.id for r in vm.rows}

    await vm.select("all")
    assert len(vm.rows) == 4

    await vm.select("processing")
    assert [r.id for r in vm.rows] == [first["order_id"]]
    assert vm.rows[0].status_label == "Processing"
    assert [chip.label for chip in vm.chips if chip.selected] == ["Processing"]

    await vm.select("shipped")
    assert vm.rows == [] and vm.empty_text == "No orders are shipped."


async def test_search_by_customer_name_waits_for_typing_to_pause(
    tenant: Tenant, session: Session
) -> None:
    ava = add_order(tenant, customer=customer("Ava Adams"))
    add_order(tenant, customer=customer("Ben Brown"))
    vm = orders_vm(session)
    await vm.load()
    assert len(vm.rows) == 2

    vm.search("a")
    vm.search("ad")
    vm.search("ADA")  # case does not matter
    assert len(vm.rows) == 2  # nothing asked yet: still typing
    await vm.settle()
    assert [r.customer_name for r in vm.rows] == ["Ava Adams"]
    assert vm.rows[0].id == ava["order_id"]
    assert vm.total == 1  # the chips count under the search too

    await vm.search_now("zzz")
    assert vm.rows == [] and vm.empty_text == "No orders match “zzz”."


async def test_search_by_part_of_an_order_number(tenant: Tenant, session: Session) -> None:
    add_order(tenant, number="NB-7001")
    wanted = add_order(tenant, number="NB-7002")
    vm = orders_vm(session)
    await vm.search_now("7002")
    assert [r.id for r in vm.rows] == [wanted["order_id"]]
    assert vm.rows[0].number == "NB-7002"


async def test_the_list_pages_lazily_by_cursor_in_ship_by_order(
    tenant: Tenant, session: Session
) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    for i in range(7):
        add_order(tenant, paid_at=(start + timedelta(hours=7 * i)).isoformat())
    vm = orders_vm(session, page_size=3)
    await vm.load()
    assert len(vm.rows) == 3 and vm.has_more
    await vm.load_more()
    assert len(vm.rows) == 6 and vm.has_more
    await vm.load_more()
    assert len(vm.rows) == 7 and not vm.has_more
    await vm.load_more()  # nothing left: nothing happens
    assert len(vm.rows) == 7
    assert len({r.id for r in vm.rows}) == 7
    deadlines = [r.ship_by for r in vm.rows]
    summaries = (await RestOrderSource(session.api).page(limit=7)).items
    assert [s.id for s in summaries] == [r.id for r in vm.rows]
    assert all(d.startswith("Ship by ") for d in deadlines)


async def test_badges_say_late_due_today_or_due_in_hours(tenant: Tenant, session: Session) -> None:
    paid = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # a Monday; ship by end of Thursday, New York
    made = add_order(tenant, paid_at=paid.isoformat())
    cancelled = add_order(tenant, paid_at=paid.isoformat())
    await RestOrderSource(session.api).act(cancelled["order_id"], c.Cancel())
    detail = await RestOrderSource(session.api).detail(made["order_id"])
    ship_by = detail.order.ship_by
    assert ship_by is not None

    for now, expected in [
        (ship_by + timedelta(hours=1), ("late", Urgency.LATE)),
        (ship_by - timedelta(hours=2), ("due today", Urgency.DUE_TODAY)),
        (ship_by - timedelta(hours=30), ("due in 30 h", Urgency.ON_TRACK)),
    ]:
        vm = orders_vm(session, clock=stopped_at(now))
        await vm.select("all")
        row = next(r for r in vm.rows if r.id == made["order_id"])
        assert (row.badge, row.urgency) == expected, now
        gone = next(r for r in vm.rows if r.id == cancelled["order_id"])
        assert gone.badge == "" and gone.urgency is None  # cancelled: no deadline


async def test_a_scanned_order_number_opens_exactly_that_order(
    tenant: Tenant, session: Session
) -> None:
    add_order(tenant, number="SC-1010")  # contains the scanned code, but is another order
    wanted = add_order(tenant, number="SC-101")
    vm = orders_vm(session)
    assert await vm.open_code(" sc-101 ") == wanted["order_id"]
    assert vm.scan_message is None
    assert await vm.open_code("SC-999") is None
    assert vm.scan_message == "No order SC-999."


# ---------------------------------------------------------------- one order


async def test_the_order_screen_shows_items_address_and_why_steps_wait(
    tenant: Tenant, session: Session
) -> None:
    made = add_order(tenant, customer=customer("Casey Jones"))
    vm = OrderDetailViewModel(RestOrderSource(session.api), session.calendar)
    await vm.load(made["order_id"])
    assert vm.error is None and vm.title == f"Order {made['number']}"
    assert vm.status_label == "New"
    assert vm.customer[0] == "Casey Jones"
    assert vm.address == ["Casey Customer", "12 Elm St", "Springfield IL 62701", "US"]
    assert vm.address_problems == []
    assert [(ln.sku, ln.progress) for ln in vm.lines] == [
        ("MUG-1", "0 / 2 picked"),
        ("TOTE-2", "0 / 1 picked"),
    ]
    actions = {a.action: a for a in vm.actions}
    assert actions["start_processing"].enabled
    assert "inspect" not in actions  # a step of a later stage: not shown yet
    assert "add_note" not in actions

    assert await vm.run("start_processing")
    assert vm.status_label == "Processing"
    assert vm.message == "Start processing: done."
    actions = {a.action: a for a in vm.actions}
    assert "start_processing" not in actions
    assert actions["pick"].allowed and not actions["pick"].one_tap  # the pick step's job
    assert not actions["inspect"].allowed
    assert actions["inspect"].reason == "Pick every item first (3 still to pick)."


async def test_a_refused_step_shows_the_servers_reason(tenant: Tenant, session: Session) -> None:
    made = add_order(tenant)
    source = RestOrderSource(session.api)
    vm = OrderDetailViewModel(source, session.calendar)
    await vm.load(made["order_id"])
    await source.act(made["order_id"], c.Cancel())  # another device cancels meanwhile
    assert not await vm.run("start_processing")
    assert vm.message is not None and vm.message.endswith(".")
    assert vm.status_label == "New"  # what was loaded; nothing pretended


async def test_an_unknown_order_says_it_does_not_exist(session: Session) -> None:
    vm = OrderDetailViewModel(RestOrderSource(session.api), session.calendar)
    await vm.load("no-such-order")
    assert vm.order is None
    assert vm.error == "This order does not exist (or belongs to another seller)."
