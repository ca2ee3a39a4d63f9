"""Acceptance of working orders in the offline PWA (issues 4 and 5), in one real Chromium.

Python runs in the browser (Pyodide), the device store lives in IndexedDB and syncs over
``pyfetch`` with the main job's server, which also serves the PWA. One story, one start
of the app (each start of Pyodide costs a lot on a busy machine):

1. Online (issue 4): sign in, filter and search the list, open order A by typing its slip
   barcode and Enter into the scan field, pick every line with one wrong scan in between
   (the alert must be acknowledged), inspect, pack, print the slip, print and attach the
   label, ship with a tracking number. The list and the server's API show A shipped.
2. Offline (issue 5): the server stops; the reloaded page starts from the service worker's
   cache, still signed in, and shows the orders of the device store. Order B is worked
   through to shipped; the list marks it waiting and the sync bar says offline. Another
   reload while still offline: the pending changes are still there.
3. Back online: the server starts again (same database, same port); the pending count
   drops to 0, and the server has A and B shipped with each step recorded exactly once.

Controls are found through Flutter's semantics DOM by the labels a screen reader reads.
A keyboard-wedge scanner types into whatever field has Flutter's focus; when the browser's
focus arrives before Flutter's, the keys reach the DOM only, so every typed code is
checked by its effect on the screen and typed again when it had none.
Screenshots go to the test's temporary folder, or to ``$SHIPFLOOR_SCREENSHOTS``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import type_checked
from tests.builders import UPS_TRACKING
from tests.pwa.conftest import (
    APP_START_S,
    KNOWN_EXTERNAL,
    Built,
    Visit,
    poll,
    restart,
    wait_for_sign_in,
)
from tests.support import ServerThread

#: one step on a busy 2-core machine: a Python handler in the browser, a redraw, maybe a sync
STEP_MS = 60_000
#: the events a walk from processing to shipped records once each (picks: once per unit)
ONCE_EACH = ("inspect", "pack", "print_slip", "print_label", "attach_label", "ship")
#: what a request that leaves the machine uses (the browser's own pages use other schemes)
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
expect.set_options(timeout=STEP_MS)


@dataclass
class WorkOrder:
    """An order of the demo vendor that is processing with nothing picked yet."""

    id: str
    number: str
    customer: str
    #: (barcode, quantity) of each line
    lines: list[tuple[str, int]]

    @property
    def units(self) -> int:
        """Units to pick in all."""
        return sum(quantity for _, quantity in self.lines)


class ServerApi:
    """The server's API as the demo owner sees it (to choose orders and check the outcome)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        r = self.http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def order(self, order_id: str) -> dict[str, Any]:
        """One order with its timeline."""
        result: dict[str, Any] = self.http.get(f"/api/orders/{order_id}").raise_for_status().json()
        return result

    def total(self) -> int:
        """How many orders the vendor has."""
        return int(self.http.get("/api/orders/counts").raise_for_status().json()["total"])

    def fresh_processing(self) -> list[WorkOrder]:
        """Processing orders with two or more lines and nothing picked, reported or removed."""
        listed = self.http.get("/api/orders", params={"status": "processing", "limit": 200})
        found = []
        for item in listed.raise_for_status().json()["items"]:
            order = self.order(item["id"])["order"]
            lines = order["lines"]
            untouched = all(ln["picked"] == ln["short"] == 0 and not ln["removed"] for ln in lines)
            if untouched and len(lines) >= 2 and all(ln["barcode"] for ln in lines):
                found.append(
                    WorkOrder(
                        order["id"],
                        order["number"],
                        order["customer"]["name"],
                        [(ln["barcode"], ln["quantity"]) for ln in lines],
                    )
                )
        return found

    def close(self) -> None:
        """Release the connection."""
        self.http.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("SHIPFLOOR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def api_for() -> Iterator[Callable[[ServerThread], ServerApi]]:
    """Makes API clients signed in as the demo owner (closed at the end)."""
    made: list[ServerApi] = []

    def make(server: ServerThread) -> ServerApi:
        made.append(ServerApi(server.url))
        return made[-1]

    yield make
    for api in made:
        api.close()


# ------------------------------------------------------------------ the screen


def sync_bar(page: Page) -> Locator:
    """The sync status line on top of every screen ("Sync status: Online · All synced · …")."""
    return page.get_by_role("button", name=re.compile(r"^Sync status: "))


def chip(page: Page, label: str) -> Locator:
    """A status filter chip, e.g. ``Processing 35``."""
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)} \d+$"))


def row(page: Page, number: str) -> Locator:
    """The list's row of one order ("Order SF10042, Ava Adams, Shipped, waiting to sync")."""
    return page.get_by_role("button", name=re.compile(rf"^Order {re.escape(number)}, "))


def button(page: Page, name: str) -> Locator:
    """An enabled button (a disabled one's name adds "(unavailable: reason)")."""
    return page.get_by_role("button", name=name, exact=True)


def find(page: Page, order: WorkOrder) -> Locator:
    """The order's row, searched for by its customer's name (the list builds only the rows
    in view)."""
    found = row(page, order.number)
    enter(page, "Search orders", order.customer, shows(found))
    return found


def wait_for_app(page: Page) -> None:
    """Wait until the app (Python in the browser) shows a signed-in screen after a (re)load.

    The semantics DOM appears only once the app has drawn; the placeholder is clicked
    until it does.
    """
    poll(
        page,
        """() => {
            document.querySelector('flt-semantics-placeholder')?.click();
            return [...document.querySelectorAll('[role=button]')]
                .some(e => (e.getAttribute('aria-label') || e.textContent || '')
                    .startsWith('Sync status: '));
        }""",
        APP_START_S,
    )


def clear_and_type(page: Page, label: str, text: str) -> None:
    """Click a text field, wait for the focus, empty it and type (as a person or a scanner)."""
    box = page.get_by_role("textbox", name=label)
    box.click()
    expect(box).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Backspace")
    type_checked(page, box, text)  # typed again when the first keys went nowhere


def enter(page: Page, label: str, code: str, done: Callable[[], None], tries: int = 3) -> None:
    """Type ``code`` and Enter into a field, as a keyboard-wedge scanner does, until ``done``
    (an ``expect``) passes; typed again when the keys went nowhere (see the module's doc)."""
    for attempt in range(1, tries + 1):
        clear_and_type(page, label, code)
        page.keyboard.press("Enter")
        try:
            done()
            return
        except AssertionError:
            if attempt == tries:
                raise


def only_rows_of(page: Page, customer: str) -> None:
    """The list shows the customer's orders and no other (the list before a search may
    start with the same order, so the first row alone proves nothing)."""
    orders = page.get_by_role("button", name=re.compile(r"^Order \S+, "))
    expect(orders.first).to_contain_text(customer)
    expect(orders.filter(has_not_text=customer)).to_have_count(0)


def shows(locator: Locator) -> Callable[[], None]:
    """An ``enter``/``click`` outcome: ``locator`` is visible."""
    return lambda: expect(locator).to_be_visible()


def gone(locator: Locator) -> Callable[[], None]:
    """An ``enter``/``click`` outcome: ``locator`` has left the screen."""
    return lambda: expect(locator).to_have_count(0)


def click(page: Page, name: str, done: Callable[[], None]) -> None:
    """Tap an enabled button, then wait for what it does."""
    button(page, name).click()
    done()


def sign_in(page: Page, tries: int = 3) -> None:
    """The demo owner signs in (typed again when Flutter missed the keys)."""
    for attempt in range(1, tries + 1):
        clear_and_type(page, "Email", DEMO_EMAIL)
        clear_and_type(page, "Password", DEMO_PASSWORD)
        button(page, "Sign in").click()
        try:
            expect(page).to_have_url(re.compile(r"/orders$"), timeout=STEP_MS)
            return
        except AssertionError:
            if attempt == tries:
                raise


def bar_text(page: Page) -> str:
    """What the sync bar says now."""
    return sync_bar(page).text_content() or ""


def open_by_slip(page: Page, order: WorkOrder) -> None:
    """Scan the order's packing slip (its barcode is the order number) on the list."""
    enter(
        page,
        "Scan code",
        order.number,
        lambda: expect(page).to_have_url(re.compile(rf"/orders/{order.id}$"), timeout=STEP_MS),
    )
    expect(page.get_by_text(f"Order {order.number}", exact=True).first).to_be_visible()


def pick_all(page: Page, order: WorkOrder, wrong: str | None, shots: Path, tag: str) -> None:
    """Pick every unit by scanning its barcode; ``wrong`` is scanned after the first one."""
    click(
        page,
        "Pick",
        lambda: expect(page).to_have_url(re.compile(rf"/orders/{order.id}/pick$")),
    )
    picked = 0
    for barcode, quantity in order.lines:
        for _ in range(quantity):
            picked += 1
            progress = page.get_by_text(f"{picked} of {order.units} items picked", exact=True)
            enter(page, "Scan item", barcode, shows(progress))
            if wrong is not None and picked == 1:
                ok = button(page, "OK, got it")
                enter(page, "Scan item", wrong, shows(ok))
                alert = rf"^Wrong item: {wrong} is not on order {order.number}\. Put it back"
                expect(page.get_by_role("group", name=re.compile(alert))).to_be_visible()
                page.screenshot(path=shots / f"{tag}-wrong-item.png")
                # The alert stops everything until the picker says they have seen it.
                click(page, "OK, got it", gone(ok))
    expect(page.get_by_text("Every item is picked.", exact=True)).to_be_visible()
    click(
        page,
        "Continue to inspect & pack",
        lambda: expect(page).to_have_url(re.compile(rf"/orders/{order.id}/pack$")),
    )


def inspect_and_pack(page: Page, order: WorkOrder, online: bool) -> None:
    """Inspect, choose a box, weigh, pack and print the packing slip (queued offline)."""
    click(
        page,
        "Items inspected, no damage",
        lambda: expect(page.get_by_text("Inspection recorded.", exact=True)).to_be_visible(),
    )
    small = page.get_by_role("checkbox", name="Small box")
    small.click()
    expect(small).to_be_checked()
    packed = page.get_by_text(re.compile(r"^Packed: Small box, 850 g\."))
    enter(page, "Weight", "850", lambda: expect(packed).to_be_visible())
    slip = "Packing slip printed." if online else "Packing slip recorded: waiting for the network."
    click(
        page,
        "Print packing slip",
        lambda: expect(page.get_by_text(slip, exact=True)).to_be_visible(),
    )
    expect(page.get_by_text("Ready to ship", exact=True).first).to_be_visible()
    click(
        page,
        "Continue to ship",
        lambda: expect(page).to_have_url(re.compile(rf"/orders/{order.id}/ship$")),
    )


def ship(page: Page, online: bool) -> None:
    """UPS, the tracking number scanned from the label, print and attach it, mark shipped."""
    ups = page.get_by_role("checkbox", name="UPS")
    ups.click()
    expect(ups).to_be_checked()
    # The number goes on our label: "Print label" opens once it is known.
    enter(
        page,
        "Scan tracking number",
        UPS_TRACKING,
        lambda: expect(button(page, "Print label")).to_be_visible(),
    )
    label = "Label printed." if online else "Label recorded: waiting for the network."
    click(page, "Print label", lambda: expect(page.get_by_text(label, exact=True)).to_be_visible())
    click(
        page,
        "Label attached",
        lambda: expect(page.get_by_text("Label attached.", exact=True)).to_be_visible(),
    )
    shipped = page.get_by_text(f"Shipped with UPS · {UPS_TRACKING}", exact=True)
    click(page, "Mark shipped", lambda: expect(shipped).to_be_visible())


def back_to_the_list(page: Page) -> None:
    """From the shipped screen back to the order list."""
    click(
        page,
        "Back to the orders",
        lambda: expect(page).to_have_url(re.compile(r"/orders$")),
    )


def work(
    page: Page, order: WorkOrder, shots: Path, tag: str, online: bool, wrong: str | None = None
) -> None:
    """Open an order by its slip and take it from processing to shipped on the device."""
    open_by_slip(page, order)
    pick_all(page, order, wrong, shots, tag)
    inspect_and_pack(page, order, online)
    page.screenshot(path=shots / f"{tag}-packed.png")
    ship(page, online)
    page.screenshot(path=shots / f"{tag}-shipped.png")
    # Slips and labels open in a tab of their own: close them, the app stays.
    for other in page.context.pages:
        if other is not page:
            other.close()
    back_to_the_list(page)


# ------------------------------------------------------------------ the server


def assert_shipped_once(api: ServerApi, order: WorkOrder) -> None:
    """The server has the order shipped with UPS, and each step exactly once in its timeline."""
    found = api.order(order.id)
    assert found["order"]["status"] == "shipped"
    assert (found["order"]["carrier"], found["order"]["tracking_number"]) == ("ups", UPS_TRACKING)
    kinds = [event["kind"] for event in found["timeline"]]
    counts = {kind: kinds.count(kind) for kind in ONCE_EACH}
    assert counts == dict.fromkeys(ONCE_EACH, 1), kinds
    # One pick event per unit scanned: the refused wrong scan left nothing behind.
    assert kinds.count("pick") == order.units, kinds


# ------------------------------------------------------------------ the story


def test_orders_are_worked_online_and_offline_and_reach_the_server_exactly_once(
    built: Built,
    start_server: Callable[[], ServerThread],
    visit_for: Callable[..., Visit],
    api_for: Callable[[ServerThread], ServerApi],
    shots: Path,
) -> None:
    started = time.monotonic()
    server = start_server()
    api = api_for(server)
    total = api.total()
    candidates = api.fresh_processing()
    assert len(candidates) >= 2, "the demo has too few untouched processing orders"
    a, b = candidates[:2]
    a_barcodes = {barcode for barcode, _ in a.lines}
    wrong = next(bc for o in candidates for bc, _ in o.lines if bc not in a_barcodes)

    # --- Issue 5: the first visit is online; the service worker keeps the app.
    visit = visit_for(server)
    page = visit.context.new_page()
    page.goto(server.url + "/")
    wait_for_sign_in(page)
    poll(page, "() => !!navigator.serviceWorker.controller", 60)

    # --- Issue 4: sign in; the first sync fills the device store.
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/orders$"))
    expect(chip(page, "All")).to_have_accessible_name(f"All {total}", timeout=APP_START_S * 1000)
    expect(sync_bar(page)).to_have_accessible_name(
        re.compile(r"^Sync status: Online · All synced · Synced ")
    )
    page.screenshot(path=shots / "pwa-orders-online.png")

    # Filter by status, then search by the customer's name within it.
    chip(page, "Processing").click()
    expect(page.get_by_text(re.compile(r"^Processing: \d+ of \d+"))).to_be_visible()
    expect(row(page, a.number)).to_contain_text(", Processing")
    enter(
        page,
        "Search orders",
        a.customer,
        lambda: only_rows_of(page, a.customer),
    )
    names = page.get_by_role("button", name=re.compile(r"^Order \S+, ")).all_text_contents()
    assert names and all(a.customer in name for name in names), names

    # Order A, start to end, online.
    work(page, a, shots, "online", online=True, wrong=wrong)
    chip(page, "Shipped").click()
    expect(row(page, a.number)).to_contain_text(f"{a.customer}, Shipped")
    expect(sync_bar(page)).to_have_accessible_name(re.compile(r"^Sync status: Online · All synced"))
    assert_shipped_once(api, a)

    # --- Issue 5: the server goes away; the reloaded app starts from the cache.
    server.stop()
    page.reload()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/orders$"))
    offline = re.compile(r"^Sync status: Offline · All synced")
    expect(sync_bar(page)).to_have_accessible_name(offline, timeout=APP_START_S * 1000)
    # The orders come from the device store, A as it was shipped.
    expect(chip(page, "All")).to_have_accessible_name(f"All {total}")
    chip(page, "Shipped").click()
    expect(find(page, a)).to_contain_text(", Shipped")
    page.screenshot(path=shots / "pwa-orders-offline.png")

    # Order B, start to end, with no server: each step is kept on the device.
    work(page, b, shots, "offline", online=False)
    waiting = find(page, b)
    expect(waiting).to_have_accessible_name(re.compile(r", Shipped(, [^,]+)?, waiting to sync$"))
    pending = re.compile(r"^Sync status: Offline · (\d+) waiting to sync")
    expect(sync_bar(page)).to_have_accessible_name(pending)
    before = pending.match(bar_text(page))
    page.screenshot(path=shots / "pwa-offline-waiting.png")

    # Reloaded again while still offline: the changes are still waiting, on the device.
    page.reload()
    wait_for_app(page)
    expect(sync_bar(page)).to_have_accessible_name(pending, timeout=APP_START_S * 1000)
    after = pending.match(bar_text(page))
    assert before and after and after.group(1) == before.group(1)
    chip(page, "Shipped").click()
    expect(find(page, b)).to_have_accessible_name(re.compile(r", waiting to sync$"))
    page.screenshot(path=shots / "pwa-offline-reloaded.png")

    # --- The server is back (same database, same port): the changes go up, once.
    restart(server)
    # A person taps "Sync now" (the automatic retry backs off while the server is away).
    button(page, "Sync now").click()
    expect(sync_bar(page)).to_have_accessible_name(
        re.compile(r"^Sync status: Online · All synced"), timeout=APP_START_S * 1000
    )
    expect(row(page, b.number)).to_have_accessible_name(
        re.compile(rf"^Order {b.number}, [^,]+, Shipped(, [^,]+)?$")
    )
    page.screenshot(path=shots / "pwa-synced-again.png")
    assert_shipped_once(api, a)
    assert_shipped_once(api, b)

    # Nothing left 127.0.0.1 but the known probe. Chromium's own PDF viewer (the slip and
    # label tabs) loads chrome:// and chrome-extension:// pages: inside the browser, no network.
    network = {url for url in visit.external if urlsplit(url).scheme in NETWORK_SCHEMES}
    assert network <= KNOWN_EXTERNAL, network - KNOWN_EXTERNAL
    print(f"the whole story took {time.monotonic() - started:.0f} s")
