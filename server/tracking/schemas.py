"""What carriers post to the tracking webhook."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import Meta, Struct


class TrackingStatus(StrEnum):
    """The parcel's progress as carriers report it."""

    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class CarrierEventIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """One tracking event; ``event_id`` is the carrier's own, unique per carrier."""

    event_id: Annotated[str, Meta(min_length=1, max_length=128)]
    tracking_number: Annotated[str, Meta(min_length=1, max_length=64)]
    status: TrackingStatus
    occurred_at: datetime
    location: Annotated[str, Meta(max_length=200)] = ""
    description: Annotated[str, Meta(max_length=500)] = ""


class CarrierEventResult(Struct):
    """What the webhook did: the order it landed on and whether it was new."""

    order_id: str
    duplicate: bool
    order_status: str
