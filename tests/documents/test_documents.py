"""Packing slips and labels render as real PDFs whose barcodes scan back to the order."""

from __future__ import annotations

import io

import httpx
import pypdfium2
import zxingcpp
from pypdf import PdfReader

from tests.support import Tenant, intake_order


def _pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _barcodes(pdf: bytes, page: int = 0) -> list[str]:
    """Rasterise a page at 300 dpi and decode every barcode on it (as a scanner would)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=300 / 72).to_pil()
    finally:
        doc.close()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def _new_order(tenant: Tenant, **kw: object) -> dict[str, object]:
    r = tenant.intake(intake_order(**kw))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _ready_to_ship(c: httpx.Client, order_id: str) -> None:
    for body in (
        {"action": "start_processing"},
        {"action": "pick", "code": "MUG-1", "quantity": 2},
        {"action": "pick", "code": "TOTE-2"},
        {"action": "inspect"},
        {"action": "pack", "package_type": "Small box", "weight_grams": 850},
        {"action": "print_slip"},
    ):
        r = c.post(f"/api/orders/{order_id}/actions", json=body)
        assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "ready_to_ship"


def test_packing_slip_shows_the_order_and_its_barcode_scans_to_the_order_number(
    tenant: Tenant,
) -> None:
    made = _new_order(tenant, number="PS-20001")
    with tenant.client() as c:
        c.post(
            f"/api/orders/{made['order_id']}/notes",
            json={"kind": "packaging_instruction", "text": "Wrap the mug in two layers"},
        )
        r = c.get(f"/api/orders/{made['order_id']}/packing-slip.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    text = _pdf_text(r.content)[0]
    for expected in (
        "PACKING SLIP",
        "PS-20001",
        "MUG-1",
        "TOTE-2",
        "A-01-1",
        "Casey Customer",
        "Springfield",
        "Wrap the mug",
    ):
        assert expected in text, expected
    assert "PS-20001" in _barcodes(r.content)


def test_label_is_exactly_four_by_six_inches_and_its_barcode_is_the_tracking_number(
    tenant: Tenant,
) -> None:
    made = _new_order(tenant)
    with tenant.client() as c:
        _ready_to_ship(c, str(made["order_id"]))
        printed = c.post(
            "/api/documents/print", json={"kind": "label", "order_ids": [made["order_id"]]}
        )
        assert printed.status_code == 200, printed.text
        assert printed.json()["printed"] == 1
        detail = c.get(f"/api/orders/{made['order_id']}").json()["order"]
        tracking = detail["tracking_number"]
        assert tracking.startswith("SFD") and len(tracking) == 13
        assert detail["label_printed_at"] is not None
        r = c.get(printed.json()["download_url"])
    assert r.status_code == 200
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    assert tracking in _barcodes(r.content)
    text = _pdf_text(r.content)[0]
    assert "Shipfloor Demo Post" in text and "Springfield" in text and tracking in text


def test_label_before_it_was_issued_is_refused_with_the_reason(tenant: Tenant) -> None:
    made = _new_order(tenant)
    with tenant.client() as c:
        r = c.get(f"/api/orders/{made['order_id']}/label.pdf")
    assert r.status_code == 409
    assert "print it first" in r.json()["detail"]


def test_printing_a_label_twice_keeps_the_same_tracking_number(tenant: Tenant) -> None:
    made = _new_order(tenant)
    with tenant.client() as c:
        _ready_to_ship(c, str(made["order_id"]))
        numbers = []
        for _ in range(2):
            c.post("/api/documents/print", json={"kind": "label", "order_ids": [made["order_id"]]})
            numbers.append(
                c.get(f"/api/orders/{made['order_id']}").json()["order"]["tracking_number"]
            )
    assert numbers[0] == numbers[1]


def test_bulk_slips_record_the_step_per_order_and_render_one_pdf(tenant: Tenant) -> None:
    ids = [str(_new_order(tenant)["order_id"]) for _ in range(3)]
    with tenant.client() as c:
        cancelled = c.post(f"/api/orders/{ids[1]}/actions", json={"action": "cancel"})
        assert cancelled.status_code == 200
        r = c.post(
            "/api/documents/print", json={"kind": "packing_slip", "order_ids": [*ids, "nope"]}
        )
        body = r.json()
        assert [x["ok"] for x in body["results"]] == [True, False, True, False]
        assert body["results"][1]["code"] == "wrong_status"
        assert body["results"][3]["code"] == "not_found"
        pdf = c.get(body["download_url"])
        timeline = c.get(f"/api/orders/{ids[0]}").json()["timeline"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    assert any(e["kind"] == "print_slip" for e in timeline)


def test_documents_of_another_vendor_are_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    made = _new_order(tenant)
    with other_tenant.client() as c:
        assert c.get(f"/api/orders/{made['order_id']}/packing-slip.pdf").status_code == 404
        assert (
            c.get(
                "/api/documents/packing-slips.pdf", params={"order_id": str(made["order_id"])}
            ).status_code
            == 404
        )
        r = c.post(
            "/api/documents/print", json={"kind": "packing_slip", "order_ids": [made["order_id"]]}
        )
        assert r.json()["results"][0]["code"] == "not_found"
