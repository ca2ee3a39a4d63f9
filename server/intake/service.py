"""Intake: verify the marketplace's signature, then create the order exactly once."""

from __future__ import annotations

import msgspec
from litestar.exceptions import NotAuthorizedException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import signing
from server.accounts.models import ApiKey, Vendor
from server.db import begin_write
from server.errors import Conflict
from server.ids import new_id, utcnow
from server.intake.schemas import IntakeOrder, IntakeResult
from server.inventory import service as inventory
from server.notifications import service as notifications
from server.orders.models import OrderRow
from server.orders.store import Origin, decode_order, new_row, next_seq, store, timeline_rows
from server.outofstock import service as outofstock
from shared.addresses import address_problems
from shared.deadlines import Calendar, ship_by
from shared.lifecycle import Event
from shared.types import HoldReason, Order, OrderLine, OrderStatus, PaymentStatus

SIGNATURE_PREFIX = "sha256="


async def authenticate(
    session: AsyncSession,
    key_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    skew_seconds: int,
) -> ApiKey:
    """The API key that signed this body, or 401 saying what is wrong."""
    if not key_id:
        raise NotAuthorizedException("missing X-Shipfloor-Key header (your intake API key id)")
    timestamp, signature = signing.check_headers(timestamp, signature)
    key = await session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise NotAuthorizedException("unknown or revoked API key")
    signing.verify(key.secret, timestamp, signature, body, skew_seconds)
    return key


def _build(vendor: Vendor, key: ApiKey, data: IntakeOrder, number: str) -> Order:
    now = utcnow()
    lines = [
        OrderLine(
            id=new_id(),
            sku=ln.sku,
            name=ln.name or ln.sku,
            barcode=ln.barcode,
            quantity=ln.quantity,
            unit_price_minor=ln.unit_price_minor,
        )
        for ln in data.lines
    ]
    subtotal = sum(ln.quantity * ln.unit_price_minor for ln in lines)
    return Order(
        id=new_id(),
        number=number,
        marketplace=key.marketplace,
        external_id=data.external_id,
        customer=data.customer,
        shipping_address=data.shipping_address,
        lines=lines,
        currency=data.currency,
        shipping_minor=data.shipping_minor,
        tax_minor=data.tax_minor,
        total_minor=subtotal + data.shipping_minor + data.tax_minor,
        payment_status=data.payment_status,
        created_at=data.placed_at or now,
    )


async def _existing(
    session: AsyncSession, vendor_id: str, marketplace: str, external_id: str
) -> OrderRow | None:
    return (
        await session.execute(
            select(OrderRow).where(
                OrderRow.vendor_id == vendor_id,
                OrderRow.marketplace == marketplace,
                OrderRow.external_id == external_id,
            )
        )
    ).scalar_one_or_none()


async def _with_bin_locations(session: AsyncSession, vendor_id: str, order: Order) -> Order:
    """Copy barcodes and bin locations from inventory so pickers can find and scan items."""
    items = {
        i.sku: i
        for i in await inventory.list_for(session, vendor_id, [ln.sku for ln in order.lines])
    }
    lines = []
    for ln in order.lines:
        item = items.get(ln.sku)
        if item is not None:
            ln = msgspec.structs.replace(
                ln,
                barcode=ln.barcode or item.barcode,
                bin_location=item.bin_location,
                name=ln.name if ln.name != ln.sku else (item.name or ln.sku),
            )
        lines.append(ln)
    return msgspec.structs.replace(order, lines=lines)


async def receive(
    session: AsyncSession, key: ApiKey, data: IntakeOrder
) -> tuple[IntakeResult, bool]:
    """Create the order (or return the one already received) and run the New-stage checks."""
    # Plain values: a rollback expires `key`, and reloading it lazily is I/O outside await.
    vendor_id, marketplace = key.vendor_id, key.marketplace
    origin = Origin(source="intake", actor_name=marketplace)
    await begin_write(session)
    try:
        # One intake at a time per vendor: the vendor row stays locked until commit
        # (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). Otherwise two
        # orders read the same order counter and free stock, and one overwrites the other.
        vendor = await session.get_one(
            Vendor, vendor_id, with_for_update=True, populate_existing=True
        )
        existing = await _existing(session, vendor_id, marketplace, data.external_id)
        if existing is not None:
            result = await _update_payment(session, key, existing, data, origin)
            await session.commit()
            return result, False
        number = data.number or await _next_number(session, vendor)
        order = await _with_bin_locations(session, vendor.id, _build(vendor, key, data, number))
        calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
        order, events, problems = await _new_stage_checks(session, vendor.id, order, data, calendar)
        seq = await next_seq(session, vendor.id)
        now = utcnow()
        session.add(new_row(vendor.id, order, seq, now))
        await session.flush()
        events.insert(
            0, Event("received", {"marketplace": key.marketplace, "external_id": data.external_id})
        )
        if order.status is OrderStatus.ON_HOLD:
            events.append(outofstock.add_follow_up(session, vendor.id, order))
        session.add_all(timeline_rows(vendor.id, order.id, events, origin, now))
        await notifications.on_order_created(session, vendor.id, order)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        # The same marketplace order arrived twice at once: the other request created it.
        row = await _existing(session, vendor_id, marketplace, data.external_id)
        if row is None:
            raise Conflict(f"number: order number {data.number!r} is already used") from exc
        o = decode_order(row)
        return IntakeResult(o.id, o.number, o.status.value, False, []), False
    return IntakeResult(order.id, order.number, order.status.value, True, problems), True


async def _next_number(session: AsyncSession, vendor: Vendor) -> str:
    """The vendor's next free order number (a marketplace may have sent that number already)."""
    while True:
        vendor.order_counter += 1
        number = f"SF{vendor.order_counter}"
        taken = await session.scalar(
            select(OrderRow.id).where(OrderRow.vendor_id == vendor.id, OrderRow.number == number)
        )
        if taken is None:
            return number


async def _new_stage_checks(
    session: AsyncSession, vendor_id: str, order: Order, data: IntakeOrder, calendar: Calendar
) -> tuple[Order, list[Event], list[str]]:
    """Availability (reserving stock), address and payment, as the seller guide's New stage."""
    now = utcnow()
    events: list[Event] = []
    problems: list[str] = []
    replace = msgspec.structs.replace
    if data.payment_status is PaymentStatus.PAID:
        paid_at = data.paid_at or order.created_at
        order = replace(
            order, paid_at=paid_at, payment_confirmed_at=now, ship_by=ship_by(paid_at, calendar)
        )
        events.append(Event("confirm_payment", {"paid_at": paid_at.isoformat()}))
    else:
        problems.append(f"payment is {data.payment_status.value}")
    address = address_problems(order.shipping_address)
    if address:
        problems.extend(f"address: {p}" for p in address)
    else:
        order = replace(order, address_verified_at=now)
        events.append(Event("verify_address", {}))
    missing = await inventory.shortfalls(session, vendor_id, order)
    if missing:
        # A SKU may be ordered on several lines: the missing units are counted short once,
        # on the last of them (the first lines are the ones the free stock fills).
        left = dict(missing)
        lines = []
        for ln in reversed(order.lines):
            short = min(ln.quantity, left.get(ln.sku, 0))
            if short:
                left[ln.sku] -= short
                ln = replace(ln, short=short)
            lines.append(ln)
        lines.reverse()
        order = replace(
            order,
            lines=lines,
            status=OrderStatus.ON_HOLD,
            held_at=now,
            held_from=OrderStatus.NEW,
            hold_reason=HoldReason.OUT_OF_STOCK,
        )
        problems.extend(f"out of stock: {sku} short by {n}" for sku, n in sorted(missing.items()))
        events.append(Event("out_of_stock", {"missing": missing}))
        events.append(Event("status_changed", {"from": "new", "to": "on_hold"}))
    else:
        verified = replace(order, availability_verified_at=now)
        alerts = await inventory.reconcile(session, vendor_id, order, verified)
        order = verified
        events.append(Event("verify_availability", {}))
        events.extend(Event("low_stock", {"sku": a.sku, "available": a.available}) for a in alerts)
    return order, events, problems


async def _update_payment(
    session: AsyncSession, key: ApiKey, row: OrderRow, data: IntakeOrder, origin: Origin
) -> IntakeResult:
    """A re-sent order changes nothing, except a payment that has now arrived."""
    order = decode_order(row)
    if order.payment_status is not PaymentStatus.PAID and data.payment_status is PaymentStatus.PAID:
        vendor = await session.get_one(Vendor, key.vendor_id)
        calendar = Calendar(vendor.timezone, vendor.country, vendor.subdivision)
        now = utcnow()
        paid_at = data.paid_at or now
        changed = msgspec.structs.replace(
            order,
            payment_status=PaymentStatus.PAID,
            paid_at=paid_at,
            ship_by=ship_by(paid_at, calendar),
            payment_confirmed_at=now
            if order.status is OrderStatus.NEW
            else order.payment_confirmed_at,
        )
        seq = await next_seq(session, vendor.id)
        order = store(row, changed, seq, now)
        event = Event("confirm_payment", {"paid_at": paid_at.isoformat()})
        session.add_all(timeline_rows(vendor.id, row.id, [event], origin, now))
    return IntakeResult(order.id, order.number, order.status.value, False, [])
