"""The app's screens over a device store of 10,000 orders: scans and opening the list.

Everything is the app's own code with no Flutter client: a real device store file
(``mobile.store``) filled as pull pages would fill it (``bench.device_bench``'s store
builder, over ``bench.dataset``'s order history), a :class:`~mobile.workspace.Workspace`
that is not syncing, and the real view models and Flet views.

1. **Scans.** On the pick step, a line's barcode is scanned and the view model shows the
   count one higher; that includes writing the mutation to the store and its outbox in
   one transaction, and everything the signed-in app then redraws: the workspace tells
   the order list (which reads its chip counts and page again), the order's detail, the
   sync bar and the step screen itself (as ``mobile/views/shell.py`` and
   ``mobile/views/steps/screens.py`` wire them). The same scan is also timed with no
   listener (the view model and the store alone), a wrong item (the alert raised), and
   the list's scan of a packing slip (the order number, found by the store).
2. **Opening the list.** From a new ``OrdersViewModel`` to the first page of rows and
   the filter chips' counts (what the list screen shows first; rows further down are
   read as the list scrolls). Also with the store file opened anew (SQLite's cache
   empty), then building the list's Flet controls in Python (``mobile.views.orders.
   OrdersPanel``: chips, 50 row tiles, "Load more") and encoding them as Flet sends them
   to the client (MessagePack, ``flet.messaging.protocol``, a Flet internal): each part
   alone and all three in one go. Drawing them is the Flutter client's work and is not
   measured here.

A benchmark, not a test: nothing fails on a slow number. Prints median/p95/max per
operation, writes JSON to ``bench/results/``.

    .venv/bin/python -m bench.app_bench
    .venv/bin/python -m bench.app_bench --orders 10000 --repeat 200
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging.protocol import configure_encode_object_for_msgpack

from bench.device_bench import _filled_store
from bench.measure import Timings, machine
from bench.orders_bench import RESULTS, ROOT
from mobile.store import Store
from mobile.sync import StoredTokens
from mobile.transport_httpx import HttpxTransport
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.orders import OrdersViewModel
from mobile.viewmodels.steps import PickViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.views.orders import OrdersPanel
from mobile.workspace import Workspace
from shared.deadlines import Calendar
from shared.types import OrderStatus

#: the goals of issue 4, in milliseconds
SCAN_GOAL_MS = 20
OPEN_LIST_GOAL_MS = 500
#: a code on no order (an item from the wrong shelf)
WRONG_CODE = "4006380000000"
#: nothing listens on the discard port: the workspace never syncs here anyway
NOWHERE = "http://127.0.0.1:9"

CALENDAR = Calendar("America/New_York", "US")
_encode_for_flet = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]  # untyped in flet


class AsyncTimings(Timings):
    """:class:`Timings` of a coroutine (the view models' commands are ``async``)."""

    async def time_async(self, call: Callable[[], Awaitable[int]]) -> None:
        """Time one awaited call; it returns how many rows (or units) it produced."""
        started = time.perf_counter()
        self.rows = await call()
        self.samples.append((time.perf_counter() - started) * 1000)


def open_workspace(path: Path) -> Workspace:
    """The signed-in person's workspace over the store file, as the shell opens it (no sync)."""
    store = Store(path, device_id="bench-device")
    store.set_user("bench-user", "Bench Picker", "bench-vendor")
    transport = HttpxTransport(NOWHERE)
    return Workspace(store, transport, StoredTokens(store, transport))


class SignedInScreens:
    """The view models a signed-in app keeps listening to the workspace (``shell.SignedIn``)."""

    def __init__(self, workspace: Workspace) -> None:
        self.orders = OrdersViewModel(workspace, CALENDAR)
        self.detail = OrderDetailViewModel(workspace, CALENDAR)
        self.sync = SyncViewModel(workspace, CALENDAR)
        self.pick = PickViewModel(workspace.store, on_recorded=workspace.local_change)
        # As StepScreens does: pulled or local changes re-read the open step.
        self._unsubscribe = workspace.subscribe(self.pick.refresh)

    async def open(self, order_id: str) -> None:
        """The pick step of one order on screen, its detail under it (phone) or beside (tablet)."""
        await self.detail.load(order_id)
        self.pick.load(order_id)

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()
        self.orders.dispose()
        self.detail.dispose()
        self.sync.dispose()


def units_to_pick(store: Store) -> list[str]:
    """The orders being processed: where the picker scans."""
    page = store.list_orders([OrderStatus.PROCESSING], limit=10_000)
    if not page.items:
        raise RuntimeError("the store holds no order in processing: use more --orders")
    return [item.id for item in page.items]


def open_step(pick: PickViewModel, order_id: str) -> int:
    """Show the pick step of an order (read from the store); 1 when it is there."""
    return int(pick.load(order_id))


async def one_scan(pick: PickViewModel, timings: AsyncTimings) -> None:
    """Time one scan of a line's barcode; put a unit back first (untimed) if all are picked."""
    line = next((ln for ln in pick.lines if ln.left > 0), None)
    if line is None:
        line = pick.lines[0]
        if not await pick.put_back(line.id):
            raise RuntimeError(f"put back refused: {pick.problem}")
        line = next(ln for ln in pick.lines if ln.id == line.id)
    before = line.picked

    async def scan() -> int:
        if not await pick.scan(line.barcode):
            raise RuntimeError(f"scan refused: {pick.alert or pick.problem}")
        return next(ln.picked for ln in pick.lines if ln.id == line.id)

    await timings.time_async(scan)
    if timings.rows != before + 1:
        raise RuntimeError(f"the count went from {before} to {timings.rows}")


async def scans(workspace: Workspace, numbers: list[str], repeat: int) -> list[dict[str, Any]]:
    """Pick scans (with and without the app's listeners), a wrong item, a slip scan."""
    store = workspace.store
    orders = itertools.cycle(units_to_pick(store))
    screens = SignedInScreens(workspace)
    await screens.orders.load()
    alone = PickViewModel(store)  # no listener: the view model and the store only
    with_app = AsyncTimings("pick: scan → count shown (app's listeners)")
    without = AsyncTimings("pick: scan → count shown (VM + store only)")
    wrong = AsyncTimings("pick: wrong item → alert shown")
    opening = Timings("pick: open the step (read the order)")
    slip = AsyncTimings("list: scan a packing slip → order found")
    slips = itertools.cycle(numbers)
    for _ in range(repeat):
        order_id = next(orders)
        await screens.detail.load(order_id)
        opening.time(functools.partial(open_step, screens.pick, order_id))
        await one_scan(screens.pick, with_app)
        alone.load(order_id)
        await one_scan(alone, without)

        async def wrong_item() -> int:
            await screens.pick.scan(WRONG_CODE)
            if screens.pick.alert is None or screens.pick.alert.code != "wrong_item":
                raise RuntimeError("no wrong-item alert")
            return 1

        await wrong.time_async(wrong_item)
        await screens.pick.acknowledge()

        async def scan_slip() -> int:
            return int(await screens.orders.open_code(next(slips)) is not None)

        await slip.time_async(scan_slip)
        if slip.rows != 1:
            raise RuntimeError("a packing slip's order was not found")
    with_app.note = f"goal < {SCAN_GOAL_MS} ms; rows: the line's new count"
    without.note = "no list, detail or sync bar listening"
    slip.note = f"goal < {SCAN_GOAL_MS} ms"
    outbox = store.pending_count()
    with_app.note += f"; outbox at the end: {outbox} mutations"
    screens.close()
    return [t.summary() for t in (with_app, without, wrong, opening, slip)]


def _panel(vm: OrdersViewModel) -> OrdersPanel:
    """The phone's list screen body over ``vm`` (chips scroll, as on a phone)."""
    return OrdersPanel(vm, on_open=lambda _id: None, redraw=lambda: None, wrap_chips=False)


def _shown(vm: OrdersViewModel) -> int:
    """What the first screen shows: the rows, and the chips with their counts."""
    chips = vm.chips
    if not vm.rows or sum(c.count for c in chips) == 0:
        raise RuntimeError("the list opened empty")
    return len(vm.rows)


async def open_list(workspace: Workspace) -> int:
    """A new list view model's first page and chip counts; how many rows it shows."""
    vm = OrdersViewModel(workspace, CALENDAR)
    await vm.load()
    shown = _shown(vm)
    vm.dispose()
    return shown


def build_and_encode(vm: OrdersViewModel, controls: Timings, encoded: Timings) -> int:
    """Time building the list's controls over a loaded ``vm``, then encoding them; their size."""
    panels: list[OrdersPanel] = []

    def build() -> int:
        panels.append(_panel(vm))
        return len(panels[-1].list.controls)

    controls.time(build)
    panel = panels[-1]
    packed = b""

    def encode() -> int:
        nonlocal packed
        packed = msgpack.packb(panel.root, default=_encode_for_flet)
        return len(panel.list.controls)

    encoded.time(encode)
    panel.dispose()
    return len(packed)


async def opening_the_list(path: Path, workspace: Workspace, repeat: int) -> list[dict[str, Any]]:
    """From a new list view model to its first page and chip counts, then its Flet controls."""
    vm_only = AsyncTimings("list: open, VM → first page + chip counts")
    fresh_file = AsyncTimings("list: open, first read on a new connection")
    whole = AsyncTimings("list: open, VM + controls built + encoded")
    controls = Timings("list: build the Flet controls (first page)")
    encoded = Timings("list: encode the controls for the client")
    size = 0

    async def open_and_build() -> int:
        vm = OrdersViewModel(workspace, CALENDAR)
        await vm.load()
        _shown(vm)
        panel = _panel(vm)
        msgpack.packb(panel.root, default=_encode_for_flet)
        panel.dispose()
        vm.dispose()
        return len(panel.list.controls)

    for _ in range(repeat):
        await vm_only.time_async(functools.partial(open_list, workspace))
        # A new SQLite connection (opened untimed): its page cache is empty, the OS's is not.
        again = open_workspace(path)
        try:
            await fresh_file.time_async(functools.partial(open_list, again))
        finally:
            await again.close()
        await whole.time_async(open_and_build)
        vm = OrdersViewModel(workspace, CALENDAR)
        await vm.load()
        size = build_and_encode(vm, controls, encoded)
        vm.dispose()
    vm_only.note = f"goal < {OPEN_LIST_GOAL_MS} ms; rows: the first page"
    fresh_file.note = "SQLite's page cache empty (the store file opened just before, untimed)"
    whole.note = f"goal < {OPEN_LIST_GOAL_MS} ms; rows: list controls (tiles + 'Load more')"
    controls.note = "mobile.views.orders.OrdersPanel: chips, row tiles, 'Load more'"
    encoded.note = f"MessagePack as Flet sends it: {size / 1024:.0f} KiB"
    return [t.summary() for t in (vm_only, fresh_file, whole, controls, encoded)]


def _print(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(
            f"  {r['name']:<46} median {r['p50_ms']:>7} ms  p95 {r['p95_ms']:>7} ms  "
            f"max {r['max_ms']:>7} ms  (n={r['n']}, rows {r['rows']}) {r['note']}"
        )


async def run(orders: int, repeat: int) -> dict[str, Any]:
    """Fill a store with ``orders`` orders, then time the scans and opening the list."""
    with tempfile.TemporaryDirectory(prefix="app-bench-") as tmp:
        path = Path(tmp) / "device.db"
        started = time.perf_counter()
        store, numbers = _filled_store(path, orders)
        store.close()
        filled = time.perf_counter() - started
        workspace = open_workspace(path)
        try:
            # One untimed round first: imports, SQLite's cache, Flet's control classes.
            await opening_the_list(path, workspace, 1)
            listing = await opening_the_list(path, workspace, repeat)
            scanning = await scans(workspace, numbers, repeat)
        finally:
            await workspace.close()
    return {"orders": orders, "fill_s": round(filled, 1), "scans": scanning, "list": listing}


def main() -> None:
    """Run both parts and print them."""
    parser = argparse.ArgumentParser(prog="python -m bench.app_bench")
    parser.add_argument("--orders", type=int, default=10_000, help="orders in the device store")
    parser.add_argument("--repeat", type=int, default=100, help="samples per operation")
    args = parser.parse_args()

    report: dict[str, Any] = {"machine": machine(), "at": datetime.now(UTC).isoformat()}
    report.update(asyncio.run(run(args.orders, args.repeat)))
    report["machine_after"] = {"loadavg": machine()["loadavg"]}
    print(f"device store of {report['orders']} orders (filled in {report['fill_s']} s)")
    print("scans:")
    _print(report["scans"])
    print("opening the list:")
    _print(report["list"])
    print(f"machine: {report['machine']}")
    print(f"load average after: {report['machine_after']['loadavg']}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"app-{args.orders}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
