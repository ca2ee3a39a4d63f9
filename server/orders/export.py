"""CSV export of the current filter, streamed batch by batch (never all rows in memory)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.orders.models import OrderRow
from server.orders.service import OrderService
from server.orders.store import decode_order
from shared.deadlines import DueView
from shared.money import decimal_amount as money
from shared.types import OrderStatus

#: the columns a seller's bookkeeping expects, in order
COLUMNS = [
    "order_number",
    "marketplace",
    "marketplace_order_id",
    "status",
    "ordered_at",
    "paid_at",
    "ship_by",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "cancel_reason",
    "customer_name",
    "customer_email",
    "ship_to_name",
    "ship_to_address",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "items",
    "skus",
    "currency",
    "subtotal",
    "shipping",
    "tax",
    "total",
    "carrier",
    "tracking_number",
]


def _when(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: values starting with = + - @ (or a tab or a
    carriage return) would otherwise run as formulas (CSV injection, OWASP)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _record(row: OrderRow) -> list[str]:
    o = decode_order(row)
    a = o.shipping_address
    lines = [ln for ln in o.lines if not ln.removed]
    subtotal = sum(ln.quantity * ln.unit_price_minor for ln in lines)
    return [
        o.number,
        o.marketplace,
        o.external_id,
        o.status.label,
        _when(o.created_at),
        _when(o.paid_at),
        _when(o.ship_by),
        _when(o.shipped_at),
        _when(o.delivered_at),
        _when(o.cancelled_at),
        o.cancel_reason.value if o.cancel_reason else "",
        o.customer.name,
        o.customer.email,
        a.name,
        ", ".join(p for p in (a.line1, a.line2) if p),
        a.city,
        a.region,
        a.postal_code,
        a.country,
        str(sum(ln.quantity for ln in lines)),
        "; ".join(f"{ln.sku} x{ln.quantity}" for ln in lines),
        o.currency,
        money(subtotal, o.currency),
        money(o.shipping_minor, o.currency),
        money(o.tax_minor, o.currency),
        money(o.total_minor, o.currency),
        o.carrier,
        o.tracking_number,
    ]


async def stream_csv(
    factory: async_sessionmaker[AsyncSession],
    vendor_id: str,
    statuses: Sequence[OrderStatus] | None,
    q: str | None,
    due: DueView | None = None,
) -> AsyncIterator[bytes]:
    """The CSV, one chunk per batch of rows, from its own session (it outlives the handler)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    # A UTF-8 byte order mark so spreadsheet programs read names with accents correctly.
    yield ("\ufeff" + buffer.getvalue()).encode()
    async with factory() as session:
        service = OrderService(session, vendor_id)
        async for rows in service.iter_rows(statuses, q, due=due):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([safe_cell(cell) for cell in _record(r)] for r in rows)
            yield buffer.getvalue().encode()
