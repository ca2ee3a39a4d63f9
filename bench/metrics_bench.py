"""Benchmark: seller metrics (7 and 30 days) for a vendor with 100,000 orders.

Run: ``.venv/bin/python -m bench.metrics_bench [--backend sqlite|postgresql|both] [--orders 100000]``
Loads the same history as the orders benchmark (``bench/dataset.py``), adds a carrier event
for most shipped orders, then times ``server.metrics.service.compute`` (the whole work of
``GET /api/metrics``: the queries and the arithmetic).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert, select

from bench.dataset import load
from bench.orders_bench import fresh_database
from server.db import create_engine, session_factory
from server.ids import utcnow
from server.metrics.service import compute
from server.migrate import upgrade_sync
from server.orders.models import OrderRow
from server.tracking.models import TrackingEvent


async def _carrier_events(url: str, vendor_id: str) -> int:
    """A carrier scan for nine in ten shipped orders, as a real history would have."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(OrderRow.id, OrderRow.shipped_at, OrderRow.tracking_number).where(
                        OrderRow.vendor_id == vendor_id, OrderRow.shipped_at.is_not(None)
                    )
                )
            ).all()
            events = [
                {
                    "vendor_id": vendor_id,
                    "order_id": r.id,
                    "carrier": "demo",
                    "event_id": f"ev-{r.id}",
                    "tracking_number": r.tracking_number,
                    "status": "accepted",
                    "occurred_at": r.shipped_at,
                    "location": "",
                    "description": "",
                    "received_at": utcnow(),
                }
                for i, r in enumerate(rows)
                if i % 10
            ]
            table = cast(Table, TrackingEvent.__table__)
            for start in range(0, len(events), 2000):
                await conn.execute(insert(table), events[start : start + 2000])
        return len(events)
    finally:
        await engine.dispose()


async def _time(url: str, vendor_id: str, repeat: int) -> list[float]:
    engine = create_engine(url)
    try:
        factory = session_factory(engine)
        times = []
        for _ in range(repeat + 2):
            async with factory() as session:
                started = time.perf_counter()
                await compute(session, vendor_id, datetime.now(UTC))
                times.append(time.perf_counter() - started)
        return times[2:]  # the first runs warm caches
    finally:
        await engine.dispose()


def run(backend: str, orders: int, repeat: int) -> None:
    """Load, then time the metrics."""
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as url:
        upgrade_sync(url)
        loaded = asyncio.run(load(url, orders, 1000))
        events = asyncio.run(_carrier_events(url, loaded.main.vendor_id))
        times = asyncio.run(_time(url, loaded.main.vendor_id, repeat))
        print(
            f"{backend}: metrics for {orders:,} orders ({events:,} carrier events): "
            f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"over {repeat} runs"
        )


def main() -> None:
    """Parse arguments and run the chosen backends."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.orders, args.repeat)


if __name__ == "__main__":
    main()
