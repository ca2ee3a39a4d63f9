"""The README's pictures: list, detail, pick (a wrong item scanned) and ship, on a phone
(390×844) and a tablet (1180×820), each in the light and the dark theme.

One signed-in browser profile per size walks the screens; on each screen the theme is
switched by the system's preference (Chromium's ``prefers-color-scheme`` emulation; the
app's theme setting is "System" by default) and both pictures are taken. Each screen is
checked for what it must show before its pictures are taken.

The pictures go to a temporary folder, or to ``$SHIPFLOOR_SCREENSHOTS`` when it is set:
``SHIPFLOOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/browser/test_screenshots.py``
refreshes the README's.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Page, ViewportSize, expect

from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE, TABLET, WAIT_MS, rows, sign_in, type_into, visit
from tests.support import ServerThread

pytestmark = pytest.mark.browser

#: a barcode on no demo order: the item the picker should not have taken
WRONG_ITEM = "4006389999990"
#: pictures bigger than this are reduced to 256 colours
MAX_PNG_BYTES = 300_000
#: Flutter animates a theme change (about 200 ms); wait this long once the colours turned
THEME_SETTLE_S = 0.6

Theme = Literal["light", "dark"]


@pytest.fixture(scope="module")
def work(server: ServerThread) -> dict[str, dict[str, Any]]:
    """The orders to show: one being picked (lines still to pick) and one ready to ship."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        http.headers["Authorization"] = f"Bearer {r.raise_for_status().json()['access_token']}"
        processing = http.get("/api/orders", params={"status": "processing", "limit": 200})
        ready = http.get("/api/orders", params={"status": "ready_to_ship", "limit": 1})
        picking = None
        for item in processing.raise_for_status().json()["items"]:
            order = http.get(f"/api/orders/{item['id']}").raise_for_status().json()["order"]
            if any(ln["picked"] < ln["quantity"] for ln in order["lines"]):
                picking = order
                break
    assert picking is not None, "the demo has no order with items still to pick"
    return {"pick": picking, "ship": ready.raise_for_status().json()["items"][0]}


def brightness(png: bytes) -> float:
    """The app bar's brightness (its top-left corner), 0 (black) to 255 (white).

    The app bar takes the theme's surface colour on every screen; the picture's mean would
    not do, as a big red wrong-item alert lifts a dark screen's mean above 100.
    """
    corner = Image.open(io.BytesIO(png)).convert("L").crop((0, 0, 8, 8))
    return float(ImageStat.Stat(corner).mean[0])


def save(png: bytes, path: Path) -> None:
    """Write a picture; one over :data:`MAX_PNG_BYTES` is reduced to 256 colours."""
    if len(png) <= MAX_PNG_BYTES:
        path.write_bytes(png)
        return
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def in_theme(page: Page, theme: Theme) -> bytes:
    """Switch the system's theme, wait until the app has redrawn in it, and take a picture."""
    page.emulate_media(color_scheme=theme)
    deadline = time.monotonic() + 30
    while True:
        png = page.screenshot()
        level = brightness(png)
        if (level < 100) if theme == "dark" else (level > 150):
            break
        assert time.monotonic() < deadline, f"still {level:.0f} bright after 30 s, not {theme}"
        page.wait_for_timeout(200)
    page.wait_for_timeout(THEME_SETTLE_S * 1000)
    return page.screenshot()


def both_themes(page: Page, folder: Path, name: str) -> list[Path]:
    """``{name}-light.png`` and ``{name}-dark.png`` of the screen as it is; back to light."""
    blur(page)
    taken = []
    for theme in ("light", "dark"):
        path = folder / f"{name}-{theme}.png"
        save(in_theme(page, theme), path)
        taken.append(path)
    page.emulate_media(color_scheme="light")
    return taken


def blur(page: Page) -> None:
    """Take the keyboard focus off the focused field.

    After a theme change a field that kept the focus can stop hearing the keyboard:
    typed keys reach its semantics ``<input>`` but not Flutter's text field. A field
    focused anew after the change works.
    """
    page.evaluate("document.activeElement && document.activeElement.blur()")


def scan(page: Page, label: str, code: str, outcome: Callable[[float], None]) -> None:
    """Type a code into a scan field and press Enter, as a keyboard-wedge scanner does.

    Should the code not arrive (it stays in the field and nothing happens), the field is
    focused anew and the code scanned again, as a person would scan again.
    """
    box = page.get_by_role("textbox", name=label)
    for _ in range(2):
        type_into(page, label, code)
        page.keyboard.press("Enter")
        try:
            outcome(10_000)
            return
        except AssertionError:
            if box.input_value() != code:
                break  # the scan was taken (the field was emptied): only slow to show
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.press("Backspace")
            blur(page)
    outcome(WAIT_MS)


def _walk(
    page: Page,
    server: ServerThread,
    work: dict[str, dict[str, Any]],
    take: Callable[[str], None],
) -> None:
    """Sign in, then list, detail, pick with the wrong-item alert, ship: a picture of each."""
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/orders$"))
    expect(rows(page).first).to_be_visible()
    # The whole list is on the device before its picture is taken.
    expect(page.get_by_role("button", name=re.compile(r"^Sync status: "))).to_have_accessible_name(
        re.compile(r"^Sync status: Online · All synced · Synced ")
    )
    take("list")

    picking = work["pick"]
    scan(
        page,
        "Scan code",
        picking["number"],
        lambda ms: expect(page).to_have_url(re.compile(rf"/orders/{picking['id']}$"), timeout=ms),
    )
    expect(page.get_by_text(f"Order {picking['number']}", exact=True)).to_be_visible()
    expect(page.get_by_text(picking["customer"]["name"]).first).to_be_visible()
    take("detail")

    page.get_by_role("button", name="Pick", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{picking['id']}/pick$"))
    # The alert banner reads as one group: its title and what to do, for screen readers too.
    alert = page.get_by_role("group", name=re.compile(r"^Wrong item: "))
    scan(page, "Scan item", WRONG_ITEM, lambda ms: expect(alert).to_be_visible(timeout=ms))
    expect(alert).to_have_accessible_name(
        re.compile(rf"^Wrong item: {WRONG_ITEM} is not on order {picking['number']}\. Put it back")
    )
    expect(page.get_by_role("button", name="OK, got it")).to_be_visible()
    take("pick")

    shipping = work["ship"]
    visit(page.context, f"{server.url}/orders/{shipping['id']}/ship", page)  # a deep link
    expect(page.get_by_text(f"Ship · {shipping['number']}", exact=True).first).to_be_visible()
    expect(page.get_by_role("group", name="Carrier")).to_be_visible()
    expect(page.get_by_role("button", name="Print label")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Mark shipped"))).to_be_visible()
    take("ship")


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("tablet", TABLET)])
def test_list_detail_pick_and_ship_in_both_themes(
    size: str,
    viewport: ViewportSize,
    context_for: Any,
    server: ServerThread,
    work: dict[str, dict[str, Any]],
    shots: Path,
) -> None:
    page = visit(context_for(viewport), server.url + "/")
    taken: list[Path] = []
    _walk(
        page,
        server,
        work,
        lambda screen: taken.extend(both_themes(page, shots, f"{size}-{screen}")),
    )
    names = sorted(p.name for p in taken)
    assert names == sorted(
        f"{size}-{screen}-{theme}.png"
        for screen in ("list", "detail", "pick", "ship")
        for theme in ("light", "dark")
    )
    for path in taken:
        with Image.open(path) as image:
            assert image.size == (viewport["width"], viewport["height"])
        assert path.stat().st_size <= MAX_PNG_BYTES, f"{path.name}: {path.stat().st_size} bytes"
