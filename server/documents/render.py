"""PDF rendering of packing slips and 4×6 labels (ReportLab, with its Code 128 barcodes).

Rendering is CPU work: callers run it in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from msgspec import Struct
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch as _inch
from reportlab.pdfgen.canvas import Canvas

from server.documents.carriers import carrier_name
from shared.types import Address, Note, NoteKind, Order

inch: float = float(_inch)
LABEL_SIZE = (4 * inch, 6 * inch)  # the thermal-printer standard, portrait
_LETTER_COUNTRIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE"}


class Sender(Struct, frozen=True):
    """Who ships: the vendor's name, address and where its calendar lives."""

    name: str
    address: Address
    timezone: str = "UTC"
    country: str = "US"


class SlipInput(Struct, frozen=True):
    """An order with the notes its packing slip shows."""

    order: Order
    notes: list[Note]


def _address_lines(a: Address) -> list[str]:
    city = " ".join(p for p in (a.city, a.region, a.postal_code) if p)
    return [p for p in (a.name, a.company, a.line1, a.line2, city, a.country) if p]


def _local(when: datetime | None, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M") if when else "—"


def _barcode(
    canvas: Canvas, value: str, x: float, y: float, height: float, max_width: float
) -> float:
    """Draw a Code 128 barcode no wider than ``max_width``; returns its width."""
    bar_width = 0.0125 * inch
    code = Code128(value, barHeight=height, barWidth=bar_width, humanReadable=False)
    while code.width > max_width and bar_width > 0.007 * inch:
        bar_width *= 0.9
        code = Code128(value, barHeight=height, barWidth=bar_width, humanReadable=False)
    code.drawOn(canvas, x, y)
    return float(code.width)


def packing_slips(slips: Sequence[SlipInput], sender: Sender) -> bytes:
    """One PDF with a packing slip (one or more pages) per order."""
    size = LETTER if sender.country in _LETTER_COUNTRIES else A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, pageCompression=1)
    canvas.setTitle("Packing slips")
    canvas.setAuthor(sender.name)
    for slip in slips:
        _packing_slip(canvas, slip, sender, size)
    canvas.save()
    return buffer.getvalue()


def _packing_slip(
    canvas: Canvas, slip: SlipInput, sender: Sender, size: tuple[float, float]
) -> None:
    order = slip.order
    width, height = size
    margin = 0.6 * inch
    top = height - margin

    def header() -> float:
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(margin, top - 14, "PACKING SLIP")
        canvas.setFont("Helvetica", 10)
        canvas.drawString(margin, top - 30, f"Order {order.number}")
        code_width = _barcode(
            canvas, order.number, width - margin - 3 * inch, top - 44, 40, 3 * inch
        )
        canvas.setFont("Courier", 9)
        canvas.drawCentredString(width - margin - 3 * inch + code_width / 2, top - 54, order.number)
        return top - 76

    y = header()
    # Seller and customer blocks side by side.
    col = (width - 2 * margin) / 2
    canvas.setFont("Helvetica-Bold", 10)
    canvas.drawString(margin, y, "From")
    canvas.drawString(margin + col, y, "Ship to")
    canvas.setFont("Helvetica", 10)
    seller_lines = (
        [sender.name, *_address_lines(sender.address)[1:]]
        if sender.address.line1
        else [sender.name]
    )
    for i, text in enumerate(seller_lines):
        canvas.drawString(margin, y - 14 - 12 * i, text)
    customer_lines = _address_lines(order.shipping_address) or [order.customer.name]
    for i, text in enumerate(customer_lines):
        canvas.drawString(margin + col, y - 14 - 12 * i, text)
    y -= 20 + 12 * max(len(seller_lines), len(customer_lines))
    canvas.setFont("Helvetica", 9)
    facts = [
        f"Ordered: {_local(order.created_at, sender.timezone)}",
        f"Ship by: {_local(order.ship_by, sender.timezone)}",
        f"Marketplace: {order.marketplace or '—'} {order.external_id}",
    ]
    canvas.drawString(margin, y, "    ".join(facts))
    y -= 22

    def table_head(at: float) -> float:
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(margin, at, "SKU")
        canvas.drawString(margin + 1.4 * inch, at, "Item")
        canvas.drawString(width - margin - 1.6 * inch, at, "Bin")
        canvas.drawRightString(width - margin - 0.4 * inch, at, "Qty")
        canvas.drawString(width - margin - 0.25 * inch, at, "✓")
        canvas.line(margin, at - 4, width - margin, at - 4)
        canvas.setFont("Helvetica", 10)
        return at - 18

    y = table_head(y)
    for line in order.lines:
        if line.removed:
            continue
        if y < margin + 1.5 * inch:
            canvas.showPage()
            y = table_head(header())
        canvas.drawString(margin, y, line.sku[:24])
        canvas.drawString(margin + 1.4 * inch, y, (line.name or line.sku)[:48])
        canvas.drawString(width - margin - 1.6 * inch, y, line.bin_location or "")
        canvas.drawRightString(width - margin - 0.4 * inch, y, str(line.quantity))
        canvas.rect(width - margin - 0.25 * inch, y - 2, 9, 9)
        y -= 16
    shown = [
        n
        for n in slip.notes
        if n.kind in (NoteKind.PACKAGING_INSTRUCTION, NoteKind.CUSTOMER_REQUEST)
    ]
    if shown:
        y -= 10
        for note in shown:
            if y < margin + 0.8 * inch:
                canvas.showPage()
                y = header()
            label = (
                "Packaging" if note.kind is NoteKind.PACKAGING_INSTRUCTION else "Customer request"
            )
            canvas.setFont("Helvetica-Bold", 9)
            canvas.drawString(margin, y, f"{label}:")
            canvas.setFont("Helvetica", 9)
            canvas.drawString(margin + 1.2 * inch, y, note.text[:110])
            y -= 14
    canvas.setFont("Helvetica-Oblique", 9)
    canvas.drawString(margin, margin, f"Thank you for your order! — {sender.name}")
    canvas.showPage()


def labels(orders: Sequence[Order], sender: Sender) -> bytes:
    """One PDF with a 4×6 in shipping label page per order (the order must have tracking)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1)
    canvas.setTitle("Shipping labels")
    for order in orders:
        _label(canvas, order, sender)
    canvas.save()
    return buffer.getvalue()


def _label(canvas: Canvas, order: Order, sender: Sender) -> None:
    width, height = LABEL_SIZE
    m = 0.2 * inch
    canvas.setLineWidth(1.5)
    canvas.rect(m / 2, m / 2, width - m, height - m)
    # From
    y = height - m - 10
    canvas.setFont("Helvetica-Bold", 7)
    canvas.drawString(m, y, "FROM")
    canvas.setFont("Helvetica", 8)
    for text in [
        sender.name,
        *(_address_lines(sender.address)[1:] if sender.address.line1 else []),
    ]:
        y -= 10
        canvas.drawString(m, y, text[:60])
    # Carrier and service, top right
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawRightString(width - m, height - m - 12, carrier_name(order.carrier))
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(width - m, height - m - 24, order.service or "")
    weight = f"{order.package.weight_grams / 1000:.2f} kg" if order.package else ""
    canvas.drawRightString(width - m, height - m - 36, weight)
    y = min(y, height - m - 36) - 10
    canvas.line(m, y, width - m, y)
    # To, large
    y -= 16
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(m, y, "SHIP TO")
    canvas.setFont("Helvetica-Bold", 13)
    for text in _address_lines(order.shipping_address):
        y -= 17
        canvas.drawString(m + 0.15 * inch, y, text[:38])
    y -= 16
    canvas.line(m, y, width - m, y)
    # Tracking barcode, centred under its heading
    tracking = order.tracking_number
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(m, y - 14, "TRACKING #")
    bar_height = 1.1 * inch
    bar_y = y - 24 - bar_height
    probe = Code128(tracking, barHeight=bar_height, barWidth=0.0125 * inch, humanReadable=False)
    max_width = width - 2 * m - 0.2 * inch
    x = m + 0.1 * inch + max(0.0, (max_width - float(probe.width)) / 2)
    code_width = _barcode(canvas, tracking, x, bar_y, bar_height, max_width)
    canvas.setFont("Courier-Bold", 12)
    canvas.drawCentredString(x + code_width / 2, bar_y - 16, tracking)
    canvas.setFont("Helvetica", 7)
    canvas.drawString(m, 0.45 * inch, f"Order {order.number}")
    canvas.drawRightString(width - m, 0.45 * inch, order.marketplace)
    canvas.showPage()
