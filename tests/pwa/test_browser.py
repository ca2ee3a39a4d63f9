"""The PWA in a real Chromium: installable, starts from cache with the server stopped,
Python in the browser talks to the API with pyfetch and keeps its store in IndexedDB,
the service worker shows pushes, routes notification taps and offers updates.

Headless Chromium has no push service and cannot click a notification: pushes are
delivered through the DevTools protocol (``ServiceWorker.deliverPushMessage``) and the
tap's routing logic is called inside the real worker.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from playwright.sync_api import CDPSession, Page, Worker, expect

from pwa import build as pwa_build
from pwa import code_cache
from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from server.notifications.schemas import Kind, OrderSnapshot
from server.notifications.webpush import push_payload
from tests.pwa.conftest import (
    APP_START_S,
    KNOWN_EXTERNAL,
    Built,
    Visit,
    cached_paths,
    poll,
    wait_for_sign_in,
)
from tests.support import ServerThread

CODE = code_cache.CACHE_NAME
CODE_CACHE_LINE = re.compile(r"code cache: (\d+) modules from the cache, (\d+) compiled")


@dataclass(frozen=True)
class CodeCacheReport:
    """What a start's Python worker said about its compiled-code cache."""

    from_cache: int
    compiled: int


def code_cache_report(page: Page, visit: Visit) -> CodeCacheReport:
    """The start's line about the code cache (logged a second after the first screen)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in visit.console:
            if found := CODE_CACHE_LINE.search(line):
                return CodeCacheReport(int(found[1]), int(found[2]))
        page.wait_for_timeout(250)
    raise AssertionError(f"no code cache report in the console: {visit.console[-20:]}")


def service_worker(visit: Visit) -> Worker:
    """The page's service worker, once it runs."""
    workers = visit.context.service_workers
    return workers[0] if workers else visit.context.wait_for_event("serviceworker")


def controlled(page: Page) -> None:
    """Wait until our service worker controls the page."""
    poll(page, "() => !!navigator.serviceWorker.controller", 60)


def test_the_app_starts_from_cache_with_the_server_stopped(
    built: Built, start_server: Callable[[], ServerThread], visit_for: Callable[..., Visit]
) -> None:
    server = start_server()
    visit = visit_for(server)
    page = visit.context.new_page()
    page.goto(server.url + "/")
    labels = wait_for_sign_in(page)
    assert "Server address" in labels
    controlled(page)
    # Python in the browser mounted its IndexedDB-backed data folder.
    assert any("storage ready at /data" in line for line in visit.console)
    # The core is precached, and the renderer this browser used has been kept.
    caches = cached_paths(page)
    caches.pop(code_cache.CACHE_NAME, None)  # the Python worker's: below
    assert list(caches) == [f"shipfloor-{built.info['version']}"]
    cached = set(next(iter(caches.values())))
    assert set(built.info["precache_core"]) <= cached
    kept = [n for n, urls in built.info["renderers"].items() if set(urls) <= cached]
    assert kept, "no renderer variant was cached"
    assert len(kept) < len(built.info["renderers"])  # only what this browser uses

    # What this start compiled is kept for the next, under the package's name.
    entry = code_cache.entry_url(built.info["app_package"])
    poll(page, "async ([n, u]) => !!(await (await caches.open(n)).match(u))", 60, [CODE, entry])
    first = code_cache_report(page, visit)
    assert first.compiled > 200  # the app, flet and the standard library's modules

    server.stop()
    visit.console.clear()
    page.reload()
    labels = wait_for_sign_in(page)
    assert "Email" in labels
    page.screenshot(path=str(built.root.parent / "offline-sign-in.png"))
    assert any("storage ready at /data" in line for line in visit.console)
    assert not any("storage problem" in line for line in visit.console)
    # The same screen again: every module from the code cache. (A module the first start
    # imported only after it stored its cache, a second after its first screen, would be
    # compiled again; without the cache it would be all of them, several hundred.)
    again = code_cache_report(page, visit)
    assert again.from_cache >= first.compiled
    assert again.compiled <= 10

    # A damaged cache is no cache: the app starts, compiles, and stores a good one.
    page.evaluate(
        "async ([n, u]) => (await caches.open(n)).put(u, new Response('SFCC1 damaged'))",
        [CODE, entry],
    )
    visit.console.clear()
    page.reload()
    assert "Email" in wait_for_sign_in(page)
    damaged = code_cache_report(page, visit)
    assert damaged.compiled >= first.compiled
    blob_size = (
        "async ([n, u]) => (await (await (await caches.open(n)).match(u)).arrayBuffer())"
        ".byteLength > 100000"
    )
    poll(page, blob_size, 60, [CODE, entry])
    assert visit.external <= KNOWN_EXTERNAL, visit.external - KNOWN_EXTERNAL


RUN_IN_PYODIDE = """async ([runtime, pkg, code]) => {
    if (!window.__py) {
        const { loadPyodide } = await import(runtime + "pyodide/pyodide.mjs");
        const py = await loadPyodide();
        const archive = await (await fetch(pkg)).arrayBuffer();
        py.unpackArchive(archive, "gztar");
        py.runPython("import os, sys; sys.path[:0] = ['__pypackages__', os.path.abspath('PURE_ZIP')]");
        window.__py = py;
    }
    return await window.__py.runPythonAsync(code);
}""".replace("PURE_ZIP", pwa_build.PURE_ZIP)

FIRST_RUN = """
import json
from mobile import browser_runtime
from mobile.store import Store
from mobile.sync.errors import SignInRequired, Unreachable
from mobile.transport_pyfetch import PyfetchHttp, PyfetchTransport

await browser_runtime.start()
http = PyfetchHttp()
answer = await http.request(
    "POST", "/api/auth/login", headers={"Content-Type": "application/json"},
    body=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
)
tokens = json.loads(answer.body)
sync = browser_runtime.sync_transport()
page = await sync.pull("", 500, tokens["access_token"])
store = Store(browser_runtime.store_dir() / "device.sqlite3")
browser_runtime.attach(store)
store.apply_pull_page(page)
await browser_runtime.storage().flush()
errors = []
try:
    await sync.refresh("not-a-refresh-token")
except SignInRequired as exc:
    errors.append("SignInRequired")
try:
    await PyfetchTransport(DEAD, timeout=10).pull("", 10, "x")
except Unreachable as exc:
    errors.append("Unreachable")
json.dumps({
    "login": answer.status, "changes": len(page.changes), "orders": store.order_count(),
    "flushes": browser_runtime.storage().flushes, "errors": errors,
    "problems": [p.kind for p in browser_runtime.storage().problems],
    "journal": store.conn.execute("PRAGMA journal_mode").fetchone()[0],
})
"""

SECOND_RUN = """
import json
from mobile import browser_runtime
from mobile.store import Store

await browser_runtime.start()
store = Store(browser_runtime.store_dir() / "device.sqlite3")
json.dumps({"orders": store.order_count(), "problems": len(browser_runtime.storage().problems)})
"""


WATCH = """
from mobile import browser_runtime
seen = []
stop = browser_runtime.watch_connectivity(seen.append)
json.dumps(seen)
"""


def test_python_in_the_browser_syncs_over_pyfetch_into_a_store_that_survives_a_reload(
    built: Built, start_server: Callable[[], ServerThread], visit_for: Callable[..., Visit]
) -> None:
    server = start_server()
    visit = visit_for(server)
    page = visit.context.new_page()
    # A same-origin document without the app: Pyodide and the app package run in the page.
    page.goto(server.url + "/build.json")
    code = (
        f"EMAIL = {DEMO_EMAIL!r}\nPASSWORD = {DEMO_PASSWORD!r}\n"
        f"DEAD = 'http://127.0.0.1:9'\n{FIRST_RUN}"
    )
    args = [built.info["runtime"], built.info["app_package"], code]
    first = json.loads(page.evaluate(RUN_IN_PYODIDE, args))
    assert first["login"] == 200
    assert first["changes"] > 0
    assert first["orders"] > 0
    assert first["flushes"] >= 1
    assert first["errors"] == ["SignInRequired", "Unreachable"]
    assert first["problems"] == []

    page.reload()
    args = [built.info["runtime"], built.info["app_package"], SECOND_RUN]
    second = json.loads(page.evaluate(RUN_IN_PYODIDE, args))
    assert second == {"orders": first["orders"], "problems": 0}

    # The browser's word on the network reaches Python: the network goes and comes back.
    # (In the app the listener is the sync scheduler, in the Python worker; Playwright's
    # offline mode reaches pages, not workers, so here Pyodide runs in the page.)
    def run(code: str) -> Any:
        found = page.evaluate(RUN_IN_PYODIDE, [*args[:2], f"import json\n{code}"])
        return json.loads(found)

    assert run(WATCH) == [True]
    visit.context.set_offline(True)
    visit.context.set_offline(False)
    assert run("json.dumps(seen)") == [True, False, True]
    assert run("stop()\njson.dumps(seen)") == [True, False, True]
    visit.context.set_offline(True)
    assert run("json.dumps(seen)") == [True, False, True]  # stopped: told nothing more
    visit.context.set_offline(False)


def _registration_id(cdp: CDPSession, page: Page) -> str:
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(
            r["registrationId"] for r in event["registrations"] if not r.get("isDeleted")
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(120):  # the registration is reported right after enable
        if found:
            break
        page.wait_for_timeout(250)
    assert found, "no service worker registration reported"
    return found[-1]


def test_installable_push_notification_and_tap_routing(
    built: Built, start_server: Callable[[], ServerThread], visit_for: Callable[..., Visit]
) -> None:
    server = start_server()
    visit = visit_for(server, persistent=True)
    page = visit.context.pages[0] if visit.context.pages else visit.context.new_page()
    page.goto(server.url + "/")
    controlled(page)
    cdp = visit.context.new_cdp_session(page)

    # Installable: Chromium finds nothing missing (manifest, icons, worker, scope).
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == []
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")

    # A push as our server sends it (the real payload builder) reaches the worker.
    snap = OrderSnapshot(
        order_id="ord_123",
        number="SF10042",
        status="new",
        item_count=3,
        total_minor=4599,
        currency="EUR",
        ship_by=datetime(2026, 11, 27, 17, tzinfo=UTC),
    )
    payload = push_payload(Kind.NEW_ORDER, snap, "Europe/Berlin", item_id=7)
    sent = msgspec.json.decode(payload)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.url,
            "registrationId": _registration_id(cdp, page),
            "data": payload.decode(),
        },
    )
    shown = poll(
        page,
        """async () => {
            const reg = await navigator.serviceWorker.ready;
            const list = await reg.getNotifications();
            return list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data}));
        }""",
        30,
    )
    assert len(shown) == 1
    assert shown[0]["title"] == sent["title"] == "New order SF10042"
    assert shown[0]["body"] == sent["body"]
    assert shown[0]["tag"] == "order-ord_123"
    assert shown[0]["data"]["url"] == f"{server.url}/orders/ord_123"
    assert shown[0]["data"]["order_id"] == "ord_123"

    # The deep link the tap opens loads the app, which routes it.
    deep = visit.context.new_page()
    deep.goto(shown[0]["data"]["url"])
    expect(deep).to_have_url(f"{server.url}/orders/ord_123")
    assert deep.evaluate("() => typeof window.shipfloorBuild") == "string"
    deep.close()

    # The tap's routing, called inside the real worker.
    worker = service_worker(visit)
    scope = server.url + "/"
    target = scope + "orders/ord_123"

    def choose(windows: list[dict[str, Any]], url: str = target) -> Any:
        return worker.evaluate("([w, u, s]) => chooseClickAction(w, u, s)", [windows, url, scope])

    assert choose([]) == {"action": "open", "url": target}
    assert choose([{"url": "https://elsewhere.example/", "focused": True}]) == {
        "action": "open",
        "url": target,
    }
    assert choose([{"url": scope + "orders", "visibilityState": "hidden"}]) == {
        "action": "focus",
        "index": 0,
        "navigate": True,
        "url": target,
    }
    windows: list[dict[str, Any]] = [
        {"url": scope + "orders", "visibilityState": "hidden"},
        {"url": "https://elsewhere.example/", "focused": True},
        {"url": scope + "settings", "visibilityState": "visible", "focused": True},
    ]
    assert choose(windows)["index"] == 2  # the focused app window
    windows.append({"url": target, "visibilityState": "hidden"})
    assert choose(windows) == {"action": "focus", "index": 3, "navigate": False, "url": target}

    # What a tap opens: the payload's link on this origin, never another site.
    assert worker.evaluate("(o) => notificationTarget({url: '/orders/9'}, o)", server.url) == (
        server.url + "/orders/9"
    )
    assert worker.evaluate(
        "(o) => notificationTarget({url: 'https://evil.example/x'}, o)", server.url
    ) == (server.url + "/")
    plain = worker.evaluate("(o) => notificationFromPush('Hello', o)", server.url)
    assert plain["title"] == "Shipfloor"
    assert plain["options"]["body"] == "Hello"
    assert plain["options"]["data"]["url"] == server.url + "/"
    assert visit.external <= KNOWN_EXTERNAL, visit.external - KNOWN_EXTERNAL


def test_a_new_build_offers_update_available_and_reload_switches_to_it(
    built: Built, start_server: Callable[[], ServerThread], visit_for: Callable[..., Visit]
) -> None:
    server = start_server()
    visit = visit_for(server)
    page = visit.context.new_page()
    page.goto(server.url + "/")
    controlled(page)
    old = built.info["version"]
    assert page.evaluate("() => window.shipfloorBuild") == old
    poll(page, f"async () => (await caches.keys()).includes('shipfloor-{old}')", 60)

    # Deploy "a new build": the same files under a new version (the page and worker carry it).
    new = "0123456789abcdef"
    originals = {}
    for name in ("sw.js", "index.html"):
        path = built.root / name
        originals[name] = path.read_bytes()
        path.write_bytes(originals[name].replace(old.encode(), new.encode()))
    try:
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.get_by_role("alert")
        expect(banner).to_contain_text("Update available", timeout=APP_START_S * 1000)
        # The running app keeps its version until the person chooses to reload.
        assert page.evaluate("() => window.shipfloorBuild") == old
        with page.expect_navigation(timeout=APP_START_S * 1000):
            banner.get_by_role("button", name="Reload").click()
        poll(page, "() => window.shipfloorBuild", 60)
        assert page.evaluate("() => window.shipfloorBuild") == new
        controlled(page)
        # The old version's cache is gone, the new one is there.
        poll(page, f"async () => (await caches.keys()).includes('shipfloor-{new}')", 60)
        # (The Python worker's code cache stays: it is named after the app package.)
        assert set(cached_paths(page)) - {CODE} == {f"shipfloor-{new}"}
    finally:
        for name, data in originals.items():
            (built.root / name).write_bytes(data)
