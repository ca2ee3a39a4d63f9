"""Shipping address checks of the New stage ("check shipping address validity")."""

from __future__ import annotations

import re

from shared.types import Address

# Postal code shapes for the countries most sellers ship to; others only need a value.
_POSTAL: dict[str, re.Pattern[str]] = {
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$", re.I),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.I),
    "DE": re.compile(r"^\d{5}$"),
    "FR": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^\d{4} ?[A-Z]{2}$", re.I),
    "AU": re.compile(r"^\d{4}$"),
}


def address_problems(address: Address) -> list[str]:
    """What is missing or malformed in a shipping address; empty when it looks deliverable."""
    problems: list[str] = []
    for field, label in (
        ("name", "recipient name"),
        ("line1", "street address"),
        ("city", "city"),
        ("country", "country"),
    ):
        if not getattr(address, field).strip():
            problems.append(f"{label} is missing")
    country = address.country.strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(f"country {address.country!r} is not a two-letter ISO code")
    postal = address.postal_code.strip()
    pattern = _POSTAL.get(country)
    if pattern is not None:
        if not postal:
            problems.append("postal code is missing")
        elif not pattern.match(postal):
            problems.append(f"postal code {postal!r} is not valid for {country}")
    return problems
