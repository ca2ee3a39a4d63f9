"""What the browser tests share: the served app on 127.0.0.1, Debian's Chromium, and how to
find and drive Flet controls through Flutter's semantics DOM (see handbook/recipes.md).

The main job's server (API and Flet app on one origin) runs over SQLite with the demo
vendor; the browser may reach nothing else. Screenshots go to a temporary folder, or to
``$SHIPFLOOR_SCREENSHOTS`` when it is set (``SHIPFLOOR_SCREENSHOTS=docs/screenshots``
refreshes the README's pictures).
"""

from __future__ import annotations

import asyncio
import os
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
)

from server.app import create_app
from server.db import create_engine, session_factory
from server.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
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
PHONE: ViewportSize = {"width": 390, "height": 844}
TABLET: ViewportSize = {"width": 1180, "height": 820}
#: a server round trip plus a Flutter frame, with room for a busy 2-core machine
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


async def _seed(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session)
    finally:
        await engine.dispose()


def _prepare(database_url: str) -> None:
    """Migrate and seed the demo, as ``make run`` does."""
    upgrade_sync(database_url)
    asyncio.run(_seed(database_url))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The main job: API and app on one port, SQLite, the demo vendor seeded."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`")
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite+aiosqlite:///{tmp / 'shipfloor.db'}"
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(_prepare, url).result()
    settings = support.test_settings(url, tmp, serve_app=True)
    with pytest.MonkeyPatch.context() as env:
        # CanvasKit: skwasm can leave a stale frame in screenshots (recipes.md).
        env.setenv("FLET_WEB_RENDERER", "canvaskit")
        env.setenv("FLET_WEB_NO_CDN", "true")
        # Each browser profile is a device: its store file goes here (see mobile/storage.py).
        env.setenv("SHIPFLOOR_DEVICE_DIR", str(tmp / "devices"))
        thread = ServerThread(create_app(settings)).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("SHIPFLOOR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def context_for(browser: Browser, server: ServerThread) -> Iterator[Any]:
    """Makes fresh browser profiles that reach the test server and nothing else."""
    made: list[BrowserContext] = []
    allowed = (f"http://127.0.0.1:{server.port}", f"ws://127.0.0.1:{server.port}")

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            route.abort()

    def make(viewport: ViewportSize, dark: bool = False) -> BrowserContext:
        # bypass_csp: Playwright's waits evaluate JavaScript, which the server's
        # Content-Security-Policy (no 'unsafe-eval') would refuse in the page.
        context = browser.new_context(
            viewport=viewport, color_scheme="dark" if dark else "light", bypass_csp=True
        )
        context.route("**/*", only_the_server)
        context.add_init_script(
            "addEventListener('flutter-first-frame', () => window.__ff = 1, {once: true})"
        )
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def visit(context: BrowserContext, url: str, page: Page | None = None) -> Page:
    """Open a URL, wait for Flutter's first frame and turn on its semantics DOM."""
    page = page or context.new_page()
    page.goto(url)
    page.wait_for_function("window.__ff === 1", timeout=60_000)
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    return page


def type_into(page: Page, label: str, text: str) -> None:
    """Click a text field, wait for the focus, then type (as a person or a scanner does)."""
    box = page.get_by_role("textbox", name=label)
    box.click()
    # Keys typed before Flutter has moved the focus are lost, and under load the DOM focus
    # can arrive a moment before Flutter routes keys to the field: check what the field
    # holds and type again if the first keystrokes went nowhere.
    expect(box).to_be_focused()
    type_checked(page, box, text)


def type_checked(page: Page, box: Locator, text: str) -> None:
    """Type into the focused (and empty) ``box`` until it holds ``text``: typed again when the
    first keys went nowhere or some were dropped."""
    for _ in range(3):
        page.keyboard.type(text)
        try:
            expect(box).to_have_value(text, timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.press("Backspace")
    expect(box).to_have_value(text)


def sign_in(page: Page) -> None:
    """The demo owner signs in."""
    expect(page.get_by_role("textbox", name="Email")).to_be_visible()
    type_into(page, "Email", DEMO_EMAIL)
    type_into(page, "Password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def rows(page: Page) -> Locator:
    """The rows of the order list ("Order SF10042, Ava Adams, New, late")."""
    return page.get_by_role("button", name=re.compile(r"^Order \S+, "))


def pixel(page: Page, x: int, y: int) -> tuple[int, int, int]:
    """The colour of one screen pixel (a 1x1 PNG screenshot, read without an image library)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    data, at = b"", 8
    while at < len(png):
        size = int.from_bytes(png[at : at + 4], "big")
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + size]
        at += 12 + size
    # One row of one pixel: a filter byte, then RGB(A); every filter leaves a lone pixel as is.
    raw = zlib.decompress(data)
    return raw[1], raw[2], raw[3]
