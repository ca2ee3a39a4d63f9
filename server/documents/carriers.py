"""Carriers that issue shipping labels. The demo carrier is built in; real ones plug in here."""

from __future__ import annotations

import hashlib
from typing import Protocol

from msgspec import Struct

from shared.carriers import CARRIERS
from shared.types import Order


class IssuedLabel(Struct, frozen=True):
    """What a carrier returns for a label: its tracking number and service."""

    carrier: str
    service: str
    tracking_number: str


class Carrier(Protocol):
    """A carrier that can issue a label (and so a tracking number) for an order."""

    code: str

    def issue_label(self, order: Order) -> IssuedLabel:
        """Buy or create the label for this order (the same order gets the same label)."""
        ...


class DemoCarrier:
    """Shipfloor Demo Post: issues ``SFD`` + 10 digits, stable per order (reprints match)."""

    code = "demo"
    service = "Ground"

    def issue_label(self, order: Order) -> IssuedLabel:
        """A tracking number derived from the order id, so a retry never issues a second one."""
        if order.tracking_number and order.carrier == self.code:
            return IssuedLabel(self.code, order.service or self.service, order.tracking_number)
        digest = int.from_bytes(hashlib.sha256(order.id.encode()).digest()[:8], "big")
        return IssuedLabel(self.code, self.service, f"SFD{digest % 10**10:010d}")


CARRIER_REGISTRY: dict[str, Carrier] = {"demo": DemoCarrier()}


def carrier_name(code: str) -> str:
    """The carrier's display name."""
    entry = CARRIERS.get(code.lower())
    return entry[0] if entry else code.upper()
