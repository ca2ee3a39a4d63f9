"""Security headers on the API, the app's pages and assets; body size limits on every route.

The app's Content-Security-Policy is checked where it matters, in Chromium: the served
app loads, draws and reaches the server over its websocket without the browser reporting
a single violation of its own origin (the renderer's CDN, which the page still names, is
what the policy is meant to refuse).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from server.app import create_app
from server.headers import API_POLICY, APP_POLICY, HSTS, SWAGGER_POLICY
from server.migrate import upgrade_sync
from tests import support
from tests.support import ServerThread, Tenant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_headers(r: httpx.Response, policy: str) -> None:
    """The response carries every security header, this policy, and no HSTS over HTTP."""
    for name, value in COMMON.items():
        assert r.headers.get(name) == value, (name, r.request.url)
    assert r.headers.get("content-security-policy") == policy, r.request.url
    assert "strict-transport-security" not in r.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/health/live", 200),
        ("/schema/openapi.json", 200),
        ("/api/orders", 401),  # errors too
        ("/api/no-such-route", 404),  # and routes nobody registered
        ("/api/public/orders/x/confirm-delivery?sig=0", 404),
    ],
)
def test_api_responses_carry_the_security_headers(
    api: ServerThread, path: str, status: int
) -> None:
    r = httpx.get(api.url + path)
    assert r.status_code == status
    assert_headers(r, API_POLICY)


def test_signed_in_answers_carry_them_too(api: ServerThread, tenant: Tenant) -> None:
    with tenant.client() as c:
        for r in (c.get("/api/me"), c.get("/api/orders/export.csv"), c.post("/api/orders/bulk")):
            assert_headers(r, API_POLICY)


def test_the_openapi_explorer_may_load_swagger_ui_from_its_cdn(api: ServerThread) -> None:
    r = httpx.get(f"{api.url}/schema/swagger")
    assert r.status_code == 200
    assert_headers(r, SWAGGER_POLICY)
    for src in re.findall(r"src=\"(https://[^\"]+)\"", r.text):
        assert src.startswith("https://cdn.jsdelivr.net/")


def test_hsts_is_sent_only_when_the_server_is_reached_over_https(
    database_url: str, tmp_path: Path
) -> None:
    settings = support.test_settings(database_url, tmp_path, public_url="https://ship.example")
    server = ServerThread(create_app(settings), settings=settings).start()
    try:
        r = httpx.get(f"{server.url}/health/live")
        assert r.headers["strict-transport-security"] == HSTS
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("POST", "/api/sync/push"),
        ("PUT", "/api/notifications/preferences"),
        ("POST", "/api/users"),
    ],
)
def test_every_body_is_limited_in_size_public_routes_included(
    api: ServerThread, tenant: Tenant, method: str, path: str
) -> None:
    assert api.settings is not None
    body = b'{"x": "' + b"a" * api.settings.max_body_bytes + b'"}'
    with tenant.client() as c:
        r = c.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert "Too Large" in r.json()["detail"]


# ------------------------------------------------------------------ the app in Chromium


@dataclasses.dataclass
class App:
    """The whole server (API and Flet app on one origin)."""

    server: ServerThread


@pytest.fixture(scope="module", params=["auto", "canvaskit"])
def app_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """The server with the Flet app, over a fresh SQLite database, with either renderer."""
    tmp = tmp_path_factory.mktemp("app")
    url = f"sqlite+aiosqlite:///{tmp / 'shipfloor.db'}"
    with ThreadPoolExecutor(1) as worker:  # Playwright keeps a loop running in this thread
        worker.submit(upgrade_sync, url).result()
    settings = support.test_settings(url, tmp, serve_app=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FLET_WEB_NO_CDN", "true")
        if request.param != "auto":
            env.setenv("FLET_WEB_RENDERER", str(request.param))
        env.setenv("SHIPFLOOR_DEVICE_DIR", str(tmp / "devices"))
        server = ServerThread(create_app(settings), settings=settings).start()
    yield App(server)
    server.stop()


def test_the_app_shell_and_its_assets_carry_the_app_policy(app_server: App) -> None:
    base = app_server.server.url
    for path in ("/", "/flutter_bootstrap.js", "/orders/some-id"):
        r = httpx.get(base + path)
        assert r.status_code == 200, path
        assert_headers(r, APP_POLICY)
    assert_headers(httpx.get(f"{base}/health/live"), API_POLICY)


@pytest.mark.browser
def test_the_app_loads_in_chromium_under_its_policy_without_a_violation(app_server: App) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`")
    origin = app_server.server.url
    console: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # No bypass_csp: the page runs under the policy the server sends.
            context = browser.new_context()
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith((origin, origin.replace("http", "ws")))
                    else route.abort()
                ),
            )
            context.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => console.log("
                "'CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI));"
                "addEventListener('flutter-first-frame', () => console.log('FIRST-FRAME'),"
                " {once: true});"
            )
            page = context.new_page()

            def keep(message: ConsoleMessage) -> None:
                console.append(message.text)

            page.on("console", keep)
            with page.expect_console_message(lambda m: m.text == "FIRST-FRAME", timeout=90_000):
                page.goto(origin + "/")
            page.locator("flt-semantics-placeholder").dispatch_event("click")
            # the sign-in form is drawn from what the server sent over the websocket
            expect(page.get_by_role("textbox", name="Email")).to_be_visible(timeout=60_000)
            refused = [line for line in console if "Content Security Policy" in line]
            assert all(re.match(r"Loading the \w+ 'https://", r) for r in refused), refused
        finally:
            browser.close()
    violations = [line.split(" ", 2) for line in console if line.startswith("CSP-VIOLATION")]
    # Only what comes from elsewhere may be refused (the renderer's CDN, named by the
    # page but never needed): nothing of this origin, no inline script, eval or wasm.
    own = [v for v in violations if len(v) < 3 or not v[2].startswith("http") or origin in v[2]]
    assert own == [], own
