"""The server answers over real HTTP on both databases."""

from __future__ import annotations

import httpx

from tests.support import ServerThread, Tenant, intake_order


def test_readiness_checks_the_database(api: ServerThread, backend: str) -> None:
    r = httpx.get(f"{api.url}/health/ready")
    assert r.status_code == 200
    assert r.json()["database"] == backend


def test_intake_order_appears_in_the_list(tenant: Tenant) -> None:
    r = tenant.intake(intake_order())
    assert r.status_code == 201, r.text
    with tenant.client() as c:
        page = c.get("/api/orders").json()
    assert [o["id"] for o in page["items"]] == [r.json()["order_id"]]
