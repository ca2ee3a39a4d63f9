"""The order list as a CSV file: the orders of the current filter and search, from the store.

The rows are built by a pure function (:func:`orders_csv`) over the list's stored columns,
so an export of thousands of orders decodes no order document and needs no network.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from mobile.store import OrderListItem, Store
from shared.types import OrderStatus

#: the columns a seller wants in a spreadsheet, in this order
COLUMNS = (
    "Order number",
    "Status",
    "Customer",
    "Ship by",
    "Items",
    "Total",
    "Currency",
    "Carrier",
    "Tracking number",
)

#: orders read from the store per query while exporting
EXPORT_PAGE = 500

_NO_MINOR_UNITS = {"JPY", "KRW", "VND", "CLP", "ISK"}
#: a cell starting with one of these is a formula to a spreadsheet (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def amount(minor: int, currency: str) -> str:
    """``5999, "USD"`` → ``59.99`` (no symbol, no thousands separator: a number to sum)."""
    if currency.upper() in _NO_MINOR_UNITS:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole}.{cents:02d}"


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``=``, ``+``, ``-`` or ``@`` is quoted."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def orders_csv(items: Iterable[OrderListItem], zone: ZoneInfo) -> str:
    """The orders as CSV text (header row first); ship-by in the vendor's time zone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in items:
        ship_by = "" if item.ship_by is None else f"{item.ship_by.astimezone(zone):%Y-%m-%d %H:%M}"
        writer.writerow(
            (
                item.number,
                item.status.label,
                safe_text(item.customer_name),
                ship_by,
                item.item_count,
                amount(item.total_minor, item.currency),
                item.currency.upper(),
                item.carrier,
                item.tracking_number,
            )
        )
    return out.getvalue()


def matching_orders(
    store: Store, statuses: Iterable[OrderStatus], query: str, page: int = EXPORT_PAGE
) -> Iterator[OrderListItem]:
    """Every order the list shows for this filter and search, in the list's order."""
    chosen = tuple(statuses)
    result = store.list_orders(chosen, query, limit=page)
    yield from result.items
    while result.next is not None:
        result = store.list_orders(chosen, query, limit=page, after=result.next)
        yield from result.items


def file_name(filter_key: str, at: datetime, zone: ZoneInfo) -> str:
    """``orders-ready_to_ship-2026-11-26-1705.csv``."""
    return f"orders-{filter_key}-{at.astimezone(zone):%Y-%m-%d-%H%M}.csv"
