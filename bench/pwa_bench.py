"""Benchmark: the offline PWA's start in Chromium, to an interactive order list.

Run: ``.venv/bin/python -m bench.pwa_bench [--repeat 3] [--out build/pwa]``

Builds the PWA if needed (``python -m pwa.build``, the same as ``make pwa``), starts the
main job's server in its own process (``python -m server.cli run --demo`` with
``SHIPFLOOR_APP=pwa`` on a fresh SQLite file), and drives Debian's Chromium (headless, no
GPU) through Playwright with a profile on disk, the browser reaching nothing but the
server. Timed, each from ``goto``/``reload`` until the order list shows its rows in the
semantics DOM (what a person can tap):

- **first load**: nothing cached → the sign-in screen; then sign-in → the order list
  (the initial sync of the demo orders into the device store included);
- **online reload**: signed in, from the service worker's cache, server up;
- **offline reload**: the server process stopped, everything from the cache and the store
  in IndexedDB.

Also the bytes in Cache Storage: what the service worker precached plus the renderer it
kept, and apart from that the Python worker's compiled-code cache (``pwa/code_cache.py``).
Prints a table and writes JSON to ``bench/results/pwa-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect, sync_playwright

from bench.measure import machine
from pwa import build as pwa_build
from pwa import code_cache
from server.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support import free_port

ROW = re.compile(r"^Order \S+, ")
RESULTS = Path(__file__).parent / "results"


class Server:
    """The main job's server (API + PWA), in its own process, restartable on one database."""

    def __init__(self, site: Path, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SHIPFLOOR_APP": "pwa",
            "SHIPFLOOR_PWA_DIR": str(site),
            "SHIPFLOOR_DATA_DIR": str(data_dir),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until ``/health/ready`` answers."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "run", "--demo", "--log-level", "warning"],
            env=self.env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not become ready in 120 s")

    def stop(self) -> None:
        """Stop the process (the browser is offline from here)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


def _semantics_on(page: Page) -> None:
    # Flutter builds its accessibility DOM once the placeholder is clicked; before the app
    # has drawn, the click may do nothing, so it is repeated on every poll.
    page.evaluate("() => document.querySelector('flt-semantics-placeholder')?.click()")


def _sign_in_screen(page: Page) -> bool:
    return page.get_by_role("textbox", name="Password").count() > 0


def _order_list(page: Page) -> bool:
    return page.get_by_role("button", name=ROW).count() > 0


def _until(page: Page, done: Callable[[Page], bool], what: str, timeout: float = 600.0) -> float:
    """Seconds until ``done(page)`` holds (polled every 50 ms through the DevTools protocol)."""
    start = time.monotonic()
    while True:
        _semantics_on(page)
        if done(page):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            shot = RESULTS / "pwa-timeout.png"
            page.screenshot(path=str(shot))
            raise SystemExit(f"no {what} after {timeout:g} s (screenshot: {shot})")
        time.sleep(0.05)


def _type(page: Page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label)
    box.click()
    expect(box).to_be_focused(timeout=60_000)
    for _ in range(3):
        page.keyboard.type(text)
        try:
            expect(box).to_have_value(text, timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.press("Backspace")
    raise SystemExit(f"could not type into {label}")


def _cache_bytes(page: Page) -> dict[str, int]:
    """Bytes in each Cache Storage cache of the origin."""
    sizes: dict[str, int] = page.evaluate(
        """async () => {
            const sizes = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                sizes[name] = 0;
                for (const request of await cache.keys()) {
                    const response = await cache.match(request);
                    sizes[name] += (await response.arrayBuffer()).byteLength;
                }
            }
            return sizes;
        }"""
    )
    return sizes


def _reloads(page: Page, repeat: int) -> list[float]:
    """Seconds from each of ``repeat`` reloads to the order list."""
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        page.reload()
        _until(page, _order_list, "order list")
        times.append(time.monotonic() - started)
    return times


def run(site: Path, repeat: int) -> dict[str, Any]:
    """One first load, then ``repeat`` online and ``repeat`` offline reloads."""
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pwa-bench-") as tmp:
        server = Server(site, Path(tmp) / "data")
        server.start()
        try:
            with sync_playwright() as pw:
                context = pw.chromium.launch_persistent_context(
                    Path(tmp) / "profile",
                    executable_path=CHROMIUM,
                    args=CHROMIUM_ARGS,
                    viewport={"width": 390, "height": 844},
                    bypass_csp=True,
                )

                def only_the_server(route: Route) -> None:
                    if route.request.url.startswith(server.url):
                        route.continue_()
                    else:
                        route.abort()

                context.route("**/*", only_the_server)
                page = context.new_page()
                started = time.monotonic()
                page.goto(server.url + "/")
                _until(page, _sign_in_screen, "sign-in screen")
                first_sign_in = time.monotonic() - started
                print(f"first load to the sign-in screen: {first_sign_in:.1f} s", flush=True)
                _type(page, "Email", DEMO_EMAIL)
                _type(page, "Password", DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                sign_in_to_list = _until(page, _order_list, "order list")
                # Let the service worker finish precaching before the reloads.
                page.evaluate("async () => { await navigator.serviceWorker.ready; }")
                time.sleep(2)
                online = _reloads(page, repeat)
                server.stop()
                offline = _reloads(page, repeat)
                cached = _cache_bytes(page)
                context.close()
        finally:
            server.stop()
    return {
        "first_load_to_sign_in_s": round(first_sign_in, 2),
        "sign_in_to_order_list_s": round(sign_in_to_list, 2),
        "online_reload_s": [round(x, 2) for x in online],
        "offline_reload_s": [round(x, 2) for x in offline],
        "online_reload_median_s": round(statistics.median(online), 2),
        "offline_reload_median_s": round(statistics.median(offline), 2),
        "cache_storage_bytes": sum(cached.values()),
        "precache_bytes": sum(n for name, n in cached.items() if name != code_cache.CACHE_NAME),
        "code_cache_bytes": cached.get(code_cache.CACHE_NAME, 0),
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    """Build if needed, measure, print, write JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.pwa_bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=pwa_build.DEFAULT_OUT)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run `make browser-deps`")
    subprocess.run([sys.executable, "-m", "pwa.build", "--out", str(args.out)], check=True)
    result = {"machine": machine(), **run(args.out, args.repeat)}
    for key, value in result.items():
        if key != "machine":
            print(f"{key:28} {value}")
    print("load average:", result["machine"].get("loadavg"))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"pwa-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("written", out)


if __name__ == "__main__":
    main()
