"""Printing packing slips and labels: the server's PDFs when online, a waiting list when not.

Printing is two things: the *step* ("packing slip printed") is a lifecycle action and is
recorded on the device at once like every other step; the *paper* needs the server's PDF.
When the device is offline the step is recorded anyway and the document waits in a
:class:`PrintQueue` kept in the device store (it survives a restart), shown on screen as
"waiting for the network", and is opened as soon as the network is back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec
from msgspec import Struct

from mobile.store import Store


class Document(StrEnum):
    """The documents a step prints."""

    PACKING_SLIP = "packing_slip"
    LABEL = "label"

    @property
    def label(self) -> str:
        """The document's name on screen."""
        return "Packing slip" if self is Document.PACKING_SLIP else "Shipping label"


class DocumentUnavailable(Exception):
    """The document could not be opened now (network gone, server refused); try later."""


class DocumentOpener(Protocol):
    """Opens the server's PDFs for printing; the app shell supplies one per platform.

    ``open_label`` needs the order's label on the server: an implementation pushes the
    device's pending steps first. Both raise :class:`DocumentUnavailable` when the
    document cannot be opened now, and the print goes back on the waiting list.
    """

    @property
    def online(self) -> bool:
        """Whether the server can be reached now."""
        ...

    async def open_packing_slip(self, order_id: str) -> None:
        """Open the order's packing slip PDF (``GET /api/orders/{id}/packing-slip.pdf``)."""
        ...

    async def open_label(self, order_id: str) -> None:
        """Open the order's 4×6 shipping label PDF (``GET /api/orders/{id}/label.pdf``)."""
        ...


class PendingPrint(Struct, frozen=True, kw_only=True):
    """A document recorded as printed while offline, still to be opened."""

    order_id: str
    document: Document
    queued_at: datetime


_QUEUE_KEY = "steps.print_queue"
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(list[PendingPrint]).decode


class PrintQueue:
    """Documents waiting for the network, kept in the device store's settings."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def pending(self, order_id: str | None = None) -> list[PendingPrint]:
        """Waiting documents (of one order, or all), oldest first."""
        raw = self.store.get_meta(_QUEUE_KEY)
        queued = _decode(raw) if raw else []
        return [p for p in queued if order_id is None or p.order_id == order_id]

    def is_pending(self, order_id: str, document: Document) -> bool:
        """Whether this document of this order waits for the network."""
        return any(p.document is document for p in self.pending(order_id))

    def add(self, order_id: str, document: Document) -> None:
        """Put a document on the waiting list (once)."""
        if self.is_pending(order_id, document):
            return
        entry = PendingPrint(order_id=order_id, document=document, queued_at=self.store.clock())
        self._save([*self.pending(), entry])

    def remove(self, order_id: str, document: Document) -> None:
        """Take a document off the waiting list."""
        kept = [
            p for p in self.pending() if not (p.order_id == order_id and p.document is document)
        ]
        self._save(kept)

    async def open(self, opener: DocumentOpener, order_id: str, document: Document) -> bool:
        """Open the document now if the network allows; otherwise (or on failure) queue it."""
        if not opener.online:
            self.add(order_id, document)
            return False
        try:
            if document is Document.PACKING_SLIP:
                await opener.open_packing_slip(order_id)
            else:
                await opener.open_label(order_id)
        except DocumentUnavailable:
            self.add(order_id, document)
            return False
        self.remove(order_id, document)
        return True

    async def flush(self, opener: DocumentOpener, order_id: str | None = None) -> int:
        """Open the waiting documents (of one order, or all); returns how many opened."""
        opened = 0
        for entry in self.pending(order_id):
            if not opener.online:
                break
            if await self.open(opener, entry.order_id, entry.document):
                opened += 1
        return opened

    def _save(self, entries: list[PendingPrint]) -> None:
        self.store.set_meta(_QUEUE_KEY, _encode(entries).decode() if entries else None)
