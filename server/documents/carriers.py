"""Carriers that issue shipping labels. The demo carrier is built in; real ones plug in here."""

from __future__ import annotations

import hashlib
from typing import Protocol

from msgspec import Struct

from shared.carriers import CARRIERS
from shared.commands import Command, PrintLabel
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


def with_issued_label(order: Order, command: Command) -> Command:
    """A "label printed" without a tracking number, for a carrier that issues labels here,
    becomes one carrying the number the carrier issues — on whichever path it arrives (the
    app's sync, the REST action). Any other command is returned as it is.
    """
    if not isinstance(command, PrintLabel) or command.tracking_number:
        return command
    carrier = CARRIER_REGISTRY.get(command.carrier or order.carrier)
    if carrier is None:
        return command
    issued = carrier.issue_label(order)
    return PrintLabel(
        carrier=issued.carrier,
        service=command.service or issued.service,
        tracking_number=issued.tracking_number,
    )
