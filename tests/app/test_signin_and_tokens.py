"""Sign-in, staying signed in, and the one owner of the session's tokens (REST and sync alike)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from mobile.api import ApiClient, NotSignedIn
from mobile.prefs import MemoryPreferences
from mobile.session import (
    ACCOUNT_KEY,
    CREDENTIALS_KEY,
    SERVER_KEY,
    PrefsVault,
    Session,
    SessionKeeper,
)
from mobile.store import actions
from mobile.sync.tokens import TokenOwner
from mobile.sync.wire import Tokens
from mobile.viewmodels.signin import SignInViewModel
from mobile.workspace import Workspace
from tests.app.conftest import WorkspaceFactory, page_url
from tests.support import ServerThread, Tenant, free_port, intake_order


async def signed_in_earlier(api: ServerThread, tenant: Tenant) -> tuple[MemoryPreferences, Session]:
    """The owner signed in on this device in an earlier run of the app: what it remembered,
    and that session (its client closed, as the app's end closes it)."""
    prefs = MemoryPreferences()
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    session = await vm.sign_in()
    assert session is not None
    await session.api.aclose()
    return prefs, session


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
    assert resumed.device_id == session.device_id  # the same device: the same store file
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


async def test_a_restart_with_the_server_out_of_reach_resumes_the_remembered_session(
    api: ServerThread, tenant: Tenant
) -> None:
    # The offline PWA starts from cache with no network: the person works on with the
    # device store instead of being sent to a sign-in the server cannot answer.
    prefs, session = await signed_in_earlier(api, tenant)
    prefs.values[SERVER_KEY] = f"http://127.0.0.1:{free_port()}"  # nobody answers there

    offline = SignInViewModel(SessionKeeper(prefs))
    resumed = await offline.restore()
    assert resumed is not None and offline.error is None and not offline.busy
    assert resumed.user.email == tenant.owner_email
    assert resumed.vendor.id == tenant.vendor_id
    assert resumed.device_id == session.device_id  # the same device store
    assert CREDENTIALS_KEY in prefs.values  # still signed in for when the server is back
    await resumed.api.aclose()


async def test_a_restart_does_not_wait_for_a_server_that_never_answers(
    api: ServerThread, tenant: Tenant
) -> None:
    # Bad Wi-Fi: the connection opens, then nothing comes back. The list must not wait
    # for the API's timeout; the account is checked in the background meanwhile.
    prefs, _session = await signed_in_earlier(api, tenant)

    asked = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()  # the request arrives...
        asked.set()
        await asyncio.sleep(3600)  # ...and is never answered

    silent_server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = silent_server.sockets[0].getsockname()[1]
    prefs.values[SERVER_KEY] = f"http://127.0.0.1:{port}"
    try:
        restarted = SignInViewModel(SessionKeeper(prefs))
        resumed = await restarted.restore()
        assert resumed is not None and restarted.error is None
        assert resumed.user.email == tenant.owner_email
        await asyncio.wait_for(asked.wait(), 10)  # the background check did ask...
        assert restarted.refreshing is not None and not restarted.refreshing.done()
        await restarted.sign_out()  # ...and signing out stops waiting for it
        assert restarted.refreshing is None
    finally:
        silent_server.close()


async def test_a_resumed_session_refreshes_the_remembered_account(
    api: ServerThread, tenant: Tenant
) -> None:
    prefs, _session = await signed_in_earlier(api, tenant)
    # What an older start remembered: the vendor had another name then.
    stale = msgspec.json.decode(prefs.values[ACCOUNT_KEY])
    stale["vendor"]["name"] = "Old Name Ltd"
    prefs.values[ACCOUNT_KEY] = msgspec.json.encode(stale).decode()

    restarted = SignInViewModel(SessionKeeper(prefs))
    resumed = await restarted.restore()
    assert resumed is not None and resumed.vendor.name == "Old Name Ltd"  # at once
    assert restarted.refreshing is not None
    await restarted.refreshing
    assert resumed.vendor.name != "Old Name Ltd"  # as the server has it
    assert "Old Name Ltd" not in prefs.values[ACCOUNT_KEY]
    await resumed.api.aclose()


async def test_a_restart_out_of_reach_without_a_remembered_account_says_so(
    api: ServerThread, tenant: Tenant
) -> None:
    prefs, _session = await signed_in_earlier(api, tenant)
    del prefs.values[ACCOUNT_KEY]  # as a sign-in of an older version left it
    prefs.values[SERVER_KEY] = f"http://127.0.0.1:{free_port()}"

    offline = SignInViewModel(SessionKeeper(prefs))
    assert await offline.restore() is None
    assert offline.error is not None
    assert offline.error.startswith("Could not resume your session: ")
    assert CREDENTIALS_KEY in prefs.values  # kept: the server may be back in a minute


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


# ---------------------------------------------------------------- one token owner


def expire_access(owner: TokenOwner) -> Tokens:
    """Make the owner believe its access token ran out a minute ago; returns the old pair."""
    vault = owner.vault
    assert isinstance(vault, PrefsVault) and vault.tokens is not None
    old = vault.tokens
    vault.tokens = msgspec.structs.replace(
        old, access_expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    return old


def count_refreshes(owner: TokenOwner) -> list[str]:
    """Record each refresh the owner makes (it still goes to the real server)."""
    seen: list[str] = []
    real = owner.refresher

    async def counted(refresh_token: str) -> Tokens:
        seen.append(refresh_token)
        return await real(refresh_token)

    owner.refresher = counted
    return seen


async def test_rest_calls_and_the_sync_client_share_one_refresh(
    session: Session, workspace: Workspace, prefs: MemoryPreferences
) -> None:
    owner = session.tokens
    old = expire_access(owner)
    refreshes = count_refreshes(owner)
    # The REST client and the sync client need a fresh token at the same moment.
    me, status = await asyncio.gather(session.api.me(), workspace.sync_and_wait())
    assert me.user.id == session.user.id
    assert status.last_error is None and status.last_synced_at is not None
    assert refreshes == [old.refresh_token]  # one refresh, whoever asked
    renewed = owner.current()
    assert renewed is not None and renewed.refresh_token != old.refresh_token
    # Written where a restart finds it, at once (the old refresh token is spent).
    assert msgspec.json.decode(prefs.values[CREDENTIALS_KEY], type=Tokens) == renewed
    # The server did not see a refresh token used twice: the sign-in is still alive.
    await owner.renew(renewed.access_token)
    again = owner.current()
    assert again is not None and again.refresh_token != renewed.refresh_token
    assert (await session.api.me()).user.id == session.user.id


async def test_two_tabs_sharing_storage_do_not_sign_each_other_out(
    api: ServerThread, tenant: Tenant
) -> None:
    keeper = SessionKeeper(MemoryPreferences())  # one browser profile, two tabs
    vm = SignInViewModel(keeper, page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    first = await vm.sign_in()
    assert first is not None
    restored = SignInViewModel(keeper)
    second = await restored.restore()
    assert second is not None
    assert restored.refreshing is not None
    await restored.refreshing  # its account check, before the tokens are made to expire
    for tab in (first, second):
        expire_access(tab.tokens)
    await first.api.me()  # the first tab renews the session...
    await second.api.me()  # ...the second takes the renewed tokens instead of reusing
    assert second.tokens.current() == first.tokens.current()
    renewed = first.tokens.current()
    assert renewed is not None
    await first.tokens.renew(renewed.access_token)  # nothing was revoked
    assert (await first.api.me()).user.id == first.user.id
    for tab in (first, second):
        await tab.api.aclose()


async def test_a_refused_refresh_token_ends_the_session_for_rest_and_sync(
    api: ServerThread, session: Session, open_workspace: WorkspaceFactory
) -> None:
    prefs = MemoryPreferences()
    keeper = SessionKeeper(prefs)
    forged = Tokens(
        access_token="not-a-token",
        refresh_token="not-a-refresh-token",
        access_expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    api_client: ApiClient = await keeper.client(api.url, forged)
    await api_client.tokens.set(forged)  # type: ignore[union-attr]
    with pytest.raises(NotSignedIn):
        await api_client.me()
    assert api_client.tokens is not None and api_client.tokens.current() is None
    assert CREDENTIALS_KEY not in prefs.values
    await api_client.aclose()

    # The sync client of a session whose refresh token is refused stops and says so.
    await session.tokens.set(forged)
    workspace = open_workspace()
    status = await workspace.sync_and_wait()
    assert status.sign_in_required and status.last_synced_at is None


async def test_a_session_ended_mid_work_keeps_the_changes_for_the_next_sign_in(
    api: ServerThread, tenant: Tenant, session: Session, open_workspace: WorkspaceFactory
) -> None:
    r = tenant.intake(intake_order())
    order_id = r.json()["order_id"]
    workspace = open_workspace()
    await workspace.sync_and_wait()
    workspace.act(actions.start_processing, order_id)
    await session.tokens.set(Tokens(access_token="x", refresh_token="spent"))
    assert (await workspace.sync_and_wait()).sign_in_required
    await workspace.close()

    # The same person signs in again on the same device: the store file is the same one.
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    again = await vm.sign_in()
    assert again is not None
    reopened = open_workspace(tokens=again.tokens)
    assert reopened.store.pending_count() == 1
    status = await reopened.sync_and_wait()
    assert status.pending == 0 and not status.sign_in_required
    assert tenant.get(f"/api/orders/{order_id}").json()["order"]["status"] == "processing"
    await again.api.aclose()
