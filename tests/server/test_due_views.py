"""The processing-time views: overdue, due later today, due within 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.deadlines import Calendar, add_business_days, is_business_day, ship_by
from tests.support import Tenant, intake_order

NEW_YORK = Calendar("America/New_York", "US")


def paid_days_ago(tenant: Tenant, days: float, number: str) -> tuple[str, datetime]:
    """An order paid ``days`` ago; returns its id and ship-by."""
    paid = datetime.now(UTC) - timedelta(days=days)
    r = tenant.intake(
        intake_order(number=number, paid_at=paid.isoformat(), placed_at=paid.isoformat())
    )
    assert r.status_code == 201, r.text
    return r.json()["order_id"], ship_by(paid, NEW_YORK)


def view(tenant: Tenant, due: str) -> set[str]:
    return {o["id"] for o in tenant.get("/api/orders", due=due, limit=200).json()["items"]}


def test_each_open_order_is_in_the_views_its_ship_by_puts_it_in(tenant: Tenant) -> None:
    now = datetime.now(UTC)
    orders = {paid_days_ago(tenant, d, f"DUE-{i}") for i, d in enumerate((0, 1, 2, 3, 4, 6, 12))}
    shipped_late, _ = paid_days_ago(tenant, 12, "DUE-SHIPPED")
    tenant.act(shipped_late, {"action": "cancel"})  # closed orders are never due
    today_end = datetime.combine(
        now.astimezone(NEW_YORK.zone).date() + timedelta(days=1), datetime.min.time(), NEW_YORK.zone
    )
    expected = {
        "overdue": {i for i, s in orders if s < now},
        "today": {i for i, s in orders if now <= s < today_end},
        "24h": {i for i, s in orders if now <= s < now + timedelta(hours=24)},
    }
    assert expected["overdue"]  # the 12-day-old order at least
    for due, ids in expected.items():
        assert view(tenant, due) == ids, due
    counts = tenant.get("/api/orders/due-counts").json()
    assert counts == {due: len(ids) for due, ids in expected.items()}
    assert shipped_late not in view(tenant, "overdue")


def test_the_export_follows_the_due_view(tenant: Tenant) -> None:
    late, _ = paid_days_ago(tenant, 12, "LATE-1")
    paid_days_ago(tenant, 0, "FRESH-1")
    with tenant.client() as c:
        text = c.get("/api/orders/export.csv", params={"due": "overdue"}).text
    assert "LATE-1" in text and "FRESH-1" not in text and late


def test_an_unknown_view_is_a_400_naming_it(tenant: Tenant) -> None:
    r = tenant.get("/api/orders", due="yesterday")
    assert r.status_code == 400
    assert "due" in r.text


def test_business_day_helpers_agree_with_ship_by_for_a_weekday_payment() -> None:
    monday = datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert is_business_day(monday.date(), NEW_YORK)
    assert add_business_days(monday.date(), 3, NEW_YORK).isoformat() == "2026-12-03"
