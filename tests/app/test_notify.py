"""Settings → "Notify me of new orders": the switch's view model against the real server.

The server is real (over HTTP, its real push routes and database): every check of what is
registered reads ``GET /api/push/subscriptions`` as the user. The browser's side — the
permission prompt and ``pushManager.subscribe`` — is a scripted :class:`ScriptedPort`, a
test double for the browser: headless Chromium cannot subscribe to a real push service
(there is none here), so no real subscription could be made. It hands out subscriptions
shaped like a browser's (a real P-256 key, a 16-byte auth secret) whose endpoint is on the
reserved ``.invalid`` domain, so the test server's dispatcher never reaches anything.
``tests/pwa/test_notify_switch.py`` checks the real bridge in Chromium.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mobile.prefs import MemoryPreferences
from mobile.push import (
    BrowserSubscription,
    Permission,
    PushApi,
    PushError,
    SubscriptionKeys,
    UnsupportedPushPort,
    read_record,
)
from mobile.session import Session, SessionKeeper
from mobile.viewmodels.notify import NotifyState, NotifyViewModel
from mobile.viewmodels.signin import SignInViewModel
from tests.app.conftest import page_url
from tests.support import ServerThread, Tenant


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ScriptedPort:
    """The browser's Web Push as a script: what the permission is, what the person answers,
    and whether subscribing works. Records every call."""

    def __init__(
        self,
        permission: Permission = "default",
        answer: Permission = "granted",
        subscribe_error: PushError | None = None,
        endpoint_host: str = "https://push.shipfloor.invalid",
    ) -> None:
        self.current: Permission = permission
        self.answer: Permission = answer
        self.subscribe_error = subscribe_error
        self.endpoint_host = endpoint_host
        self.unsupported_reason = ""
        self.calls: list[str] = []
        self.subscription: BrowserSubscription | None = None

    async def permission(self) -> Permission:
        self.calls.append("permission")
        return self.current

    async def request_permission(self) -> Permission:
        self.calls.append("request")
        self.current = self.answer
        return self.current

    async def subscribe(self, public_key: str) -> BrowserSubscription:
        self.calls.append("subscribe")
        assert len(base64.urlsafe_b64decode(public_key + "==")) == 65  # the server's P-256 key
        if self.subscribe_error is not None:
            raise self.subscribe_error
        point = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        self.subscription = BrowserSubscription(
            endpoint=f"{self.endpoint_host}/send/{uuid.uuid4().hex}",
            keys=SubscriptionKeys(p256dh=_b64(point), auth=_b64(os.urandom(16))),
        )
        return self.subscription

    async def unsubscribe(self) -> bool:
        self.calls.append("unsubscribe")
        had, self.subscription = self.subscription is not None, None
        return had

    def close(self) -> None:
        self.calls.append("close")


def registered(tenant: Tenant) -> list[dict[str, Any]]:
    """The owner's subscriptions as the server lists them."""
    response = tenant.get("/api/push/subscriptions")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


@pytest.fixture
def prefs() -> MemoryPreferences:
    """This device's preferences (kept across sign-ins within a test)."""
    return MemoryPreferences()


async def sign_in(api: ServerThread, tenant: Tenant, prefs: MemoryPreferences) -> SignInViewModel:
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    assert await vm.sign_in() is not None, vm.error
    return vm


@pytest.fixture
async def signin(
    api: ServerThread, tenant: Tenant, prefs: MemoryPreferences
) -> AsyncIterator[SignInViewModel]:
    """The tenant's owner signed in on this device through the sign-in view model."""
    vm = await sign_in(api, tenant, prefs)
    yield vm
    if vm.session is not None:
        await vm.session.api.aclose()


def state(vm: NotifyViewModel) -> NotifyState:
    """The state now (a call, so the type checker does not keep an earlier narrowing)."""
    return vm.state


def current(signin: SignInViewModel) -> Session:
    assert signin.session is not None
    return signin.session


async def test_turning_on_asks_then_registers_this_device_on_the_server(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    port = ScriptedPort()
    vm = NotifyViewModel.for_session(session, prefs, port)
    seen: list[NotifyState] = []
    vm.subscribe(lambda: seen.append(vm.state))
    await vm.start()
    assert state(vm) is NotifyState.OFF and vm.enabled and not vm.switch_on
    assert registered(tenant) == []

    await vm.turn_on()
    assert state(vm) is NotifyState.ON, vm.status
    assert vm.switch_on and vm.status.startswith("On")
    assert NotifyState.ASKING in seen  # the switch showed the work in between
    assert port.calls[-3:] == ["permission", "request", "subscribe"]
    rows = registered(tenant)
    assert len(rows) == 1
    assert rows[0]["device_id"] == session.device_id
    assert rows[0]["endpoint_origin"] == "https://push.shipfloor.invalid"
    record = await read_record(prefs, session.user.id)
    assert record is not None and record.id == rows[0]["id"] and not record.remove

    # Reopened (a new sign-in view of the same device): still on, nothing asked again.
    again = ScriptedPort(permission="granted")
    reopened = NotifyViewModel(again, PushApi(session.api), prefs, session.user.id)
    await reopened.start()
    assert state(reopened) is NotifyState.ON
    assert "request" not in again.calls and "subscribe" not in again.calls


async def test_denied_permission_says_how_to_allow_and_registers_nothing(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    port = ScriptedPort(answer="denied")
    vm = NotifyViewModel.for_session(session, prefs, port)
    await vm.start()
    await vm.turn_on()
    assert state(vm) is NotifyState.DENIED
    assert not vm.switch_on and vm.enabled
    assert "site settings" in vm.status.lower()
    assert "subscribe" not in port.calls
    assert registered(tenant) == []
    assert await read_record(prefs, session.user.id) is None

    # Already blocked when the app starts: said at once.
    blocked = NotifyViewModel(
        ScriptedPort(permission="denied"), PushApi(session.api), prefs, session.user.id
    )
    await blocked.start()
    assert state(blocked) is NotifyState.DENIED


async def test_a_dismissed_prompt_leaves_it_off(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    vm = NotifyViewModel.for_session(session, prefs, ScriptedPort(answer="default"))
    await vm.start()
    await vm.turn_on()
    assert state(vm) is NotifyState.OFF and "not allowed" in vm.status
    assert registered(tenant) == []


async def test_turning_off_removes_the_subscription_here_and_on_the_server(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    port = ScriptedPort()
    vm = NotifyViewModel.for_session(session, prefs, port)
    await vm.start()
    await vm.toggle(True)
    assert len(registered(tenant)) == 1

    await vm.toggle(False)
    assert state(vm) is NotifyState.OFF, vm.status
    assert port.calls[-1] == "unsubscribe" and port.subscription is None
    assert registered(tenant) == []
    assert await read_record(prefs, session.user.id) is None


async def test_sign_out_removes_the_subscription_on_the_server(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    port = ScriptedPort()
    vm = NotifyViewModel.for_session(session, prefs, port)
    await vm.start()
    await vm.turn_on()
    assert len(registered(tenant)) == 1

    await signin.sign_out()  # what Settings → Sign out does (its hooks, then the tokens)
    assert signin.session is None
    assert registered(tenant) == []
    assert "unsubscribe" in port.calls and port.subscription is None
    assert await read_record(prefs, session.user.id) is None
    vm.dispose()
    assert port.calls[-1] == "close"


async def test_sign_out_offline_keeps_the_removal_and_sends_it_at_the_next_sign_in(
    api: ServerThread, signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    port = ScriptedPort()
    vm = NotifyViewModel.for_session(session, prefs, port)
    await vm.start()
    await vm.turn_on()
    assert len(registered(tenant)) == 1

    session.api.base_url = "http://127.0.0.1:9"  # the network is gone
    await signin.sign_out()
    assert port.subscription is None  # no more pushes on this device, offline or not
    record = await read_record(prefs, session.user.id)
    assert record is not None and record.remove
    assert len(registered(tenant)) == 1  # the server could not be told

    again = await sign_in(api, tenant, prefs)
    assert again.session is not None
    later = NotifyViewModel.for_session(again.session, prefs, ScriptedPort(permission="granted"))
    await later.start()
    assert state(later) is NotifyState.OFF
    assert registered(tenant) == []
    assert await read_record(prefs, session.user.id) is None
    await again.session.api.aclose()


async def test_a_browser_without_a_push_service_shows_failed_and_registers_nothing(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    error = PushError("AbortError", "Registration failed - push service not available")
    vm = NotifyViewModel.for_session(session, prefs, ScriptedPort(subscribe_error=error))
    await vm.start()
    await vm.turn_on()
    assert state(vm) is NotifyState.FAILED
    assert vm.status == (
        "Could not turn on notifications: this browser could not subscribe with its push service "
        "(AbortError: Registration failed - push service not available)."
    )
    assert vm.enabled and not vm.switch_on  # a tap tries again
    assert registered(tenant) == []


async def test_a_subscription_the_server_refuses_is_dropped_in_the_browser_too(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    # A push service on a private address: the server refuses to post there.
    port = ScriptedPort(endpoint_host="https://10.0.0.1")
    vm = NotifyViewModel.for_session(session, prefs, port)
    await vm.start()
    await vm.turn_on()
    assert state(vm) is NotifyState.FAILED
    assert vm.status.startswith("The server refused the subscription: endpoint:")
    assert port.calls[-1] == "unsubscribe" and port.subscription is None
    assert registered(tenant) == []


async def test_platforms_without_web_push_disable_the_switch_and_say_why(
    signin: SignInViewModel, tenant: Tenant, prefs: MemoryPreferences
) -> None:
    session = current(signin)
    vm = NotifyViewModel.for_session(session, prefs, UnsupportedPushPort("Not in this build."))
    await vm.start()
    assert state(vm) is NotifyState.UNSUPPORTED and vm.status == "Not in this build."
    assert not vm.enabled
    await vm.turn_on()
    assert state(vm) is NotifyState.UNSUPPORTED
    await signin.sign_out()  # nothing to remove: the sign-out still goes through
    assert signin.session is None
    assert registered(tenant) == []
