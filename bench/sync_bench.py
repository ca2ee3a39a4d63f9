"""Sync on the server: a pull with one change among 100,000 orders, and push throughput.

1. **Pull**: a seller with 100,000 orders (``bench.dataset``); a device first syncs them
   all (timed: pages of 1,000), then, many times over, one order changes (a note through
   the REST API) and the caught-up device pulls. Measured: the server's own time for the
   pull (the ``Server-Timing`` header: the handler, from reading the request to the
   encoded answer) and the round trip over HTTP.
2. **Push**: orders ready to process, each walked through the whole floor — start, three
   scans, inspect, pack, slip, label printed, label attached, shipped: 10 mutations per
   order, 10,000 in all, pushed in batches of 100 over real HTTP by one device, one batch
   after another (as the sync client does). Measured: mutations per second, end to end
   (encode, HTTP, apply, commit, answer). JSON and MessagePack.

The server runs in its own process (``bench.serve``), so the client's work is not counted
against it. A benchmark, not a test: prints a table, writes JSON to ``bench/results/``.

    .venv/bin/python -m bench.sync_bench
    .venv/bin/python -m bench.sync_bench --backend postgresql --orders 100000 --samples 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import msgspec
from sqlalchemy import Table, insert, update

from bench.dataset import PASSWORD, load
from bench.measure import machine
from server.accounts import service as accounts
from server.accounts.models import Vendor
from server.db import create_engine, session_factory
from server.inventory.models import InventoryRow
from server.migrate import upgrade_sync
from server.orders.models import OrderRow
from server.orders.store import columns_of
from shared.sync import PushResponse
from shared.types import Address, Customer, Order, OrderLine, PaymentStatus
from tests.support import free_port, fresh_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MSGPACK = "application/msgpack"
JSON = "application/json"
SKUS = ("MUG-1", "TOTE-2", "SOCK-3")


def _serve(database_url: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", database_url, str(port), str(data_dir)], cwd=ROOT
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


def _client(url: str, email: str) -> httpx.Client:
    r = httpx.post(f"{url}/api/auth/login", json={"email": email, "password": PASSWORD})
    r.raise_for_status()
    token = r.json()["access_token"]
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _server_ms(response: httpx.Response) -> float:
    """The handler's own time, from ``Server-Timing: app;dur=<ms>``."""
    return float(response.headers["server-timing"].split("dur=")[1])


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1] if len(ordered) > 1 else 0
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


# ---------------------------------------------------------------------- pull


def pull(backend: str, orders: int, samples: int) -> dict[str, Any]:
    """First sync of ``orders`` orders, then pulls of one change each, timed."""
    with (
        tempfile.TemporaryDirectory(prefix="sync-bench-pull-") as tmp,
        fresh_database(backend, Path(tmp)) as database_url,
    ):
        upgrade_sync(database_url)
        loaded = asyncio.run(load(database_url, orders, 0))
        port = free_port()
        server = _serve(database_url, port, Path(tmp) / "data")
        try:
            with _client(f"http://127.0.0.1:{port}", loaded.main.email) as client:
                first = _first_sync(client)
                one = _one_change_pulls(client, first.pop("cursor"), first.pop("ids"), samples)
        finally:
            server.terminate()
            server.wait(30)
    return {"backend": backend, "orders": orders, "first_sync": first, "one_change": one}


def _first_sync(client: httpx.Client) -> dict[str, Any]:
    cursor, pages, server_ms = "", 0, 0.0
    ids: list[str] = []
    started = time.perf_counter()
    while True:
        r = client.get(
            "/api/sync/pull", params={"cursor": cursor, "limit": 1000}, headers={"Accept": MSGPACK}
        )
        r.raise_for_status()
        page = msgspec.msgpack.decode(r.content)
        ids.extend(ch["order"]["id"] for ch in page["changes"])
        server_ms += _server_ms(r)
        pages += 1
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return {
        "orders": len(ids),
        "pages": pages,
        "seconds": round(time.perf_counter() - started, 3),
        "server_seconds": round(server_ms / 1000, 3),
        "cursor": cursor,
        "ids": ids,
    }


def _one_change_pulls(
    client: httpx.Client, cursor: str, ids: list[str], samples: int
) -> dict[str, Any]:
    server, wall, empty = [], [], []
    for i in range(samples + 5):  # the first few warm caches up
        order_id = ids[(i * 7919) % len(ids)]
        r = client.post(
            f"/api/orders/{order_id}/notes", json={"kind": "team_message", "text": f"bench {i}"}
        )
        r.raise_for_status()
        started = time.perf_counter()
        r = client.get("/api/sync/pull", params={"cursor": cursor})
        elapsed = (time.perf_counter() - started) * 1000
        r.raise_for_status()
        page = r.json()
        if [ch["order"]["id"] for ch in page["changes"]] != [order_id] or page["has_more"]:
            raise RuntimeError("the pull did not return exactly the one change")
        cursor = page["cursor"]
        quiet = client.get("/api/sync/pull", params={"cursor": cursor})
        if i >= 5:
            server.append(_server_ms(r))
            wall.append(elapsed)
            empty.append(_server_ms(quiet))
    return {
        "samples": samples,
        "server": _stats(server),
        "round_trip": _stats(wall),
        "nothing_new_server": _stats(empty),
    }


# ---------------------------------------------------------------------- push


async def _ready_orders(database_url: str, count: int) -> tuple[str, str, list[Order]]:
    """A seller with ``count`` paid, reviewed, in-stock New orders of three lines each."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as session:
            suffix = uuid.uuid4().hex[:6]
            vendor = await accounts.create_vendor(session, "Push Bench", "America/New_York", "US")
            email = f"push-{suffix}@bench.example"
            await accounts.create_user(session, vendor.id, email, "Picker", PASSWORD, "owner")
            for sku in SKUS:
                session.add(
                    InventoryRow(
                        vendor_id=vendor.id,
                        sku=sku,
                        name=sku,
                        barcode="",
                        on_hand=10 * count,
                        reserved=2 * count,
                        updated_at=now,
                    )
                )
            await session.commit()
        orders = [_new_order(i, now) for i in range(count)]
        table = cast(Table, OrderRow.__table__)
        rows = [
            {
                "id": o.id,
                "vendor_id": vendor.id,
                "seq": i + 1,
                "updated_at": now,
                "doc": msgspec.json.encode(msgspec.structs.replace(o, version=i + 1)).decode(),
                **columns_of(o),
            }
            for i, o in enumerate(orders)
        ]
        async with engine.begin() as conn:
            await conn.execute(insert(table), rows)
            await conn.execute(
                update(Vendor).where(Vendor.id == vendor.id).values(change_seq=count)
            )
        return vendor.id, email, orders
    finally:
        await engine.dispose()


def _new_order(i: int, now: datetime) -> Order:
    order_id = str(uuid.uuid4())
    lines = [
        OrderLine(id=f"{order_id[:8]}-{n}", sku=sku, name=sku, quantity=1 + n % 2)
        for n, sku in enumerate(SKUS)
    ]
    return Order(
        id=order_id,
        number=f"PB{100000 + i}",
        marketplace="bench-market",
        external_id=f"PB-EXT-{i}",
        customer=Customer(name=f"Customer {i}"),
        shipping_address=Address(
            name="C", line1="12 Elm St", city="Springfield", postal_code="62701", country="US"
        ),
        lines=lines,
        payment_status=PaymentStatus.PAID,
        created_at=now - timedelta(hours=5),
        paid_at=now - timedelta(hours=5),
        ship_by=now + timedelta(days=1),
        availability_verified_at=now,
        address_verified_at=now,
        payment_confirmed_at=now,
    )


def _walk(order: Order, i: int) -> list[dict[str, Any]]:
    """The ten mutations that take an order from New to Shipped."""
    commands: list[dict[str, Any]] = [{"action": "start_processing"}]
    commands += [
        {"action": "pick", "line_id": ln.id, "quantity": ln.quantity} for ln in order.lines
    ]
    commands += [
        {"action": "inspect"},
        {"action": "pack", "package_type": "box", "weight_grams": 800},
        {"action": "print_slip"},
        {"action": "print_label"},
        {"action": "attach_label"},
        {"action": "ship", "carrier": "demo", "tracking_number": f"SFD{i:010d}"},
    ]
    now = datetime.now(UTC).isoformat()
    return [
        {
            "mutation_id": uuid.uuid4().hex,
            "device_id": "bench-phone",
            "order_id": order.id,
            "command": command,
            "client_time": now,
        }
        for command in commands
    ]


def _push_run(
    client: httpx.Client, orders: list[Order], media: str, batch: int, server_pid: int
) -> dict[str, Any]:
    mutations = [m for i, o in enumerate(orders) for m in _walk(o, i)]
    bodies = []
    for start in range(0, len(mutations), batch):
        body = {"device_id": "bench-phone", "mutations": mutations[start : start + batch]}
        bodies.append(
            msgspec.msgpack.encode(body) if media == MSGPACK else msgspec.json.encode(body)
        )
    headers = {"Content-Type": media, "Accept": media}
    server_ms = 0.0
    statuses: dict[str, int] = {}
    cpu = _cpu_seconds(server_pid)
    started = time.perf_counter()
    for content in bodies:
        r = client.post("/api/sync/push", content=content, headers=headers)
        r.raise_for_status()
        server_ms += _server_ms(r)
        decode = msgspec.msgpack.decode if media == MSGPACK else msgspec.json.decode
        for result in decode(r.content, type=PushResponse).results:
            statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds(server_pid) - cpu
    if statuses != {"applied": len(mutations)}:
        raise RuntimeError(f"not every mutation was applied: {statuses}")
    return {
        "format": "msgpack" if media == MSGPACK else "json",
        "mutations": len(mutations),
        "batches": len(bodies),
        "seconds": round(seconds, 3),
        "per_second": round(len(mutations) / seconds),
        "server_per_second": round(len(mutations) / (server_ms / 1000)),
        # On a machine shared with other work, wall time mostly measures the queue for the
        # CPU; mutations per CPU-second of the server process is what one idle core gives.
        "server_cpu_seconds": round(cpu, 3),
        "per_server_cpu_second": round(len(mutations) / cpu) if cpu else None,
    }


def push(backend: str, mutations: int, batch: int, runs: int) -> dict[str, Any]:
    """Push throughput: fresh orders for every run, JSON and MessagePack alternating."""
    per_run = mutations // 10
    formats = [JSON, MSGPACK] * runs
    with (
        tempfile.TemporaryDirectory(prefix="sync-bench-push-") as tmp,
        fresh_database(backend, Path(tmp)) as database_url,
    ):
        upgrade_sync(database_url)
        _, email, orders = asyncio.run(_ready_orders(database_url, per_run * (len(formats) + 1)))
        port = free_port()
        server = _serve(database_url, port, Path(tmp) / "data")
        try:
            with _client(f"http://127.0.0.1:{port}", email) as client:
                _push_run(client, orders[:per_run], JSON, batch, server.pid)  # warm-up
                results = [
                    _push_run(
                        client,
                        orders[(k + 1) * per_run : (k + 2) * per_run],
                        media,
                        batch,
                        server.pid,
                    )
                    for k, media in enumerate(formats)
                ]
        finally:
            server.terminate()
            server.wait(30)
    best = {
        fmt: max(r["per_second"] for r in results if r["format"] == fmt)
        for fmt in ("json", "msgpack")
    }
    median = {
        fmt: statistics.median(r["per_second"] for r in results if r["format"] == fmt)
        for fmt in ("json", "msgpack")
    }
    per_cpu = {
        fmt: statistics.median(r["per_server_cpu_second"] for r in results if r["format"] == fmt)
        for fmt in ("json", "msgpack")
    }
    return {
        "backend": backend,
        "batch": batch,
        "runs": results,
        "best": best,
        "median": median,
        "per_server_cpu_second": per_cpu,
    }


def main() -> None:
    """Run both measurements and report."""
    parser = argparse.ArgumentParser(prog="python -m bench.sync_bench")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pull", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine(), "at": datetime.now(UTC).isoformat()}
    report["push"] = push(args.backend, args.mutations, args.batch, args.runs)
    p = report["push"]
    print(
        f"push {args.mutations} mutations in batches of {args.batch} ({args.backend}): "
        f"median {p['median']['json']:.0f}/s JSON, {p['median']['msgpack']:.0f}/s MessagePack "
        f"(best {p['best']['json']}, {p['best']['msgpack']}); per server CPU-second "
        f"{p['per_server_cpu_second']['json']:.0f} JSON, "
        f"{p['per_server_cpu_second']['msgpack']:.0f} MessagePack"
    )
    if not args.skip_pull:
        report["pull"] = pull(args.backend, args.orders, args.samples)
        first, one = report["pull"]["first_sync"], report["pull"]["one_change"]
        print(
            f"first sync of {first['orders']} orders ({first['pages']} pages of 1,000, "
            f"MessagePack): {first['seconds']} s, server {first['server_seconds']} s"
        )
        print(
            f"pull with one change among {args.orders} orders: server p50 "
            f"{one['server']['p50_ms']} ms, p95 {one['server']['p95_ms']} ms; round trip p50 "
            f"{one['round_trip']['p50_ms']} ms; nothing new: server p50 "
            f"{one['nothing_new_server']['p50_ms']} ms"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"sync-{args.backend}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
