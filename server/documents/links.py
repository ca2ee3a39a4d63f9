"""Short-lived signed download links for slips and labels, so the app can open a PDF anywhere.

A browser tab opened with ``launch_url``, or a phone's share sheet, fetches a bare URL: it
sends no ``Authorization`` header. So a signed-in user asks for a link
(``POST /api/documents/links``) and gets a URL that carries its own proof instead: the
vendor, the orders, an expiry and an HMAC-SHA256 over all of them (the one signing scheme
of ``server/signing.py``, keyed with the server's secret). The link opens exactly those
orders' PDF for that vendor, for a few minutes, without a token; changing any part of it
breaks the signature.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import msgspec
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.status_codes import HTTP_410_GONE

from server.documents.schemas import DocumentKind
from server.signing import SIGNATURE_PREFIX, sign

#: how long a link opens its PDF: long enough to open or share, short enough not to leak
LINK_LIFETIME = timedelta(minutes=5)

#: where each kind of signed PDF is served (public: the link is the credential)
SIGNED_PATHS: dict[DocumentKind, str] = {
    DocumentKind.PACKING_SLIP: "/api/documents/signed/packing-slips.pdf",
    DocumentKind.LABEL: "/api/documents/signed/labels.pdf",
}


class LinkExpired(HTTPException):
    """A correctly signed link whose time is up (410: it will never work again)."""

    status_code = HTTP_410_GONE


def _payload(kind: DocumentKind, vendor_id: str, order_ids: list[str]) -> bytes:
    # JSON, not a joined string: no choice of ids can make two links sign the same bytes.
    # The leading word keeps these signatures apart from anything else signed with the key.
    return msgspec.json.encode(["document-link", kind.value, vendor_id, order_ids])


def link_signature(
    secret: str, kind: DocumentKind, vendor_id: str, order_ids: list[str], expires: int
) -> str:
    """The hex HMAC that proves a link for these orders, valid until ``expires`` (Unix s)."""
    signed = sign(secret, str(expires), _payload(kind, vendor_id, order_ids))
    return signed.removeprefix(SIGNATURE_PREFIX)


def signed_path(
    secret: str, kind: DocumentKind, vendor_id: str, order_ids: list[str], expires: int
) -> str:
    """The path and query of a signed link (the app puts its server address in front)."""
    signature = link_signature(secret, kind, vendor_id, order_ids, expires)
    query = [("vendor", vendor_id), *(("order_id", i) for i in order_ids)]
    query += [("exp", str(expires)), ("sig", signature)]
    return f"{SIGNED_PATHS[kind]}?{urlencode(query)}"


def new_link(
    secret: str, kind: DocumentKind, vendor_id: str, order_ids: list[str], now: float | None = None
) -> tuple[str, datetime]:
    """A fresh signed link and the moment it stops working."""
    expires = int(now if now is not None else time.time()) + int(LINK_LIFETIME.total_seconds())
    return signed_path(secret, kind, vendor_id, order_ids, expires), datetime.fromtimestamp(
        expires, UTC
    )


def check_link(
    secret: str,
    kind: DocumentKind,
    vendor_id: str,
    order_ids: list[str],
    expires: int,
    signature: str,
    now: float | None = None,
) -> None:
    """403 unless this server signed exactly this link; 410 once it has expired."""
    expected = link_signature(secret, kind, vendor_id, order_ids, expires)
    # Bytes: compare_digest refuses non-ASCII text with a TypeError (a 500, not a 403).
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise PermissionDeniedException(
            "document link is not valid (changed, or not from this server): "
            "open the document from the app again"
        )
    current = now if now is not None else time.time()
    if current >= expires:
        at = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds")
        raise LinkExpired(
            f"document link expired at {at}: open the document from the app again for a new link"
        )
