"""Settings → "Notify me of new orders" in the real PWA (Python in the browser, Chromium).

What is real: the PWA build, Pyodide running the app in flet-web's web worker, the bridge
to the page (``pwa/page.js``, a ``BroadcastChannel`` named by the worker), the browser's
permission (granted to the profile, as a person's "Allow" would) and its
``pushManager.subscribe``, the server and its push routes.

Headless Chromium has no push service: ``pushManager.subscribe`` rejects (``AbortError`` /
"push service not available", or ``NotAllowedError``). No Chromium flag makes it succeed
here (there is no push service to reach), so the test checks that the tap reaches
``subscribe`` through the bridge and that the app shows a clear "failed" status instead
of crashing. Then, to follow the rest of the way in the same browser, ``subscribe`` and
``getSubscription`` are replaced by a stand-in for the missing push service that returns a
subscription shaped like a browser's: the app registers it on the real server, and
signing out deletes it there and unsubscribes in the browser.

One PWA start for the whole test (about a minute on a busy 2-core machine).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Locator, Page, expect

from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import type_into
from tests.pwa.conftest import APP_START_S, Visit, poll, wait_for_sign_in
from tests.support import ServerThread

LABEL = "Notify me of new orders"

#: runs in the page before its scripts: records what the app asks of pushManager
RECORD_PUSH = """
(() => {
  window.__push = [];
  const proto = window.PushManager && PushManager.prototype;
  if (!proto) return;
  const subscribe = proto.subscribe;
  proto.subscribe = function (options) {
    const call = {op: 'subscribe', userVisibleOnly: !!(options && options.userVisibleOnly),
                  keyBytes: options && options.applicationServerKey
                    ? new Uint8Array(options.applicationServerKey).length : 0};
    window.__push.push(call);
    return subscribe.call(this, options).then(
      (sub) => { call.ok = true; return sub; },
      (error) => { call.error = error.name + ': ' + error.message; throw error; });
  };
})();
"""

#: a stand-in for the push service headless Chromium lacks (installed after the real try)
FAKE_PUSH_SERVICE = """(json) => {
  let current = null;
  const proto = PushManager.prototype;
  proto.subscribe = function (options) {
    window.__push.push({op: 'subscribe', ok: true, fake: true});
    current = {
      options: {applicationServerKey: options.applicationServerKey.buffer
        || options.applicationServerKey},
      toJSON: () => json,
      unsubscribe: () => { window.__push.push({op: 'unsubscribe'}); current = null;
                           return Promise.resolve(true); },
    };
    return Promise.resolve(current);
  };
  proto.getSubscription = function () { return Promise.resolve(current); };
}"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_subscription() -> dict[str, Any]:
    """``PushSubscription.toJSON()`` as a browser gives it (endpoint on a reserved domain)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": f"https://push.shipfloor.invalid/send/{os.urandom(8).hex()}",
        "expirationTime": None,
        "keys": {"p256dh": _b64(point), "auth": _b64(os.urandom(16))},
    }


def server_subscriptions(server: ServerThread) -> list[dict[str, Any]]:
    """The demo owner's subscriptions, asked of the server directly."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        login = client.post(
            "/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        answer = client.get("/api/push/subscriptions", headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        rows: list[dict[str, Any]] = answer.json()
        return rows


def labels(page: Page) -> list[str]:
    """Every accessible label and text on the page (for messages when something is missing)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('[aria-label], flt-semantics span, [role]')]
            .map(e => (e.getAttribute('role') || '') + ':' +
                 (e.getAttribute('aria-label') || e.textContent || '').trim())
            .filter(t => t.length > 1)"""
    )
    return found


def switch(page: Page) -> Locator:
    """The notification switch, as a screen reader finds it."""
    return page.get_by_role("switch", name=LABEL)


def wait_text(page: Page, pattern: str, timeout: float) -> str:
    """Wait until a line of text on the page matches ``pattern``; returns the line."""
    try:
        found: str = poll(
            page,
            """(pattern) => {
                const re = new RegExp(pattern);
                for (const e of document.querySelectorAll('flt-semantics, flt-semantics span')) {
                    const text = e.getAttribute('aria-label') || e.textContent || '';
                    // Flutter merges a card's texts into one label, a line each.
                    const line = text.split('\\n').map(t => t.trim()).find(t => re.test(t));
                    if (line) return line;
                }
                return null;
            }""",
            timeout,
            pattern,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\non screen: {labels(page)}") from None
    return found


def test_the_switch_reaches_push_manager_through_the_bridge_and_sign_out_removes_it(
    start_server: Callable[[], ServerThread], visit_for: Callable[..., Visit]
) -> None:
    server = start_server()
    visit = visit_for(server)  # notifications granted for the server's origin
    page = visit.context.new_page()
    page.add_init_script(RECORD_PUSH)
    page.goto(server.url + "/settings")
    wait_for_sign_in(page)

    # The Python worker got the bridge's name from the page.
    assert re.fullmatch(
        r"shipfloor-push:[0-9a-f-]{20,}", page.evaluate("() => window.shipfloorPushChannel")
    )

    type_into(page, "Email", DEMO_EMAIL)
    type_into(page, "Password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    try:
        expect(switch(page)).to_be_visible(timeout=APP_START_S * 1000)
        expect(switch(page)).to_be_enabled(timeout=60_000)
    except AssertionError as exc:
        shown = f"on screen: {labels(page)}\nconsole: {visit.console[-30:]}"
        raise AssertionError(f"{exc}\n{shown}") from None
    wait_text(page, r"^Off: turn on", 60)
    box = switch(page).bounding_box()
    assert box is not None and box["height"] >= 48, box  # a full touch target

    # Headless Chromium: permission granted, but no push service to subscribe with.
    switch(page).click()
    status = wait_text(page, r"^Could not turn on notifications", 120)
    calls = page.evaluate("() => window.__push")
    assert calls and calls[0]["op"] == "subscribe", calls
    assert calls[0]["userVisibleOnly"] and calls[0]["keyBytes"] == 65
    assert "error" in calls[0], calls  # the real pushManager refused
    assert calls[0]["error"].split(":")[0] in status, (status, calls)
    expect(switch(page)).not_to_be_checked()
    expect(switch(page)).to_be_enabled()
    assert server_subscriptions(server) == []
    assert not any("Traceback" in line for line in visit.console), visit.console

    # A stand-in push service: the app registers the subscription on the server ...
    subscription = fake_subscription()
    page.evaluate(FAKE_PUSH_SERVICE, subscription)
    switch(page).click()
    wait_text(page, r"^On: new orders show", 120)
    expect(switch(page)).to_be_checked()
    rows = server_subscriptions(server)
    assert [r["endpoint_origin"] for r in rows] == ["https://push.shipfloor.invalid"]

    # ... and signing out deletes it there and unsubscribes in the browser.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=120_000)
    assert server_subscriptions(server) == []
    assert page.evaluate("window.__push.map(c => c.op)")[-1] == "unsubscribe"
    assert not any("Traceback" in line for line in visit.console), visit.console
