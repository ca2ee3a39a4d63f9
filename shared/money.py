"""Money in minor units (cents), as marketplaces send it, and its plain decimal form."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 currencies without minor units; every other one here has two decimals.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XAF", "XOF"})


def decimal_amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal amount (1234 USD -> "12.34", 1234 JPY -> "1234")."""
    if currency in ZERO_DECIMAL:
        return str(minor)
    return str(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")))
