"""Carriers Shipfloor knows and the shape of their tracking numbers."""

from __future__ import annotations

import re

#: carrier code -> (display name, tracking number patterns, tracking URL template)
CARRIERS: dict[str, tuple[str, tuple[re.Pattern[str], ...], str]] = {
    "ups": (
        "UPS",
        (re.compile(r"^1Z[0-9A-Z]{16}$"), re.compile(r"^(T\d{10}|\d{9}|\d{26})$")),
        "https://www.ups.com/track?tracknum={}",
    ),
    "usps": (
        "USPS",
        (
            re.compile(r"^(94|93|92|95|94|03|70|23|13)\d{18,20}$"),
            re.compile(r"^[A-Z]{2}\d{9}US$"),
        ),
        "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    ),
    "fedex": (
        "FedEx",
        (re.compile(r"^(\d{12}|\d{15}|\d{20}|\d{22})$"),),
        "https://www.fedex.com/fedextrack/?trknbr={}",
    ),
    "dhl": (
        "DHL",
        (re.compile(r"^\d{10,11}$"), re.compile(r"^JJD\d{16,20}$"), re.compile(r"^JVGL\d{16,20}$")),
        "https://www.dhl.com/en/express/tracking.html?AWB={}",
    ),
    "demo": (
        "Shipfloor Demo Post",
        (re.compile(r"^SFD\d{10}$"),),
        "/track/{}",
    ),
}


def normalise_tracking(tracking_number: str) -> str:
    """Tracking numbers as carriers print them: upper case, no spaces or dashes."""
    return re.sub(r"[\s-]", "", tracking_number).upper()


def tracking_problem(carrier: str, tracking_number: str) -> str | None:
    """Why this tracking number cannot belong to this carrier, or None if it can."""
    entry = CARRIERS.get(carrier.lower())
    if entry is None:
        known = ", ".join(sorted(CARRIERS))
        return f"unknown carrier {carrier!r} (known: {known})"
    name, patterns, _ = entry
    number = normalise_tracking(tracking_number)
    if not number:
        return "tracking number is empty"
    if not any(p.match(number) for p in patterns):
        return f"{tracking_number!r} is not a valid {name} tracking number"
    return None


def tracking_url(carrier: str, tracking_number: str) -> str:
    """Where the customer follows the parcel."""
    entry = CARRIERS.get(carrier.lower())
    return entry[2].format(normalise_tracking(tracking_number)) if entry else ""
