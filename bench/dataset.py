"""A seller's order history for the benchmark, bulk-loaded straight into the orders table.

Orders are built as ``shared.types.Order`` documents and turned into rows with the server's
own ``columns_of`` (so the derived columns are exactly what the server would write), then
inserted in large batches with a core ``INSERT`` rather than one ORM flush per order.
Building an ORM object per row (``new_row``) would double the loading time, so the row
dict is assembled here the same way and checked once against ``new_row``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import Table, insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts import service as accounts
from server.accounts.models import Vendor
from server.db import create_engine, session_factory
from server.demo import CITIES, FIRST_NAMES
from server.orders.models import OrderRow
from server.orders.store import columns_of, new_row
from shared.deadlines import Calendar, ship_by
from shared.types import (
    Address,
    CancelReason,
    Customer,
    HoldReason,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    PaymentStatus,
)

PASSWORD = "bench-password-1"
#: a surname given to only a handful of orders: a search that has to look at every row
RARE_NAME = "Quennell"
RARE_COUNT = 3
#: the surname most customers share: a search that fills a page almost at once
COMMON_NAME = "Smith"
#: rows per INSERT batch (a few MB of parameters; well below driver limits per statement)
BATCH = 2000

# The demo's first names, and more so that a big history has fewer repeats.
_FIRST = [
    *FIRST_NAMES,
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustavo",
    "Hana",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomás",
    "Ulla",
]
# Surnames with a long tail: the first few are common, the rest rarer (Zipf-like weights).
_LAST = [
    "Smith",
    "Johnson",
    "García",
    "Müller",
    "Nguyen",
    "Brown",
    "Patel",
    "Kim",
    "Rossi",
    "O'Brien",
    "Taylor",
    "Lopez",
    "Fischer",
    "Walsh",
    "Diaz",
    "Evans",
    "Clark",
    "Hughes",
    "Ito",
    "Young",
    "Zhang",
    "Vega",
    "Usman",
    "Quist",
    "Adams",
    "Novak",
    "Kowalski",
    "Haddad",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Schmidt",
    "Jensen",
    "Costa",
    "Ferreira",
    "Yilmaz",
    "Tanaka",
    "Sato",
    "Silva",
    "Dubois",
    "Bianchi",
    "Ivanova",
    "Andersen",
    "Murphy",
    "Kelly",
    "Chen",
    "Wang",
    "Singh",
    "Khan",
    "Ali",
]
_LAST_WEIGHTS = [1.0 / (rank + 1) ** 0.9 for rank in range(len(_LAST))]
_PRODUCTS = [
    f"{adj} {noun}"
    for adj in ("Ceramic", "Linen", "Walnut", "Wool", "Brass", "Cotton")
    for noun in ("mug", "tote", "coaster", "socks", "bookmark")
]
_MARKETS = ["craftmart", "shopway", "demo-market"]
_CARRIERS = ["ups", "usps", "fedex"]

# Status by age: a seller ships within days, so old orders are closed and only the last
# week holds open work (plus a few long-running holds and in-transit parcels).
_RECENT = [
    (OrderStatus.NEW, 20),
    (OrderStatus.PROCESSING, 30),
    (OrderStatus.READY_TO_SHIP, 15),
    (OrderStatus.SHIPPED, 25),
    (OrderStatus.ON_HOLD, 5),
    (OrderStatus.CANCELLED, 5),
]
_WEEKS = [
    (OrderStatus.SHIPPED, 35),
    (OrderStatus.DELIVERED, 55),
    (OrderStatus.ON_HOLD, 3),
    (OrderStatus.CANCELLED, 7),
]
_OLD = [(OrderStatus.DELIVERED, 93), (OrderStatus.CANCELLED, 6), (OrderStatus.SHIPPED, 1)]


@dataclass
class Seller:
    """A vendor of the benchmark and the owner who signs in."""

    vendor_id: str
    email: str
    orders: int
    statuses: Counter[str] = field(default_factory=Counter)
    numbers: list[str] = field(default_factory=list)


@dataclass
class Loaded:
    """What was loaded, for choosing queries and for the report."""

    main: Seller
    other: Seller
    seconds: float


def _status_for(age: timedelta, rng: random.Random) -> OrderStatus:
    table = _RECENT if age < timedelta(days=7) else _WEEKS if age < timedelta(days=21) else _OLD
    return rng.choices([s for s, _ in table], [w for _, w in table])[0]


def _customer_name(i: int, rare_at: set[int], rng: random.Random) -> str:
    last = RARE_NAME if i in rare_at else rng.choices(_LAST, _LAST_WEIGHTS)[0]
    return f"{rng.choice(_FIRST)} {last}"


def build_order(
    i: int,
    created: datetime,
    now: datetime,
    name: str,
    calendar: Calendar,
    rng: random.Random,
) -> Order:
    """One order as it would stand after its lifecycle so far (steps stamped, not walked)."""
    status = _status_for(now - created, rng)
    picked = status in (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    city, region, postal = rng.choice(CITIES)
    lines = [
        OrderLine(
            id=f"ln-{i}-{n}",
            sku=f"SKU-{1001 + p}",
            name=_PRODUCTS[p],
            barcode=f"400638{p + 100:06d}0",
            bin_location=f"{'ABCD'[p % 4]}-{p // 4 + 1:02d}-{p % 3 + 1}",
            quantity=rng.choice((1, 1, 1, 2, 3)),
            unit_price_minor=rng.randint(6, 90) * 100 + 99,
        )
        for n, p in enumerate(rng.sample(range(len(_PRODUCTS)), 3))
    ]
    if picked:
        lines = [msgspec.structs.replace(ln, picked=ln.quantity) for ln in lines]
    subtotal = sum(ln.quantity * ln.unit_price_minor for ln in lines)
    shipping = rng.choice((0, 499, 799))
    tax = subtotal * 7 // 100
    unpaid = status is OrderStatus.NEW and rng.random() < 0.3
    paid_at = None if unpaid else created + timedelta(minutes=rng.randint(1, 30))
    step = created + timedelta(hours=1)
    fields: dict[str, Any] = {}
    if status is not OrderStatus.NEW:
        fields.update(
            availability_verified_at=step,
            address_verified_at=step,
            payment_confirmed_at=step,
        )
    if status in (OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP, OrderStatus.ON_HOLD):
        fields["processing_started_at"] = step + timedelta(hours=2)
    if status in (OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        done = step + timedelta(hours=rng.randint(3, 40))
        fields.update(
            processing_started_at=step + timedelta(hours=2),
            inspected_at=done,
            packed_at=done,
            package=Package(package_type="Small box", weight_grams=rng.randint(150, 4000)),
            slip_printed_at=done,
            ready_at=done,
        )
    if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        shipped = fields["ready_at"] + timedelta(hours=rng.randint(1, 20))
        fields.update(
            label_printed_at=shipped,
            label_attached_at=shipped,
            shipped_at=shipped,
            carrier=rng.choice(_CARRIERS),
            service="Ground",
            tracking_number=f"1Z{rng.randint(10**13, 10**14 - 1)}",
        )
    if status is OrderStatus.DELIVERED:
        delivered = fields["shipped_at"] + timedelta(days=rng.randint(1, 6))
        fields.update(delivered_at=delivered, delivery_confirmed_at=delivered)
    if status is OrderStatus.ON_HOLD:
        fields.update(
            held_at=step + timedelta(hours=3),
            held_from=OrderStatus.PROCESSING,
            hold_reason=rng.choice(list(HoldReason)),
        )
    if status is OrderStatus.CANCELLED:
        fields.update(cancelled_at=step, cancel_reason=rng.choice(list(CancelReason)))
    return Order(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        number=f"SF{100001 + i}",
        marketplace=_MARKETS[i % len(_MARKETS)],
        external_id=f"MK-{5_000_000 + i}",
        status=status,
        customer=Customer(name=name, email=f"customer{i}@example.com", phone="+1 555 0100"),
        shipping_address=Address(
            name=name,
            line1=f"{rng.randint(1, 999)} {rng.choice(('Oak', 'Maple', 'Main', 'Cedar'))} St",
            line2=rng.choice(("", "", "", "Apt 4")),
            city=city,
            region=region,
            postal_code=postal,
            country="US",
        ),
        lines=lines,
        currency="USD",
        shipping_minor=shipping,
        tax_minor=tax,
        total_minor=subtotal + shipping + tax,
        payment_status=PaymentStatus.PENDING if unpaid else PaymentStatus.PAID,
        created_at=created,
        paid_at=paid_at,
        ship_by=ship_by(paid_at, calendar) if paid_at else None,
        **fields,
    )


def _rows(
    seller: Seller, count: int, now: datetime, calendar: Calendar, rng: random.Random
) -> Iterator[list[dict[str, Any]]]:
    """Batches of row dicts, oldest order first (numbers and sequence follow creation)."""
    columns = [c.key for c in OrderRow.__table__.columns]
    encode = msgspec.json.Encoder().encode
    span = timedelta(days=730)
    start = now - span
    rare_at = set(rng.sample(range(count), min(RARE_COUNT, count)))
    batch: list[dict[str, Any]] = []
    for i in range(count):
        created = start + span * (i / count) + timedelta(seconds=rng.randint(0, 59))
        order = build_order(i, created, now, _customer_name(i, rare_at, rng), calendar, rng)
        seq = i + 1
        row = {
            "id": order.id,
            "vendor_id": seller.vendor_id,
            "seq": seq,
            "updated_at": now,
            "doc": encode(msgspec.structs.replace(order, version=seq)).decode(),
            **columns_of(order),
        }
        if i == 0:
            orm = new_row(seller.vendor_id, order, seq, now)
            if row != {c: getattr(orm, c) for c in columns}:
                raise RuntimeError("bench rows differ from server.orders.store.new_row")
        batch.append(row)
        seller.statuses[order.status.value] += 1
        if i % max(1, count // 50) == 0 or i in rare_at:
            seller.numbers.append(order.number)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _seller(engine: AsyncEngine, label: str, email: str) -> Seller:
    async with session_factory(engine)() as session:
        vendor = await accounts.create_vendor(session, label, "America/New_York", "US")
        await accounts.create_user(session, vendor.id, email, f"{label} owner", PASSWORD, "owner")
        await session.commit()
        return Seller(vendor.id, email, 0)


async def _fill(engine: AsyncEngine, seller: Seller, count: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    calendar = Calendar("America/New_York", "US")
    table = cast(Table, OrderRow.__table__)
    for batch in _rows(seller, count, now, calendar, rng):
        async with engine.begin() as conn:
            await conn.execute(insert(table), batch)
    async with engine.begin() as conn:
        await conn.execute(
            update(Vendor)
            .where(Vendor.id == seller.vendor_id)
            .values(change_seq=count, order_counter=100000 + count)
        )
    seller.orders = count


async def load(database_url: str, orders: int, other_orders: int, seed: int = 7) -> Loaded:
    """Two sellers: the measured one with ``orders`` orders and another beside it."""
    rng = random.Random(seed)
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        suffix = uuid.uuid4().hex[:6]
        main = await _seller(engine, "Bench Goods", f"owner-{suffix}@bench.example")
        other = await _seller(engine, "Other Goods", f"other-{suffix}@bench.example")
        # The other seller reuses the same order numbers and names: only tenancy tells apart.
        await _fill(engine, other, other_orders, random.Random(seed + 1))
        await _fill(engine, main, orders, rng)
        if engine.dialect.name == "postgresql":
            # What autovacuum would have done by the time a real seller had this history.
            async with engine.connect() as conn:
                ac = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await ac.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return Loaded(main, other, time.perf_counter() - started)
