"""Wire types of the documents API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import Meta, Struct

from server.orders.schemas import BulkItem

OrderIds = Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(min_length=1, max_length=500)]


class DocumentKind(StrEnum):
    """What to print."""

    PACKING_SLIP = "packing_slip"
    LABEL = "label"


class PrintRequest(Struct, forbid_unknown_fields=True):
    """Record printing of slips or labels for these orders (labels issued by the carrier)."""

    kind: DocumentKind
    order_ids: OrderIds
    carrier: Annotated[str, Meta(min_length=1, max_length=32)] = "demo"


class PrintResult(Struct):
    """A result per order and where to download the PDF of the ones that printed."""

    results: list[BulkItem]
    printed: int
    failed: int
    download_url: str | None


class LinkRequest(Struct, forbid_unknown_fields=True):
    """Ask for a short-lived link that opens these orders' slips or labels without a token."""

    kind: DocumentKind
    order_ids: OrderIds


class DocumentLink(Struct):
    """A signed download link (path and query: put the server's address in front)."""

    url: str
    expires_at: datetime
    kind: DocumentKind
    order_ids: list[str]
