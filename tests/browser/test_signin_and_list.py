"""The served app in a real Chromium: sign in, filter, search, scan, deep links, layouts.

The main job's server (API and Flet app on one origin) runs on 127.0.0.1 over SQLite with
the demo vendor; the browser may reach nothing else. Controls are found through Flutter's
semantics DOM by the labels a screen reader would read (see handbook/recipes.md).

Screenshots go to a temporary folder, or to ``$SHIPFLOOR_SCREENSHOTS`` when it is set
(``SHIPFLOOR_SCREENSHOTS=docs/screenshots`` refreshes the README's pictures).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from server.demo import DEMO_EMAIL, DEMO_PASSWORD

# The redundant aliases re-export what test_metrics_screen.py still imports from here.
from tests.browser.conftest import CHROMIUM as CHROMIUM
from tests.browser.conftest import CHROMIUM_ARGS as CHROMIUM_ARGS
from tests.browser.conftest import PHONE as PHONE
from tests.browser.conftest import TABLET as TABLET
from tests.browser.conftest import WAIT_MS as WAIT_MS
from tests.browser.conftest import _prepare as _prepare
from tests.browser.conftest import pixel, rows, type_into, visit
from tests.browser.conftest import sign_in as sign_in
from tests.support import ServerThread

pytestmark = pytest.mark.browser


@dataclasses.dataclass
class Demo:
    """What the demo vendor holds, read through the API, to know what to look for."""

    total: int
    held: list[dict[str, Any]]
    shipped: dict[str, Any]
    new: dict[str, Any]


@pytest.fixture(scope="module")
def demo(server: ServerThread) -> Demo:
    """The demo vendor's counts, its orders on hold and one shipped order."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        counts = http.get("/api/orders/counts").raise_for_status().json()
        held = http.get("/api/orders", params={"status": "on_hold", "limit": 200}).json()
        shipped = http.get("/api/orders", params={"status": "shipped", "limit": 1}).json()
        fresh = http.get("/api/orders", params={"status": "new", "limit": 200}).json()
    # A paid new order with a good address: "Start processing" is allowed on it.
    new = next(o for o in fresh["items"] if o["ship_by"])
    return Demo(counts["total"], held["items"], shipped["items"][0], new)


def chip(page: Page, label: str) -> Locator:
    """A status filter chip, e.g. ``On hold 10``."""
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)} \d+$"))


def sync_bar(page: Page) -> Locator:
    """The sync status line on top of every screen ("Sync status: Online · All synced · …")."""
    return page.get_by_role("button", name=re.compile(r"^Sync status: "))


def test_sign_in_filter_search_and_scan_an_order_on_a_phone(
    context_for: Any, server: ServerThread, demo: Demo, shots: Path
) -> None:
    page = visit(context_for(PHONE), server.url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("textbox", name="Server address")).to_have_value(server.url)
    page.get_by_role("textbox", name="Email").click()
    page.screenshot(path=shots / "phone-signin.png")

    sign_in(page)
    # The list comes from the device store, filled by the first sync after sign-in.
    expect(chip(page, "All")).to_have_accessible_name(f"All {demo.total}")
    expect(page).to_have_url(re.compile(r"/orders$"))
    expect(rows(page).first).to_be_visible()
    expect(sync_bar(page)).to_have_accessible_name(
        re.compile(r"^Sync status: Online · All synced · Synced ")
    )
    page.screenshot(path=shots / "phone-orders.png")

    # The sync bar opens the sync panel: the state in full and any problems to look at.
    sync_bar(page).click()
    expect(page.get_by_text("No refused changes or conflicts.")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_text("No refused changes or conflicts.")).not_to_be_visible()

    # Filter by a status chip: only the orders on hold.
    chip(page, "On hold").click()
    held = len(demo.held)
    expect(page.get_by_text(f"On hold: {held} of {held}")).to_be_visible()
    expect(rows(page).first).to_contain_text("On hold")
    assert all(", On hold" in name for name in rows(page).all_text_contents())

    # Instant search by customer name, within the filter.
    customer = demo.held[0]["customer_name"]
    key = customer.lower()
    matching = sum(
        key in o["customer_name"].lower() or key in o["number"].lower() for o in demo.held
    )
    type_into(page, "Search orders", customer)
    # Exactly the count of the whole name: a pause while typing may show a shorter search.
    expect(page.get_by_text(f"On hold: {matching} of {matching}", exact=True)).to_be_visible()
    assert matching < held
    assert all(customer in name for name in rows(page).all_text_contents())

    # A keyboard-wedge scan (the order number, then Enter) opens that order, whatever
    # the list shows at the moment.
    wanted = demo.shipped
    type_into(page, "Scan code", wanted["number"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/orders/{wanted['id']}$"))
    expect(page.get_by_text(f"Order {wanted['number']}", exact=True)).to_be_visible()
    expect(page.get_by_text(wanted["customer_name"]).first).to_be_visible()
    page.screenshot(path=shots / "phone-order.png")

    # An unknown code says so and leaves the list where it was.
    page.get_by_role("button", name="Back").click()
    expect(page).to_have_url(re.compile(r"/orders$"))
    type_into(page, "Scan code", "NOPE-404")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No order NOPE-404.")).to_be_visible()


def test_a_deep_link_lands_on_the_order_and_the_session_survives_a_reload(
    context_for: Any, server: ServerThread, demo: Demo
) -> None:
    wanted = demo.held[0]
    link = f"{server.url}/orders/{wanted['id']}"
    context = context_for(PHONE)
    page = visit(context, link)
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page)
    expect(page).to_have_url(link)
    title = page.get_by_text(f"Order {wanted['number']}", exact=True)
    expect(title).to_be_visible()

    visit(context, link, page)  # a reload: still signed in, still on the order
    expect(title).to_be_visible()
    expect(page).to_have_url(link)

    # Sign out from Settings: back to sign-in, and a reload does not sign in again.
    page.get_by_role("button", name="Back").click()
    page.get_by_role("tab", name="Settings").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    visit(context, server.url + "/orders", page)
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_tablet_shows_the_rail_and_the_order_beside_the_list(
    context_for: Any, server: ServerThread, demo: Demo, shots: Path
) -> None:
    page = visit(context_for(TABLET), server.url + "/")
    page.get_by_role("textbox", name="Email").click()
    page.screenshot(path=shots / "tablet-signin.png")
    sign_in(page)
    expect(rows(page).first).to_be_visible()
    expect(page.get_by_text("Select an order, or scan its packing slip.")).to_be_visible()
    page.screenshot(path=shots / "tablet-orders.png")

    first = rows(page).first
    number = (first.text_content() or "").split(",")[0].removeprefix("Order ")
    first.click()
    expect(page.get_by_text(f"Order {number}", exact=True)).to_be_visible()
    expect(rows(page).nth(1)).to_be_visible()  # the list stays beside the order
    expect(page.get_by_role("button", name="Close")).to_be_visible()
    page.screenshot(path=shots / "tablet-order.png")

    # A step taken on the device shows at once, then reaches the server by itself.
    wanted = demo.new
    type_into(page, "Scan code", wanted["number"])
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Order {wanted['number']}", exact=True)).to_be_visible()
    page.get_by_role("button", name="Start processing").click()
    expect(page.get_by_text("Start processing: done.")).to_be_visible()
    expect(sync_bar(page)).to_have_accessible_name(re.compile(r"^Sync status: Online · All synced"))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        order = http.get(f"/api/orders/{wanted['id']}").json()["order"]
    assert order["status"] == "processing"


def test_the_dark_theme_follows_the_system(
    context_for: Any, server: ServerThread, shots: Path
) -> None:
    page = visit(context_for(PHONE, dark=True), server.url + "/")
    sign_in(page)
    expect(rows(page).first).to_be_visible()
    page.screenshot(path=shots / "phone-orders-dark.png")
    # Flutter paints everything itself: look at the background under the list.
    assert sum(pixel(page, 195, 820)) < 3 * 80  # a dark surface
    assert sum(pixel(page, 10, 250)) < 3 * 80
