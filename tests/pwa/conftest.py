"""Fixtures of the PWA tests: one build per session, the real server serving it, Chromium.

The build goes into a temporary folder (the repository's ``build/pwa`` is left alone); the
Pyodide wheels come from the shared cache in ``build/pwa-wheels`` (downloaded once).
The server is the main job's (API and PWA on one origin, ``SHIPFLOOR_APP=pwa``) over
SQLite with the demo vendor. The browser reaches that server and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Route,
    sync_playwright,
)

from pwa import build as pwa_build
from server.app import create_app
from server.db import create_engine, session_factory
from server.demo import seed_demo
from server.migrate import upgrade_sync
from tests import support
from tests.support import ServerThread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Python in the browser on a busy 2-core machine: Pyodide, the app package, first screen
APP_START_S = 180.0

#: requests that may leave 127.0.0.1, each with the reason it is harmless
KNOWN_EXTERNAL = {
    # Flutter's Rive plugin probes for its optional native runtime on a CDN when the
    # engine starts; the app uses no Rive animation and draws without it. The app's
    # Content-Security-Policy blocks it, and the test's router aborts it as well.
    "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@44.0.0/wasm/rive_native.js",
}


@dataclass
class Built:
    """One PWA build: its folder and what its ``build.json`` says."""

    root: Path
    info: dict[str, Any]


@pytest.fixture(scope="session")
def wheels() -> list[Path]:
    """The pinned Pyodide wheels (downloaded into the shared cache the first time)."""
    return pwa_build.pyodide_wheels()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, wheels: list[Path]) -> Built:
    """The PWA, built once for the whole session."""
    root = tmp_path_factory.mktemp("pwa") / "site"
    info = pwa_build.build(root, wheels)
    return Built(root, info)


async def _seed(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session)
    finally:
        await engine.dispose()


def _prepare(database_url: str) -> None:
    upgrade_sync(database_url)
    asyncio.run(_seed(database_url))


@pytest.fixture
def start_server(
    built: Built, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], ServerThread]]:
    """Starts the main job's server (API + PWA at ``/``) over a fresh demo database."""
    started: list[ServerThread] = []

    def start() -> ServerThread:
        tmp = tmp_path_factory.mktemp("server")
        url = f"sqlite+aiosqlite:///{tmp / 'shipfloor.db'}"
        # In a thread of its own: Playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(1) as worker:
            worker.submit(_prepare, url).result()
        monkeypatch.setenv("SHIPFLOOR_APP", "pwa")
        monkeypatch.setenv("SHIPFLOOR_PWA_DIR", str(built.root))
        settings = support.test_settings(url, tmp, serve_app=True)
        thread = ServerThread(create_app(settings), settings=settings).start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


def restart(server: ServerThread) -> ServerThread:
    """Start a stopped server again, as a restarted process would be: a new app over the same
    database file and settings (the same token secret), on the same port."""
    assert server.settings is not None, "a server started by start_server() carries its settings"
    return server.restart(create_app(server.settings))


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and later packages' fixtures call asyncio.run().
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API (Chromium from Debian, never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class Visit:
    """A browser profile that reaches one server, with what it asked elsewhere and logged."""

    context: BrowserContext
    origin: str
    external: set[str] = field(default_factory=set)
    console: list[str] = field(default_factory=list)


@pytest.fixture
def visit_for(
    browser: Browser, playwright: Playwright, tmp_path: Path
) -> Iterator[Callable[..., Visit]]:
    """Makes fresh browser profiles for a server (notifications allowed).

    ``persistent=True`` gives a profile on disk, as a person's browser has: Chromium never
    offers to install an app from an incognito profile (what ``new_context`` makes).
    """
    made: list[BrowserContext] = []

    def make(server: ServerThread, persistent: bool = False) -> Visit:
        if persistent:
            context = playwright.chromium.launch_persistent_context(
                tmp_path / f"profile-{len(made)}",
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                viewport={"width": 390, "height": 844},
            )
        else:
            context = browser.new_context(viewport={"width": 390, "height": 844})
        visit = Visit(context, server.url)

        def only_the_server(route: Route) -> None:
            if route.request.url.startswith(server.url):
                route.continue_()
            else:
                route.abort()

        def note(request: Request) -> None:
            if not request.url.startswith(server.url):
                visit.external.add(request.url)

        context.route("**/*", only_the_server)
        context.on("request", note)
        context.on("console", lambda m: visit.console.append(m.text))
        context.grant_permissions(["notifications"], origin=server.url)
        made.append(context)
        return visit

    yield make
    for context in made:
        context.close()


def poll(page: Page, script: str, timeout: float, arg: Any = None) -> Any:
    """Evaluate ``script`` (a function) until it returns something truthy.

    ``page.wait_for_function`` evaluates a string, which the app's Content-Security-Policy
    (no ``'unsafe-eval'``) forbids; ``evaluate`` goes through the DevTools protocol.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {script}")
        time.sleep(0.5)


def wait_for_sign_in(page: Page, timeout: float = APP_START_S) -> list[str]:
    """Wait until the Flet app (Python in the browser) shows its sign-in screen.

    Flutter builds its accessibility DOM once ``flt-semantics-placeholder`` is clicked;
    before the app has drawn, the click may do nothing, so it is repeated. Returns the
    labels on the screen.
    """
    labels: list[str] = poll(
        page,
        """() => {
            document.querySelector('flt-semantics-placeholder')?.click();
            const labels = [...document.querySelectorAll('[aria-label]')]
                .map(e => e.getAttribute('aria-label'));
            return labels.includes('Email') && labels.includes('Password') ? labels : null;
        }""",
        timeout,
    )
    return labels


def cached_paths(page: Page) -> dict[str, list[str]]:
    """Every Cache Storage cache of the page's origin and the paths it holds."""
    result: dict[str, list[str]] = page.evaluate(
        """async () => {
            const out = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                out[name] = (await cache.keys()).map(r => new URL(r.url).pathname);
            }
            return out;
        }"""
    )
    return result
