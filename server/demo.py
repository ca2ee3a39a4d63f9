"""The demo vendor that ``make run`` starts with: orders in every status, stock with barcodes.

Orders are walked through the real lifecycle rules (``shared.lifecycle.apply``) so every
step has its timestamp and timeline entry, as if staff had worked them.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service as accounts
from server.accounts.models import User, Vendor
from server.ids import utcnow
from server.inventory.models import InventoryRow
from server.orders.store import Origin, new_row, timeline_rows
from shared import commands as c
from shared.deadlines import Calendar, ship_by
from shared.lifecycle import Event, apply
from shared.types import (
    Address,
    CancelReason,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)

DEMO_EMAIL = "demo@shipfloor.local"
DEMO_PASSWORD = "shipfloor-demo"
PICKER_EMAIL = "picker@shipfloor.local"
PICKER_PASSWORD = "shipfloor-picker"

#: customers' first names (also used by the benchmarks)
FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kara",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Adams",
    "Brown",
    "Clark",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Johnson",
    "Kim",
    "Lopez",
    "Müller",
    "Nguyen",
    "O'Brien",
    "Patel",
    "Quist",
    "Rossi",
    "Smith",
    "Taylor",
    "Usman",
    "Vega",
    "Walsh",
    "Young",
    "Zhang",
]
#: cities with postal codes that pass the address check (also used by the benchmarks)
CITIES = [
    ("Springfield", "IL", "62701"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "73301"),
    ("Boston", "MA", "02108"),
    ("Denver", "CO", "80202"),
    ("Madison", "WI", "53703"),
    ("Raleigh", "NC", "27601"),
    ("Tucson", "AZ", "85701"),
]
_PRODUCTS = [
    "Ceramic mug",
    "Linen tote",
    "Beeswax candle",
    "Walnut coaster",
    "Wool socks",
    "Enamel pin",
    "Notebook A5",
    "Brass bookmark",
    "Cotton apron",
    "Glass vase",
    "Soy candle",
    "Leather keyring",
    "Tea sampler",
    "Cork board",
    "Silk scarf",
    "Bamboo brush",
    "Canvas pouch",
    "Oak tray",
    "Linen napkins",
    "Clay planter",
    "Art print A4",
    "Hand soap",
    "Wooden spoon",
    "Felt slippers",
    "Beanie hat",
    "Copper bottle",
    "Jute rug",
    "Incense set",
    "Stoneware bowl",
    "Puzzle 500",
]


def ean13(body12: str) -> str:
    """An EAN-13 with its check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def demo_inventory(rng: random.Random) -> list[InventoryRow]:
    """Thirty SKUs with EAN-13 barcodes and bin locations."""
    now = utcnow()
    rows = []
    for i, name in enumerate(_PRODUCTS):
        rows.append(
            InventoryRow(
                sku=f"SKU-{1001 + i}",
                name=name,
                barcode=ean13(f"400638{i + 100:06d}"),
                on_hand=rng.randint(40, 240),
                reserved=0,
                bin_location=f"{'ABCD'[i % 4]}-{(i // 4) + 1:02d}-{(i % 3) + 1}",
                low_stock_threshold=10,
                updated_at=now,
            )
        )
    # One SKU nearly gone, so the out-of-stock flow shows up in the demo.
    rows[-1].on_hand = 1
    return rows


# How many demo orders end in each status (out of 200; scaled for other counts).
_MIX = [
    (OrderStatus.NEW, 40),
    (OrderStatus.PROCESSING, 35),
    (OrderStatus.READY_TO_SHIP, 25),
    (OrderStatus.SHIPPED, 40),
    (OrderStatus.DELIVERED, 40),
    (OrderStatus.ON_HOLD, 10),
    (OrderStatus.CANCELLED, 10),
]


def _walk(
    order: Order, target: OrderStatus, start: datetime, rng: random.Random
) -> tuple[Order, list[tuple[datetime, Event]]]:
    """Apply lifecycle commands until the order reaches ``target``."""
    at = start
    timeline: list[tuple[datetime, Event]] = []

    def step(command: c.Command) -> None:
        nonlocal order, at
        at += timedelta(minutes=rng.randint(3, 240))
        outcome = apply(order, command, at)
        order = outcome.order
        timeline.extend((at, e) for e in outcome.events)

    if target is OrderStatus.ON_HOLD:
        step(c.StartProcessing())
        step(c.MarkShort(line_id=order.lines[0].id, missing=1))
        return order, timeline
    if target is OrderStatus.CANCELLED:
        step(c.Cancel(reason=rng.choice(list(CancelReason))))
        return order, timeline
    if target is OrderStatus.NEW:
        return order, timeline
    step(c.StartProcessing())
    picking_all = target is not OrderStatus.PROCESSING or rng.random() < 0.3
    for line in order.lines:
        count = line.quantity if picking_all else rng.randint(0, line.quantity - 1)
        for _ in range(count):
            step(c.Pick(code=line.barcode))
    if target is OrderStatus.PROCESSING:
        return order, timeline
    step(c.Inspect())
    step(
        c.Pack(
            package_type=rng.choice(["Small box", "Padded mailer", "Medium box"]),
            weight_grams=rng.randint(150, 4000),
        )
    )
    step(c.PrintSlip())
    if target is OrderStatus.READY_TO_SHIP:
        return order, timeline
    tracking = f"SFD{rng.randint(10**9, 10**10 - 1)}"
    step(c.PrintLabel(carrier="demo", service="Ground", tracking_number=tracking))
    step(c.AttachLabel())
    step(c.Ship(carrier="demo", tracking_number=tracking, service="Ground"))
    if target is OrderStatus.DELIVERED:
        step(c.Deliver())
        if rng.random() < 0.7:
            step(c.ConfirmDelivery())
    return order, timeline


async def seed_demo(session: AsyncSession, orders: int = 200, seed: int = 7) -> str:
    """Create the demo vendor once; return the sign-in text to print."""
    login = (
        f"Demo sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD} (owner), "
        f"{PICKER_EMAIL} / {PICKER_PASSWORD} (staff)"
    )
    existing = (
        await session.execute(select(User).where(User.email == DEMO_EMAIL))
    ).scalar_one_or_none()
    if existing is not None:
        return login
    rng = random.Random(seed)
    vendor = await accounts.create_vendor(session, "Demo Goods Co.", "America/New_York", "US")
    owner = await accounts.create_user(
        session, vendor.id, DEMO_EMAIL, "Dana Demo", DEMO_PASSWORD, "owner"
    )
    await accounts.create_user(
        session, vendor.id, PICKER_EMAIL, "Pat Picker", PICKER_PASSWORD, "staff"
    )
    stock = demo_inventory(rng)
    for row in stock:
        row.vendor_id = vendor.id
    session.add_all(stock)
    calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
    origin = Origin(source="app", actor_id=owner.id, actor_name=owner.name, device_id="demo-seed")
    reserved: dict[str, int] = defaultdict(int)
    shipped: dict[str, int] = defaultdict(int)
    now = utcnow()
    targets = [s for s, n in _MIX for _ in range(max(1, n * orders // 200))][:orders]
    rng.shuffle(targets)
    for i, target in enumerate(targets):
        order, created = _demo_order(vendor, i, target, now, stock, calendar, rng)
        order, timeline = _walk(order, target, created + timedelta(minutes=5), rng)
        vendor.change_seq += 1
        session.add(new_row(vendor.id, order, vendor.change_seq, now))
        await session.flush()
        first = [(created, Event("received", {"marketplace": "demo-market"}))]
        for at, event in first + timeline:
            session.add_all(
                timeline_rows(
                    vendor.id,
                    order.id,
                    [event],
                    origin if at != created else Origin("intake", actor_name="demo-market"),
                    at,
                )
            )
        for line in order.lines:
            if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
                shipped[line.sku] += line.quantity
            elif order.status is not OrderStatus.CANCELLED and order.availability_verified_at:
                reserved[line.sku] += line.quantity
    for row in stock:
        row.reserved = reserved[row.sku]
        row.on_hand = max(row.on_hand, row.reserved)
    key = await accounts.create_api_key(session, vendor.id, "Demo marketplace", "demo-market")
    await session.commit()
    return f"{login}\nDemo intake key: {key.id} (secret {key.secret})"


def _demo_order(
    vendor: Vendor,
    i: int,
    target: OrderStatus,
    now: datetime,
    stock: list[InventoryRow],
    calendar: Calendar,
    rng: random.Random,
) -> tuple[Order, datetime]:
    open_work = target in (
        OrderStatus.NEW,
        OrderStatus.PROCESSING,
        OrderStatus.READY_TO_SHIP,
        OrderStatus.ON_HOLD,
    )
    age_hours = rng.uniform(1, 80) if open_work else rng.uniform(80, 24 * 30)
    created = now - timedelta(hours=age_hours)
    first, last = rng.choice(FIRST_NAMES), rng.choice(_LAST)
    city, region, postal = rng.choice(CITIES)
    items = rng.sample(stock[:-1], k=rng.choice([1, 1, 2, 3]))
    if target is OrderStatus.ON_HOLD:
        items = [stock[-1], *items[:1]]
    lines = [
        OrderLine(
            id=f"{vendor.id[:8]}-{i}-{n}",
            sku=item.sku,
            name=item.name,
            barcode=item.barcode,
            bin_location=item.bin_location,
            quantity=rng.choice([1, 1, 1, 2, 3]),
            unit_price_minor=rng.randint(6, 90) * 100 + 99,
        )
        for n, item in enumerate(items)
    ]
    shipping = rng.choice([0, 499, 799])
    subtotal = sum(ln.quantity * ln.unit_price_minor for ln in lines)
    tax = subtotal * 7 // 100
    paid = target is not OrderStatus.NEW or rng.random() < 0.85
    paid_at = created + timedelta(minutes=2) if paid else None
    order = Order(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        number=f"SF{10001 + i}",
        marketplace="demo-market",
        external_id=f"DM-{900000 + i}",
        customer=Customer(
            name=f"{first} {last}", email=f"{first.lower()}.{i}@example.com", phone="+1 555 0100"
        ),
        shipping_address=Address(
            name=f"{first} {last}",
            line1=f"{rng.randint(1, 999)} {rng.choice(['Oak', 'Maple', 'Main', 'Cedar'])} St",
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
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.PENDING,
        created_at=created,
        paid_at=paid_at,
        ship_by=ship_by(paid_at, calendar) if paid_at else None,
        availability_verified_at=created + timedelta(minutes=3),
        address_verified_at=created + timedelta(minutes=3),
        payment_confirmed_at=created + timedelta(minutes=3) if paid else None,
    )
    return order, created
