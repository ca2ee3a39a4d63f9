"""Wire shapes of the claims domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

#: the longest a claim may be asked for; a picker renews while working
MAX_MINUTES = 120


class ClaimRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Claim an order (or renew one's own claim)."""

    minutes: Annotated[int, Meta(ge=1, le=MAX_MINUTES)] = 15
    #: take the order over from whoever holds it (they walked away; the lead reassigns)
    take_over: bool = False


class Claim(Struct, kw_only=True):
    """Who is on an order, from which device, until when (server time)."""

    order_id: str
    user_id: str
    user_name: str
    device_id: str
    claimed_at: datetime
    expires_at: datetime


class ClaimBoard(Struct, kw_only=True):
    """Every live claim of the vendor, and the server's clock to judge expiry by."""

    server_time: datetime
    claims: list[Claim]
