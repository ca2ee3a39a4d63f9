"""How values read on screen: money, counts, dates in the vendor's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
_NO_MINOR_UNITS = {"JPY", "KRW", "VND", "CLP", "ISK"}


def money(minor: int, currency: str) -> str:
    """``1999, "USD"`` → ``$19.99``; currencies without a symbol here read ``19.99 CHF``."""
    code = currency.upper()
    amount = f"{minor:,}" if code in _NO_MINOR_UNITS else f"{minor / 100:,.2f}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code}"


def plural(count: int, word: str) -> str:
    """``1 item``, ``3 items``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def local_time(at: datetime, zone: ZoneInfo) -> str:
    """A moment as a seller reads it in their time zone: ``Tue 14 Jan, 17:00``."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
