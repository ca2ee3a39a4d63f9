"""Signed download links: a PDF opens without a token, for a few minutes, for those orders only.

The app opens slips and labels in a browser tab or a share sheet, which send no
``Authorization`` header; the link itself carries the proof (``server/documents/links.py``).
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from pypdf import PdfReader

from server.documents.links import LINK_LIFETIME, signed_path
from server.documents.schemas import DocumentKind
from tests.support import ServerThread, Tenant


def link(tenant: Tenant, kind: str, *order_ids: str, role: str = "owner") -> httpx.Response:
    """Ask the server for a signed link, signed in."""
    with tenant.client(role) as c:
        return c.post("/api/documents/links", json={"kind": kind, "order_ids": list(order_ids)})


def fetch(tenant: Tenant, url: str) -> httpx.Response:
    """Open a link as a browser tab would: no token, no cookies."""
    return httpx.get(tenant.base_url + url, timeout=30)


def with_query(url: str, **changes: str | list[str]) -> str:
    """The same link with some query values replaced (``order_id`` takes a list)."""
    parts = urlsplit(url)
    query = dict[str, list[str]]()
    for key, single in parse_qsl(parts.query):
        query.setdefault(key, []).append(single)
    for key, value in changes.items():
        query[key] = value if isinstance(value, list) else [value]
    pairs = [(k, v) for k, values in query.items() for v in values]
    return f"{parts.path}?{urlencode(pairs)}"


def pages(pdf: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_signed_slip_link_opens_the_pdf_without_a_token(tenant: Tenant) -> None:
    order_id = tenant.order(number="LINK-1001")
    made = link(tenant, "packing_slip", order_id)
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["url"].startswith("/api/documents/signed/packing-slips.pdf?")
    assert body["order_ids"] == [order_id] and body["kind"] == "packing_slip"
    expires = datetime.fromisoformat(body["expires_at"])
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= LINK_LIFETIME.total_seconds() + 5

    r = fetch(tenant, body["url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    text = pages(r.content)
    assert len(text) == 1
    assert "PACKING SLIP" in text[0] and "LINK-1001" in text[0]


def test_a_bulk_link_has_one_page_per_order_in_the_order_given(tenant: Tenant) -> None:
    first, second = tenant.order(number="LINK-2001"), tenant.order(number="LINK-2002")
    made = link(tenant, "packing_slip", second, first, second, role="staff")
    assert made.status_code == 200, made.text
    assert made.json()["order_ids"] == [second, first]  # each order once
    text = pages(fetch(tenant, made.json()["url"]).content)
    assert len(text) == 2
    assert "LINK-2002" in text[0] and "LINK-2001" in text[1]


def test_a_label_link_needs_the_label_printed_and_opens_a_four_by_six_page(
    tenant: Tenant,
) -> None:
    order_id = tenant.order("ready_to_ship", number="LINK-3001")
    refused = link(tenant, "label", order_id)
    assert refused.status_code == 409
    assert "no shipping label yet for order LINK-3001" in refused.json()["detail"]

    with tenant.client() as c:
        printed = c.post("/api/documents/print", json={"kind": "label", "order_ids": [order_id]})
        assert printed.json()["printed"] == 1, printed.text
    made = link(tenant, "label", order_id)
    assert made.status_code == 200, made.text
    assert made.json()["url"].startswith("/api/documents/signed/labels.pdf?")
    r = fetch(tenant, made.json()["url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    (page,) = PdfReader(io.BytesIO(r.content)).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    assert "LINK-3001" in page.extract_text()


def test_an_expired_link_is_gone_with_a_sentence(api: ServerThread, tenant: Tenant) -> None:
    assert api.settings is not None
    order_id = tenant.order()
    expired = signed_path(
        api.settings.secret_key,
        DocumentKind.PACKING_SLIP,
        tenant.vendor_id,
        [order_id],
        int(time.time()) - 1,
    )
    r = fetch(tenant, expired)
    assert r.status_code == 410, r.text
    assert "document link expired" in r.json()["detail"]
    assert "open the document from the app again" in r.json()["detail"]


def test_a_changed_link_is_refused(tenant: Tenant) -> None:
    mine, other_of_mine = tenant.order(), tenant.order()
    url = link(tenant, "packing_slip", mine).json()["url"]
    sig = dict(parse_qsl(urlsplit(url).query))["sig"]
    exp = int(dict(parse_qsl(urlsplit(url).query))["exp"])
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    for changed in (
        with_query(url, sig=flipped),
        with_query(url, sig="é" * 64),  # not even hex: still a plain refusal
        with_query(url, exp=str(exp + 3600)),  # a longer life
        with_query(url, order_id=[mine, other_of_mine]),  # more orders
        with_query(url, order_id=[other_of_mine]),  # another order
        url.replace("/packing-slips.pdf", "/labels.pdf"),  # another kind of document
    ):
        r = fetch(tenant, changed)
        assert r.status_code == 403, (changed, r.text)
        assert "document link is not valid" in r.json()["detail"]
    assert fetch(tenant, url).status_code == 200  # the real one still works


def test_a_link_without_its_signature_or_expiry_is_a_clear_bad_request(tenant: Tenant) -> None:
    url = link(tenant, "packing_slip", tenant.order()).json()["url"]
    parts = urlsplit(url)
    for dropped in ("sig", "exp"):
        kept = [(k, v) for k, v in parse_qsl(parts.query) if k != dropped]
        r = fetch(tenant, f"{parts.path}?{urlencode(kept)}")
        assert r.status_code == 400, r.text
        assert dropped in r.json()["detail"]
    r = fetch(tenant, with_query(url, exp="soon"))
    assert r.status_code == 400, r.text


def test_links_never_reach_another_vendors_orders(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = other_tenant.order(number="THEIRS-LINK")
    # Asking for a link to their order: not found, exactly as an unknown order.
    refused = link(tenant, "packing_slip", theirs)
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"order {theirs!r} not found"

    url = link(tenant, "packing_slip", tenant.order()).json()["url"]
    for swapped in (
        with_query(url, order_id=[theirs]),
        with_query(url, vendor=other_tenant.vendor_id),
        with_query(url, vendor=other_tenant.vendor_id, order_id=[theirs]),
    ):
        r = fetch(tenant, swapped)
        assert r.status_code == 403, r.text
        assert "THEIRS-LINK" not in r.text


def test_asking_for_a_link_needs_a_signed_in_user(tenant: Tenant) -> None:
    r = httpx.post(
        tenant.base_url + "/api/documents/links",
        json={"kind": "packing_slip", "order_ids": [tenant.order()]},
    )
    assert r.status_code == 401
