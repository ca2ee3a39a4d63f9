"""HTTP routes of the documents domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, get, post
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from msgspec import Meta

from server.deps import ActingOrigin, AppSettings, DbSession, Orders
from server.documents import service
from server.documents.links import LinkExpired
from server.documents.schemas import (
    DocumentKind,
    DocumentLink,
    LinkRequest,
    PrintRequest,
    PrintResult,
)
from server.errors import Conflict

#: what an order id is made of (the server's ids are UUIDs): in a URL each character stays
#: one byte, so 500 ids stay well under the HTTP server's 64 KiB request line (a page of
#: 64-character ids of other scripts, percent-encoded, went over it and was refused by
#: the HTTP server itself, in plain text)
ORDER_ID_PATTERN = "^[A-Za-z0-9_.:-]+$"
OrderIdList = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=64, pattern=ORDER_ID_PATTERN)]],
    QueryParameter(
        name="order_id",
        min_items=1,
        max_items=500,
        description="Repeat for each order",
        schema_extra={
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": ORDER_ID_PATTERN,
            }
        },
    ),
]

Signature = Annotated[str, QueryParameter(name="sig", min_length=1, max_length=128)]

#: besides the PDF: an order the vendor does not have (404), a label not printed yet (409)
PDF_ERRORS: list[type[HTTPException]] = [NotFoundException, Conflict]
#: and for a signed link: changed (403) or expired (410)
SIGNED_LINK_ERRORS = [*PDF_ERRORS, PermissionDeniedException, LinkExpired]
Expiry = Annotated[int, QueryParameter(name="exp", description="Unix seconds")]
Vendor = Annotated[str, QueryParameter(name="vendor", min_length=1, max_length=64)]


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

    @get(
        "/orders/{order_id:str}/packing-slip.pdf",
        summary="Packing slip of one order (PDF)",
        media_type="application/pdf",
        raises=PDF_ERRORS,
    )
    async def packing_slip(self, orders: Orders, order_id: FromPath[str]) -> Stream:
        """Seller and customer blocks, the order number as a Code 128 barcode, the lines."""
        return _pdf(await service.packing_slips_pdf(orders, [order_id]), f"slip-{order_id}.pdf")

    @get(
        "/orders/{order_id:str}/label.pdf",
        summary="4×6 shipping label of one order (PDF)",
        media_type="application/pdf",
        raises=PDF_ERRORS,
    )
    async def label(self, orders: Orders, order_id: FromPath[str]) -> Stream:
        """409 until the label has been printed (issued) once."""
        return _pdf(await service.labels_pdf(orders, [order_id]), f"label-{order_id}.pdf")

    @get(
        "/documents/packing-slips.pdf",
        summary="Packing slips of many orders in one PDF",
        media_type="application/pdf",
        raises=PDF_ERRORS,
    )
    async def packing_slips(self, orders: Orders, order_id: OrderIdList) -> Stream:
        """In the order the ids are given."""
        return _pdf(await service.packing_slips_pdf(orders, order_id), "packing-slips.pdf")

    @get(
        "/documents/labels.pdf",
        summary="4×6 labels of many orders in one PDF",
        media_type="application/pdf",
        raises=PDF_ERRORS,
    )
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

    @post(
        "/documents/links",
        status_code=200,
        summary="A short-lived link that opens a PDF",
        raises=PDF_ERRORS,
    )
    async def link(
        self, orders: Orders, settings: AppSettings, data: JSONBody[LinkRequest]
    ) -> DocumentLink:
        """For a browser tab or a share sheet, which send no token; valid a few minutes."""
        return await service.document_link(orders, settings.secret_key, data.kind, data.order_ids)

    # Signed links: public routes (see PUBLIC_PATHS), the link itself is the credential.

    @get(
        "/documents/signed/packing-slips.pdf",
        summary="Packing slips through a signed link (no token)",
        security=[{}],
        media_type="application/pdf",
        raises=SIGNED_LINK_ERRORS,
    )
    async def signed_packing_slips(
        self,
        db_session: DbSession,
        settings: AppSettings,
        vendor: Vendor,
        order_id: OrderIdList,
        exp: Expiry,
        sig: Signature,
    ) -> Stream:
        """403 if the link was changed, 410 once it has expired."""
        pdf = await service.signed_pdf(
            db_session, settings.secret_key, DocumentKind.PACKING_SLIP, vendor, order_id, exp, sig
        )
        return _pdf(pdf, "packing-slips.pdf")

    @get(
        "/documents/signed/labels.pdf",
        summary="4×6 labels through a signed link (no token)",
        security=[{}],
        media_type="application/pdf",
        raises=SIGNED_LINK_ERRORS,
    )
    async def signed_labels(
        self,
        db_session: DbSession,
        settings: AppSettings,
        vendor: Vendor,
        order_id: OrderIdList,
        exp: Expiry,
        sig: Signature,
    ) -> Stream:
        """403 if the link was changed, 410 once it has expired."""
        pdf = await service.signed_pdf(
            db_session, settings.secret_key, DocumentKind.LABEL, vendor, order_id, exp, sig
        )
        return _pdf(pdf, "labels.pdf")
