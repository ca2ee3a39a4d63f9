"""Benchmark: a bulk PDF of 200 packing slips (and 200 labels), rendered as the server does.

Run: ``.venv/bin/python -m bench.documents_bench [--orders 200] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from server.documents import render
from shared.types import Address, Customer, Note, NoteKind, Order, OrderLine, Package


def _orders(count: int) -> list[render.SlipInput]:
    now = datetime.now(UTC)
    slips = []
    for i in range(count):
        order = Order(
            id=f"bench-{i}",
            number=f"SF{20000 + i}",
            marketplace="etsy",
            external_id=f"E-{i}",
            customer=Customer(name=f"Customer {i}"),
            shipping_address=Address(
                name=f"Customer {i}",
                line1=f"{i} Elm St",
                city="Springfield",
                region="IL",
                postal_code="62701",
                country="US",
            ),
            lines=[
                OrderLine(
                    id=f"{i}-{n}",
                    sku=f"SKU-{n}",
                    name=f"Item {n}",
                    quantity=1 + n,
                    bin_location=f"A-0{n}",
                )
                for n in range(3)
            ],
            created_at=now,
            ship_by=now,
            carrier="demo",
            service="Ground",
            tracking_number=f"SFD{i:010d}",
            package=Package(package_type="Small box", weight_grams=900),
        )
        note = Note(
            id=f"n{i}",
            kind=NoteKind.PACKAGING_INSTRUCTION,
            text="Fragile: wrap twice",
            created_at=now,
        )
        slips.append(render.SlipInput(order, [note]))
    return slips


def main() -> None:
    """Render and print timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    slips = _orders(args.orders)
    sender = render.Sender(name="Demo Goods Co.", address=Address(), timezone="America/New_York")
    jobs: list[tuple[str, Callable[[], bytes]]] = [
        ("packing slips", lambda: render.packing_slips(slips, sender)),
        ("4x6 labels", lambda: render.labels([s.order for s in slips], sender)),
    ]
    for name, work in jobs:
        times = []
        size = 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            size = len(work())
            times.append(time.perf_counter() - start)
        print(
            f"{args.orders} {name}: median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s, {size / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
