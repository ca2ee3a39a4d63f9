"""Documents: gather the orders, issue labels, record printing, render, sign download links."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.documents import links, render
from server.documents.carriers import CARRIER_REGISTRY
from server.documents.schemas import DocumentKind, DocumentLink, PrintResult
from server.errors import BadRequest, Conflict
from server.orders.models import OrderNote, OrderRow
from server.orders.schemas import BulkItem
from server.orders.service import OrderService, note_of
from server.orders.store import Origin, decode_order
from shared import commands as c
from shared.lifecycle import StepRefused
from shared.types import Address, Note, Order

PDF_CHUNK = 64 * 1024


async def sender_of(service: OrderService) -> render.Sender:
    """The vendor as the sender of slips and labels."""
    vendor = await service.session.get_one(Vendor, service.vendor_id)
    return render.Sender(
        name=vendor.name, address=Address(), timezone=vendor.timezone, country=vendor.country
    )


async def orders_of(service: OrderService, order_ids: list[str]) -> list[Order]:
    """The orders in the order given (404 naming the first unknown one)."""
    ids = list(dict.fromkeys(order_ids))
    rows = await service.session.scalars(service.scoped().where(OrderRow.id.in_(ids)))
    found = {r.id: decode_order(r) for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        from server.errors import not_found

        raise not_found(f"order {missing[0]!r}")
    return [found[i] for i in ids]


def require_labels(orders: list[Order]) -> None:
    """409 naming the first order that has no shipping label (tracking number) yet."""
    without = [o.number for o in orders if not o.tracking_number or o.label_printed_at is None]
    if without:
        raise Conflict(
            f"no shipping label yet for order {without[0]}: print it first "
            "(POST /api/documents/print with kind=label)"
        )


async def _notes(service: OrderService, order_ids: list[str]) -> dict[str, list[Note]]:
    notes: dict[str, list[Note]] = defaultdict(list)
    rows = await service.session.scalars(
        select(OrderNote)
        .where(OrderNote.vendor_id == service.vendor_id, OrderNote.order_id.in_(order_ids))
        .order_by(OrderNote.created_at, OrderNote.id)
    )
    for row in rows:
        notes[row.order_id].append(note_of(row))
    return notes


async def packing_slips_pdf(service: OrderService, order_ids: list[str]) -> bytes:
    """A PDF of packing slips for these orders, in the order given."""
    orders = await orders_of(service, order_ids)
    notes = await _notes(service, [o.id for o in orders])
    sender = await sender_of(service)
    slips = [render.SlipInput(o, notes.get(o.id, [])) for o in orders]
    return await asyncio.to_thread(render.packing_slips, slips, sender)


async def labels_pdf(service: OrderService, order_ids: list[str]) -> bytes:
    """A PDF of 4×6 labels; every order must already have its label (tracking number)."""
    orders = await orders_of(service, order_ids)
    require_labels(orders)
    sender = await sender_of(service)
    return await asyncio.to_thread(render.labels, orders, sender)


async def record_printing(
    service: OrderService,
    kind: DocumentKind,
    order_ids: list[str],
    carrier_code: str,
    origin: Origin,
) -> PrintResult:
    """Record the print step on each order (issuing labels), a result per order."""
    carrier = CARRIER_REGISTRY.get(carrier_code)
    if carrier is None:
        raise BadRequest(
            f"carrier: {carrier_code!r} cannot issue labels here (known: {', '.join(CARRIER_REGISTRY)})"
        )
    results: list[BulkItem] = []
    printed: list[str] = []
    for order_id in dict.fromkeys(order_ids):
        try:
            command: c.Command
            if kind is DocumentKind.PACKING_SLIP:
                command = c.PrintSlip()
            else:
                order = decode_order(await service.row(order_id))
                issued = carrier.issue_label(order)
                command = c.PrintLabel(
                    carrier=issued.carrier,
                    service=issued.service,
                    tracking_number=issued.tracking_number,
                )
            result = await service.act(order_id, command, origin)
            results.append(BulkItem(order_id, True, result.order.status))
            printed.append(order_id)
        except StepRefused as refused:
            results.append(BulkItem(order_id, False, None, refused.code, refused.message))
        except Exception as exc:  # an unknown order: reported for that one
            status = getattr(exc, "status_code", None)
            if status != 404:
                raise
            results.append(
                BulkItem(order_id, False, None, "not_found", str(getattr(exc, "detail", exc)))
            )
    path = "packing-slips.pdf" if kind is DocumentKind.PACKING_SLIP else "labels.pdf"
    url = (
        f"/api/documents/{path}?" + urlencode([("order_id", i) for i in printed])
        if printed
        else None
    )
    return PrintResult(results, len(printed), len(results) - len(printed), url)


async def document_link(
    service: OrderService, secret: str, kind: DocumentKind, order_ids: list[str]
) -> DocumentLink:
    """A signed link to these orders' PDF, checked now so a link never opens onto an error.

    404 for an order the vendor does not have; 409 for a label not printed yet.
    """
    ids = list(dict.fromkeys(order_ids))
    orders = await orders_of(service, ids)
    if kind is DocumentKind.LABEL:
        require_labels(orders)
    url, expires_at = links.new_link(secret, kind, service.vendor_id, ids)
    return DocumentLink(url, expires_at, kind, ids)


async def signed_pdf(
    session: AsyncSession,
    secret: str,
    kind: DocumentKind,
    vendor_id: str,
    order_ids: list[str],
    expires: int,
    signature: str,
) -> bytes:
    """The PDF a signed link names, once the link is proven (403 changed, 410 expired)."""
    links.check_link(secret, kind, vendor_id, order_ids, expires, signature)
    service = OrderService(session, vendor_id)
    if kind is DocumentKind.LABEL:
        return await labels_pdf(service, order_ids)
    return await packing_slips_pdf(service, order_ids)
