"""Wire types of the inventory API."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

Barcode = Annotated[str, Meta(max_length=64, pattern=r"^[0-9A-Za-z\-. $/+%]*$")]


class ItemIn(Struct, forbid_unknown_fields=True):
    """Create or replace a SKU's details and stock on hand."""

    name: Annotated[str, Meta(max_length=500)] = ""
    barcode: Barcode = ""
    on_hand: Annotated[int, Meta(ge=0, le=10_000_000)] = 0
    bin_location: Annotated[str, Meta(max_length=32)] = ""
    low_stock_threshold: Annotated[int, Meta(ge=0, le=10_000_000)] = 0


class Adjustment(Struct, forbid_unknown_fields=True):
    """A stock count correction: add (or, negative, remove) units on hand."""

    delta: Annotated[int, Meta(ge=-10_000_000, le=10_000_000)]
    reason: Annotated[str, Meta(min_length=1, max_length=200)]
