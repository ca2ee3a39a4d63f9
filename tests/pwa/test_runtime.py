"""The browser runtime's logic that runs the same on CPython: problems, eviction, queries.

Mounting IndexedDB, flushing and ``pyfetch`` run in Pyodide in Chromium
(``test_browser.py``); what is decided in plain Python is checked here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mobile import browser_runtime
from mobile.browser_runtime import BrowserStorage, StorageProblem, check_evicted
from mobile.prefs import MemoryPreferences
from mobile.transport_pyfetch import with_query


class DomError:
    """What IndexedDB hands syncfs's callback: a DOMException's name and message."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message


def test_a_full_quota_and_other_write_failures_are_told_in_words() -> None:
    storage = BrowserStorage()
    seen: list[StorageProblem] = []
    storage.on_problem(seen.append)
    quota = browser_runtime._describe(
        DomError("QuotaExceededError", "The quota has been exceeded.")
    )
    other = browser_runtime._describe(DomError("UnknownError", "Internal error."))
    storage.report(quota)
    storage.report(other)
    assert [p.kind for p in seen] == ["quota", "write"]
    assert "out of storage" in seen[0].message
    assert seen[0].detail == "QuotaExceededError: The quota has been exceeded."
    assert "may be lost" in seen[1].message
    # A listener that comes later still hears of what already happened.
    late: list[StorageProblem] = []
    storage.on_problem(late.append)
    assert late == seen


def test_an_evicted_store_is_reported_and_a_first_run_is_not(tmp_path: Path) -> None:
    prefs = MemoryPreferences()
    folder = tmp_path / "data"
    assert browser_runtime.in_browser() is False
    # First run: nothing remembered, nothing there.
    assert run(check_evicted(prefs, folder)) is None
    marker = prefs.values[browser_runtime.MARKER_KEY]
    assert (folder / browser_runtime.MARKER_FILE).read_text() == marker
    # A later run with the data still there.
    assert run(check_evicted(prefs, folder)) is None
    assert prefs.values[browser_runtime.MARKER_KEY] == marker
    # The browser cleared the site's IndexedDB but not its local storage.
    (folder / browser_runtime.MARKER_FILE).unlink()
    problem = run(check_evicted(prefs, folder))
    assert problem is not None
    assert problem.kind == "evicted"
    assert "not yet synced" in problem.message
    # ... and the run after that starts clean again.
    assert run(check_evicted(prefs, folder)) is None


def test_query_strings_keep_order_and_escape() -> None:
    assert with_query("/api/sync/pull", {"cursor": "", "limit": "50"}) == (
        "/api/sync/pull?cursor=&limit=50"
    )
    assert with_query("/api/orders?x=1", [("q", "a b&c"), ("status", "new")]) == (
        "/api/orders?x=1&q=a+b%26c&status=new"
    )
    assert with_query("/api/orders", ()) == "/api/orders"


def run(coroutine: Coroutine[Any, Any, StorageProblem | None]) -> StorageProblem | None:
    """Run a coroutine to its end in a thread of its own (Playwright's sync API may hold
    this thread's event loop when the browser tests run in the same session)."""
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()
