"""HTTP routes of the documents domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from server.deps import ActingOrigin, Orders
from server.documents import service
from server.documents.schemas import PrintRequest, PrintResult

OrderIdList = Annotated[
    list[str],
    QueryParameter(
        name="order_id", min_items=1, max_items=500, description="Repeat for each order"
    ),
]


async def _chunks(pdf: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(pdf), service.PDF_CHUNK):
        yield pdf[start : start + service.PDF_CHUNK]


def _pdf(pdf: bytes, filename: str) -> Stream:
    return Stream(
        _chunks(pdf),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class DocumentController(Controller):
    """Packing slips and shipping labels."""

    path = "/api"
    tags = ["documents"]

    @get("/orders/{order_id:str}/packing-slip.pdf", summary="Packing slip of one order (PDF)")
    async def packing_slip(self, orders: Orders, order_id: FromPath[str]) -> Stream:
        """Seller and customer blocks, the order number as a Code 128 barcode, the lines."""
        return _pdf(await service.packing_slips_pdf(orders, [order_id]), f"slip-{order_id}.pdf")

    @get("/orders/{order_id:str}/label.pdf", summary="4×6 shipping label of one order (PDF)")
    async def label(self, orders: Orders, order_id: FromPath[str]) -> Stream:
        """409 until the label has been printed (issued) once."""
        return _pdf(await service.labels_pdf(orders, [order_id]), f"label-{order_id}.pdf")

    @get("/documents/packing-slips.pdf", summary="Packing slips of many orders in one PDF")
    async def packing_slips(self, orders: Orders, order_id: OrderIdList) -> Stream:
        """In the order the ids are given."""
        return _pdf(await service.packing_slips_pdf(orders, order_id), "packing-slips.pdf")

    @get("/documents/labels.pdf", summary="4×6 labels of many orders in one PDF")
    async def labels(self, orders: Orders, order_id: OrderIdList) -> Stream:
        """In the order the ids are given; every order must have its label."""
        return _pdf(await service.labels_pdf(orders, order_id), "labels.pdf")

    @post("/documents/print", status_code=200, summary="Record printing (issue labels), per order")
    async def print_documents(
        self, orders: Orders, origin: ActingOrigin, data: JSONBody[PrintRequest]
    ) -> PrintResult:
        """Records the print step on each order through the lifecycle; returns the PDF's URL."""
        return await service.record_printing(
            orders, data.kind, data.order_ids, data.carrier, origin
        )
