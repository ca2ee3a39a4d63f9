"""The device store and sync client: first sync over real HTTP, and local search at scale.

1. **Initial sync**: a seller's 10,000 orders (3 lines and 1 note each) in a fresh server
   database (``bench.dataset``), the real server in its own process (``bench.serve``),
   then an empty device store synced through the real client (``SyncClient`` +
   ``HttpxTransport``, MessagePack) — timed end to end, from creating the store file to
   the last page filed, and the part of that spent filing pages in the store (the
   client asks for the next page before filing one, so the server works meanwhile).
2. **Search**: a device store holding 100,000 orders, searched by customer name (a rare
   one that makes the search look at every row, a common one that fills a page at once)
   and by order number (whole and partial), plus the filter chip counts.

A benchmark, not a test: nothing fails on a slow number. Prints a table, writes JSON to
``bench/results/``.

    .venv/bin/python -m bench.device_bench
    .venv/bin/python -m bench.device_bench --backend postgresql --orders 10000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import insert, select

from bench.dataset import COMMON_NAME, PASSWORD, RARE_NAME, build_order, load
from bench.measure import Timings, machine
from bench.orders_bench import RESULTS, ROOT, free_port, fresh_database
from mobile.store import PulledPage, Store
from mobile.sync import StoredTokens, SyncClient, Tokens
from mobile.sync.wire import JSON, MSGPACK, decode_pull
from mobile.transport_httpx import HttpxTransport
from server.db import create_engine
from server.migrate import upgrade_sync
from server.orders.models import OrderNote, OrderRow
from shared.deadlines import Calendar
from shared.sync import OrderChange, PullResponse
from shared.types import Note, NoteKind

# ---------------------------------------------------------------------- initial sync


async def _add_notes(database_url: str, vendor_id: str) -> int:
    """One note on every order of the vendor, written straight into the table."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            ids = (
                await conn.execute(select(OrderRow.id).where(OrderRow.vendor_id == vendor_id))
            ).scalars()
            now = datetime.now(UTC)
            rows = [
                {
                    "id": uuid.uuid4().hex,
                    "vendor_id": vendor_id,
                    "order_id": order_id,
                    "kind": NoteKind.PACKAGING_INSTRUCTION.value,
                    "text": "Fragile: wrap the mug twice and pack it upright.",
                    "author_id": "",
                    "author_name": "Sid Staff",
                    "created_at": now,
                    "due_at": None,
                }
                for order_id in ids
            ]
            for start in range(0, len(rows), 2000):
                await conn.execute(insert(OrderNote), rows[start : start + 2000])
            return len(rows)
    finally:
        await engine.dispose()


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("device.db*"))


class _TimedStore(Store):
    """The device store, adding up the time spent filing pulled pages."""

    filing = 0.0

    def apply_pull_page(self, page: PulledPage) -> int:
        """File a page, timed."""
        started = time.perf_counter()
        try:
            return super().apply_pull_page(page)
        finally:
            self.filing += time.perf_counter() - started


async def _one_initial_sync(url: str, session: dict[str, Any], media_type: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="device-bench-") as tmp:
        path = Path(tmp) / "device.db"
        transport = HttpxTransport(url, media_type=media_type)
        started = time.perf_counter()
        store = _TimedStore(path)
        StoredTokens(store, transport).save(msgspec.convert(session, Tokens))
        client = SyncClient(store, transport)
        report = await client.sync()
        seconds = time.perf_counter() - started
        orders = store.order_count()
        notes = store.conn.execute(
            "SELECT count(*) FROM orders WHERE length(notes) > 1"
        ).fetchone()[0]
        await transport.aclose()
        store.close()
        size = _size(Path(tmp))
    return {
        "seconds": round(seconds, 3),
        # The client asks for the next page before filing one, so the two overlap: what
        # is not filing is waiting for the server (and decoding what it sent).
        "filing_in_store_s": round(store.filing, 3),
        "not_filing_s": round(seconds - store.filing, 3),
        "orders": orders,
        "orders_with_notes": notes,
        "pages": report.pages,
        "store_mib": round(size / 2**20, 1),
    }


def _serve(database_url: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", database_url, str(port), str(data_dir)],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)


def initial_sync(backend: str, orders: int, runs: int) -> dict[str, Any]:
    """Load ``orders`` orders with a note each, serve them, time empty-store syncs."""
    with (
        tempfile.TemporaryDirectory(prefix="device-bench-server-") as tmp,
        fresh_database(backend, Path(tmp)) as database_url,
    ):
        upgrade_sync(database_url)
        loaded = asyncio.run(load(database_url, orders, 0))
        notes = asyncio.run(_add_notes(database_url, loaded.main.vendor_id))
        port = free_port()
        server = _serve(database_url, port, Path(tmp) / "data")
        try:
            url = f"http://127.0.0.1:{port}"
            r = httpx.post(
                f"{url}/api/auth/login",
                json={"email": loaded.main.email, "password": PASSWORD},
                timeout=30,
            )
            r.raise_for_status()
            session = r.json()
            asyncio.run(_one_initial_sync(url, session, MSGPACK))  # warm-up (imports, caches)
            samples = [asyncio.run(_one_initial_sync(url, session, MSGPACK)) for _ in range(runs)]
            as_json = asyncio.run(_one_initial_sync(url, session, JSON))
        finally:
            server.terminate()
            server.wait(30)
    times = sorted(s["seconds"] for s in samples)
    return {
        "backend": backend,
        "orders": orders,
        "notes": notes,
        "runs": samples,
        "median_s": round(statistics.median(times), 3),
        "best_s": times[0],
        "json_run": as_json,
    }


# ---------------------------------------------------------------------- search


def _filled_store(path: Path, count: int, seed: int = 7) -> tuple[Store, list[str]]:
    """A device store with ``count`` orders filed as pull pages (like a long-used device)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    calendar = Calendar("America/New_York", "US")
    firsts = ["Ava", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Isla"]
    lasts = [COMMON_NAME] * 8 + ["Johnson", "García", "Müller", "Nguyen", "Patel", "Kim"]
    rare_at = set(rng.sample(range(count), 3))
    store = Store(path)
    numbers: list[str] = []
    changes: list[OrderChange] = []
    for i in range(count):
        created = now - timedelta(days=730) * (1 - i / count)
        last = RARE_NAME if i in rare_at else rng.choice([*lasts, f"Family{i % 5000}"])
        order = build_order(i, created, now, f"{rng.choice(firsts)} {last}", calendar, rng)
        note = Note(
            id=uuid.uuid4().hex,
            kind=NoteKind.TEAM_MESSAGE,
            text="Call before delivery.",
            created_at=created,
        )
        changes.append(
            OrderChange(order=msgspec.structs.replace(order, version=i + 1), notes=[note])
        )
        if i % 997 == 0:
            numbers.append(order.number)
        if len(changes) == 1000 or i == count - 1:
            page = PullResponse(changes=changes, cursor=str(i), has_more=False, server_time=now)
            store.apply_pull_page(decode_pull(msgspec.msgpack.encode(page), MSGPACK))
            changes = []
    return store, numbers


def search(count: int, samples: int) -> dict[str, Any]:
    """Time the list/search reads of a store holding ``count`` orders."""
    with tempfile.TemporaryDirectory(prefix="device-bench-search-") as tmp:
        started = time.perf_counter()
        store, numbers = _filled_store(Path(tmp) / "device.db", count)
        filled = time.perf_counter() - started
        rng = random.Random(3)
        number = rng.choice(numbers)
        queries: list[tuple[str, Callable[[], int]]] = [
            ("name, rare (3 orders)", lambda: len(store.list_orders(q=RARE_NAME.lower()).items)),
            ("name, common (page fills)", lambda: len(store.list_orders(q=COMMON_NAME).items)),
            ("name, none match", lambda: len(store.list_orders(q="Zzyzx").items)),
            ("order number, whole", lambda: len(store.list_orders(q=number).items)),
            ("order number, partial", lambda: len(store.list_orders(q=number[-4:]).items)),
            ("scanned slip number", lambda: int(store.find_by_number(number) is not None)),
            ("first page, no search", lambda: len(store.list_orders().items)),
            ("open work first page", lambda: len(store.list_orders(open_only=True).items)),
            ("chip counts", lambda: store.counts().total),
            ("chip counts under a search", lambda: store.counts(RARE_NAME).total),
        ]
        results = []
        for name, call in queries:
            timings = Timings(name)
            for _ in range(samples):
                timings.time(call)
            results.append(timings.summary())
        size = sum(p.stat().st_size for p in Path(tmp).glob("device.db*"))
        store.close()
    return {
        "orders": count,
        "fill_s": round(filled, 1),
        "store_mib": round(size / 2**20),
        "queries": results,
    }


# ---------------------------------------------------------------------- report


def main() -> None:
    """Run both parts and print them."""
    parser = argparse.ArgumentParser(prog="python -m bench.device_bench")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--search-orders", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()

    report: dict[str, Any] = {"machine": machine(), "at": datetime.now(UTC).isoformat()}
    report["initial_sync"] = sync = initial_sync(args.backend, args.orders, args.runs)
    print(
        f"initial sync of {sync['orders']} orders ({args.backend} server, MessagePack): "
        f"median {sync['median_s']} s, best {sync['best_s']} s"
    )
    for run in sync["runs"]:
        print(f"  {run}")
    print(f"  JSON instead: {sync['json_run']}")
    if not args.skip_search:
        report["search"] = found = search(args.search_orders, args.samples)
        print(
            f"search in a store of {found['orders']} orders "
            f"({found['store_mib']} MiB, filled in {found['fill_s']} s):"
        )
        for q in found["queries"]:
            print(
                f"  {q['name']:<28} p50 {q['p50_ms']:>6} ms  p95 {q['p95_ms']:>6} ms  rows {q['rows']}"
            )
    print(f"machine: {report['machine']}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"device-{args.backend}-{args.orders}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
