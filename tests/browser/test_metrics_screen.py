"""The seller-metrics dashboard in a real Chromium: the figures the API computes, and charts.

The main job's server (API and Flet app on one origin, the demo vendor seeded) runs on
127.0.0.1; the browser may reach nothing else. The charts are flet-charts controls, drawn
by the Flutter client that flet-web ships (its ``fl_chart`` extension is compiled in): the
test looks for the bars' pixels on screen and for the "Unknown control" error that a chart
missing from the client would show instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)

from mobile.viewmodels.metrics import percent
from server.app import create_app
from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests import support
from tests.browser.test_signin_and_list import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TABLET,
    WAIT_MS,
    _prepare,
    sign_in,
)
from tests.support import ServerThread

pytestmark = pytest.mark.browser
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The main job: API and app on one port, SQLite, the demo vendor seeded."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`")
    tmp = tmp_path_factory.mktemp("metrics-browser")
    url = f"sqlite+aiosqlite:///{tmp / 'shipfloor.db'}"
    with ThreadPoolExecutor(1) as worker:  # Playwright's loop owns this thread
        worker.submit(_prepare, url).result()
    settings = support.test_settings(url, tmp, serve_app=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FLET_WEB_RENDERER", "canvaskit")  # screenshots show the current frame
        env.setenv("FLET_WEB_NO_CDN", "true")
        thread = ServerThread(create_app(settings)).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def metrics(server: ServerThread) -> dict[str, Any]:
    """What ``GET /api/metrics`` says for the demo vendor (the screen must say the same)."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        body: dict[str, Any] = http.get("/api/metrics").raise_for_status().json()
    return body


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, server: ServerThread) -> Iterator[Any]:
    """Fresh browser profiles that reach the test server and nothing else."""
    made: list[BrowserContext] = []
    allowed = (f"http://127.0.0.1:{server.port}", f"ws://127.0.0.1:{server.port}")

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            route.abort()

    def make(viewport: Any, dark: bool = False) -> BrowserContext:
        context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
        context.route("**/*", only_the_server)
        context.add_init_script(
            "addEventListener('flutter-first-frame', () => window.__ff = 1, {once: true})"
        )
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def visit(context: BrowserContext, url: str) -> Page:
    """Open a URL, wait for Flutter's first frame and turn on its semantics DOM.

    Polled with ``evaluate``: ``wait_for_function`` compiles its predicate with ``eval``,
    which the app's Content-Security-Policy rightly forbids.
    """
    page = context.new_page()
    page.goto(url)
    for _ in range(600):
        if page.evaluate("window.__ff === 1"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"no Flutter frame from {url} within a minute")
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    return page


def window(metrics: dict[str, Any], days: int) -> dict[str, Any]:
    """One trailing window of the API's answer."""
    found: dict[str, Any] = next(w for w in metrics["windows"] if w["days"] == days)
    return found


def summary(metrics: dict[str, Any], days: int) -> str:
    """The line the screen shows over the cards, from the API's verdicts."""
    w = window(metrics, days)
    rates = ("late_shipment_rate", "cancellation_rate", "valid_tracking_rate")
    rated = [w[k]["ok"] for k in (*rates, "on_time_delivery_rate") if w[k]["ok"] is not None]
    if not rated:
        return f"Last {days} days: nothing to measure yet."
    return f"Last {days} days: {sum(rated)} of {len(rated)} thresholds met."


def deadlines(metrics: dict[str, Any], days: int) -> str:
    """The ship-by chart's title, from the API's daily series."""
    series = metrics["daily"][-days:]
    met = sum(d["due"] - d["late"] for d in series)
    missed = sum(d["late"] for d in series)
    return f"Ship-by deadlines, last {days} days: {met} met, {missed} missed"


def tallest_solid_run(png: bytes) -> int:
    """The tallest column of identical, non-background pixels: a bar, not text or a line."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    background = pixels[0, 0]
    tallest = 0
    for x in range(width):
        run, last = 0, None
        for y in range(height):
            colour = pixels[x, y]
            run = run + 1 if colour == last and colour != background else 1
            last = colour
            if colour != background:
                tallest = max(tallest, run)
    return tallest


def card(page: Page, title: str) -> Locator:
    """A metric card, read as one sentence: "Late shipment rate: 1.2 %, Meets the threshold…"."""
    return page.get_by_text(re.compile(rf"^{re.escape(title)}: "))


def chart(page: Page, summary: str) -> Locator:
    """A chart: an image named by its summary."""
    return page.get_by_role("img", name=f"Chart: {summary}")


def assert_no_failed_control(page: Page) -> None:
    """Nothing on screen is a Flet error in place of a control (a chart the client lacks
    shows "Unknown control: BarChart"; a misused control names its broken property)."""
    shown = page.locator("body").aria_snapshot()
    for error in ("Unknown control", "must be provided", "Error"):
        assert error not in shown, shown


def assert_charts_drawn(page: Page, metrics: dict[str, Any], days: int) -> None:
    """Both charts show, no control failed, and the bar chart painted solid bars."""
    bars = chart(page, deadlines(metrics, days))
    expect(bars).to_be_visible()
    hours = page.get_by_role("img", name=re.compile(rf"^Chart: Hours to ship, last {days} days: "))
    expect(hours).to_be_visible()
    assert_no_failed_control(page)
    page.wait_for_timeout(500)  # the chart's entry animation (fl_chart grows the bars)
    box = bars.bounding_box()
    assert box is not None and box["height"] > 150
    shot = page.screenshot(clip=box)
    # A day's bar with a handful of deadlines is tens of pixels tall and of one colour;
    # axis text and grid lines never are.
    assert tallest_solid_run(shot) >= 12


def test_the_owner_sees_the_figures_and_the_charts_beside_them_on_a_tablet(
    new_context: Any, server: ServerThread, metrics: dict[str, Any], shots: Path
) -> None:
    # A deep link to the dashboard: sign-in first, then straight there.
    page = visit(new_context(TABLET), server.url + "/metrics")
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/metrics$"))
    expect(page.get_by_text("Seller metrics")).to_be_visible()

    thirty = window(metrics, 30)
    expect(page.get_by_text(summary(metrics, 30))).to_be_visible()
    for key in ("late_shipment_rate", "cancellation_rate", "valid_tracking_rate"):
        rate = thirty[key]
        value = "—" if rate["value"] is None else percent(rate["value"])
        verdict = {True: "Meets the threshold", False: "Misses the threshold"}.get(
            rate["ok"], "Nothing to measure yet"
        )
        expect(card(page, rate["name"])).to_contain_text(f"{rate['name']}: {value}, {verdict}")
    expect(card(page, "Late shipment rate")).to_contain_text("Amazon: under 4 %")
    assert_charts_drawn(page, metrics, 30)

    # Side by side: the first card and the first chart share a row.
    first = card(page, "Late shipment rate").bounding_box()
    bars = chart(page, deadlines(metrics, 30)).bounding_box()
    assert first is not None and bars is not None
    assert bars["x"] > first["x"] + first["width"]
    assert bars["y"] < first["y"] + first["height"]
    page.screenshot(path=shots / "tablet-metrics.png")

    # The 7-day window: the screen follows the API's other window.
    page.get_by_role("button", name="7 days").click()
    expect(page.get_by_text(summary(metrics, 7))).to_be_visible()
    assert_charts_drawn(page, metrics, 7)


def test_a_phone_in_dark_mode_stacks_the_charts_under_the_cards(
    new_context: Any, server: ServerThread, metrics: dict[str, Any], shots: Path
) -> None:
    page = visit(new_context(PHONE, dark=True), server.url + "/")
    sign_in(page)
    page.get_by_role("tab", name="Metrics").click()
    expect(page).to_have_url(re.compile(r"/metrics$"))
    expect(page.get_by_text(summary(metrics, 30))).to_be_visible()
    late = card(page, "Late shipment rate")
    expect(late).to_be_visible()
    page.screenshot(path=shots / "phone-metrics-dark.png")
    first = late.bounding_box()

    bars = chart(page, deadlines(metrics, 30))
    bars.scroll_into_view_if_needed()
    assert_charts_drawn(page, metrics, 30)
    below = bars.bounding_box()
    assert first is not None and below is not None
    # Under the cards (scrolled up to it), not beside them.
    assert below["x"] < first["x"] + 40 and below["width"] > first["width"] * 0.8
    page.screenshot(path=shots / "phone-metrics-chart-dark.png")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go (``$SHIPFLOOR_SCREENSHOTS`` to keep them)."""
    import os

    folder = Path(os.environ.get("SHIPFLOOR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
