"""The metrics dashboard's view model against the real server on 127.0.0.1.

A fresh vendor gets a small history whose figures are known by hand: orders are walked
through the API (shipped with their own tracking numbers, carrier events posted through the
signed webhook), then their moments are set relative to now, since the server computes the
trailing windows from its own clock. Hours are whole numbers, so each figure is exact.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from mobile.prefs import MemoryPreferences
from mobile.session import Session, SessionKeeper
from mobile.viewmodels.metrics import (
    MetricsReport,
    MetricsViewModel,
    RestMetricsSource,
    Standing,
)
from mobile.viewmodels.signin import SignInViewModel
from server.db import create_engine, session_factory
from server.orders.models import OrderRow
from server.signing import sign
from server.tracking import service as tracking
from tests.support import ServerThread, Tenant, free_port


def in_a_thread(work: Any, *args: Any) -> Any:
    """Run blocking helpers (they start their own event loops) off the test's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work, *args).result()


def ship_with_tracking(tenant: Tenant) -> tuple[str, str]:
    """A new order shipped by UPS under a tracking number of its own."""
    number = "1Z" + uuid.uuid4().hex[:16].upper()
    order_id = tenant.order("ready_to_ship")
    for command in (
        {"action": "print_label"},
        {"action": "attach_label"},
        {"action": "ship", "carrier": "ups", "tracking_number": number},
    ):
        assert tenant.act(order_id, command).status_code == 200
    return order_id, number


def carrier_scan(api: ServerThread, tracking_number: str) -> None:
    """UPS reports the parcel in transit, through the signed webhook."""
    assert api.settings is not None
    body = json.dumps(
        {
            "event_id": f"ev-{uuid.uuid4()}",
            "tracking_number": tracking_number,
            "status": "in_transit",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    stamp = str(int(time.time()))
    signature = sign(tracking.webhook_secret(api.settings, "ups"), stamp, body)
    r = httpx.post(
        f"{api.url}/api/tracking/ups/events",
        content=body,
        headers={"X-Shipfloor-Timestamp": stamp, "X-Shipfloor-Signature": signature},
    )
    assert r.status_code == 202, r.text


async def set_moments(database_url: str, order_id: str, **moments: Any) -> None:
    """Rewrite an order's timestamps (and cancel reason) straight in the database."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await session.execute(update(OrderRow).where(OrderRow.id == order_id).values(**moments))
            await session.commit()
    finally:
        await engine.dispose()


def build_history(api: ServerThread, tenant: Tenant, database_url: str) -> None:
    """Five orders whose every figure is worked out in the tests below."""
    now = datetime.now(UTC).replace(microsecond=0)

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    a, a_tracking = ship_with_tracking(tenant)
    b, _ = ship_with_tracking(tenant)  # no carrier scan: not valid tracking
    e, e_tracking = ship_with_tracking(tenant)
    carrier_scan(api, a_tracking)
    carrier_scan(api, e_tracking)
    assert tenant.act(e, {"action": "deliver"}).status_code == 200
    c = tenant.order("cancelled")
    d = tenant.order()
    moments: dict[str, dict[str, Any]] = {
        # A: paid 3 days ago, shipped 20 h later, before its ship-by (1 day ago).
        a: {"paid_at": ago(3), "ship_by": ago(1), "shipped_at": ago(3) + timedelta(hours=20)},
        # B: paid 4 days ago, ship-by 2 days ago, shipped 1 day ago: late, after 72 h.
        b: {"paid_at": ago(4), "ship_by": ago(2), "shipped_at": ago(1)},
        # C: placed 2 days ago, cancelled by the seller (out of stock) before shipping.
        c: {"paid_at": ago(2), "ship_by": ago(-1), "cancelled_at": ago(2) + timedelta(hours=1)},
        # D: paid 10 days ago, ship-by 8 days ago, never shipped: late (30 days only).
        d: {"paid_at": ago(10), "ship_by": ago(8)},
        # E: paid 20 days ago, shipped after 30 h, delivered 15 days ago, well on time.
        e: {
            "paid_at": ago(20),
            "ship_by": ago(18),
            "shipped_at": ago(20) + timedelta(hours=30),
            "delivered_at": ago(15),
        },
    }
    for order_id, values in moments.items():
        values["created_at"] = values["paid_at"]
        if order_id == c:
            values["cancel_reason"] = "out_of_stock"
        asyncio.run(set_moments(database_url, order_id, **values))


@pytest.fixture
async def session(api: ServerThread, tenant: Tenant) -> AsyncIterator[Session]:
    """The tenant's owner, signed in through the sign-in view model."""
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=f"ws://127.0.0.1:{api.port}")
    vm.email, vm.password = tenant.owner_email, tenant.password
    signed_in = await vm.sign_in()
    assert signed_in is not None, vm.error
    yield signed_in
    await signed_in.api.aclose()


@pytest.fixture
async def loaded(
    api: ServerThread, tenant: Tenant, database_url: str, session: Session
) -> tuple[MetricsViewModel, dict[str, Any]]:
    """The view model loaded over the history, and what the API itself answers."""
    in_a_thread(build_history, api, tenant, database_url)
    vm = MetricsViewModel(RestMetricsSource(session.api))
    redraws: list[int] = []
    vm.subscribe(lambda: redraws.append(1))
    await vm.load()
    assert vm.error is None and not vm.loading
    assert redraws  # the view heard about it
    said = in_a_thread(lambda: tenant.get("/api/metrics").json())
    return vm, said


def cards(vm: MetricsViewModel) -> dict[str, tuple[str, Standing]]:
    """Each card's value and standing."""
    return {c.key: (c.value, c.standing) for c in vm.cards}


async def test_the_thirty_day_window_is_worded_from_what_the_api_says(
    loaded: tuple[MetricsViewModel, dict[str, Any]],
) -> None:
    vm, said = loaded
    assert vm.window_days == 30
    window = next(w for w in said["windows"] if w["days"] == 30)
    late = window["late_shipment_rate"]
    assert (late["numerator"], late["denominator"], late["ok"]) == (2, 4, False)  # B and D
    assert cards(vm) == {
        "late_shipment_rate": ("50.0 %", Standing.MISSES),
        "cancellation_rate": ("20.0 %", Standing.MISSES),  # C of five placed
        "valid_tracking_rate": ("66.7 %", Standing.MISSES),  # A and E of A, B, E
        "on_time_delivery_rate": ("100.0 %", Standing.MEETS),  # E
        "average_hours": ("40.7 h", Standing.INFO),  # (20 + 72 + 30) / 3
        "p90_hours": ("72.0 h", Standing.INFO),
        "within_24h": ("33.3 %", Standing.INFO),
        "within_48h": ("66.7 %", Standing.INFO),
    }
    by_key = {c.key: c for c in vm.cards}
    assert by_key["late_shipment_rate"].threshold == "Amazon: under 4 %"
    assert by_key["cancellation_rate"].threshold == "Amazon: under 2.5 %"
    assert by_key["valid_tracking_rate"].threshold == "Amazon; Etsy Star Seller: at least 95 %"
    assert by_key["on_time_delivery_rate"].threshold == "Amazon: at least 97 %"
    assert by_key["late_shipment_rate"].detail == "2 of 4 orders due were shipped late"
    assert by_key["average_hours"].detail == "over 3 shipped orders"
    assert "ship-by" in by_key["late_shipment_rate"].definition
    assert by_key["late_shipment_rate"].semantics == (
        "Late shipment rate: 50.0 %, Misses the threshold, Amazon: under 4 %"
    )
    assert vm.summary == "Last 30 days: 1 of 4 thresholds met."
    assert [c.key for c in vm.missed] == [
        "late_shipment_rate",
        "cancellation_rate",
        "valid_tracking_rate",
    ]


async def test_the_seven_day_window_leaves_older_orders_out(
    loaded: tuple[MetricsViewModel, dict[str, Any]],
) -> None:
    vm, said = loaded
    heard: list[int] = []
    vm.subscribe(lambda: heard.append(vm.window_days))
    vm.select_window(7)
    assert heard == [7]
    assert cards(vm) == {
        "late_shipment_rate": ("50.0 %", Standing.MISSES),  # B of A and B
        "cancellation_rate": ("33.3 %", Standing.MISSES),  # C of A, B, C
        "valid_tracking_rate": ("50.0 %", Standing.MISSES),  # A of A and B
        "on_time_delivery_rate": ("—", Standing.NO_DATA),  # nothing delivered this week
        "average_hours": ("46.0 h", Standing.INFO),
        "p90_hours": ("72.0 h", Standing.INFO),
        "within_24h": ("50.0 %", Standing.INFO),
        "within_48h": ("50.0 %", Standing.INFO),
    }
    window = next(w for w in said["windows"] if w["days"] == 7)
    assert window["on_time_delivery_rate"]["value"] is None
    assert {c.key: c.verdict for c in vm.cards}["on_time_delivery_rate"] == (
        "Nothing to measure yet"
    )
    assert vm.summary == "Last 7 days: 0 of 3 thresholds met."
    with pytest.raises(ValueError, match="window must be one of"):
        vm.select_window(14)


async def test_the_charts_follow_the_days_the_api_sends(
    loaded: tuple[MetricsViewModel, dict[str, Any]],
) -> None:
    vm, said = loaded
    assert len(said["daily"]) == 30
    bars = vm.deadline_bars
    assert len(bars) == 30
    assert [b.day.isoformat() for b in bars] == [d["day"] for d in said["daily"]]
    assert (sum(b.met for b in bars), sum(b.missed for b in bars)) == (2, 2)  # A, E | B, D
    points = [p for p in vm.ship_time_points if p.hours is not None]
    assert sorted(p.hours for p in points if p.hours is not None) == [20.0, 30.0, 72.0]
    assert vm.deadline_summary == "Ship-by deadlines, last 30 days: 2 met, 2 missed"
    assert vm.ship_time_summary.startswith("Hours to ship, last 30 days: 3 shipped, slowest day")

    vm.select_window(7)
    assert len(vm.deadline_bars) == 7
    assert [b.day.isoformat() for b in vm.deadline_bars] == [d["day"] for d in said["daily"][-7:]]
    assert (sum(b.met for b in vm.deadline_bars), sum(b.missed for b in vm.deadline_bars)) == (
        1,
        1,
    )


async def test_a_new_vendor_sees_nothing_to_measure_rather_than_perfect_scores(
    session: Session,
) -> None:
    vm = MetricsViewModel(RestMetricsSource(session.api), window_days=7)
    await vm.load()
    assert vm.error is None
    rated = [c for c in vm.cards if c.key.endswith("_rate")]
    assert len(rated) == 4 and all(c.standing is Standing.NO_DATA for c in rated)
    assert all(c.value == "—" for c in vm.cards)
    assert vm.summary == "Last 7 days: nothing to measure yet."
    assert vm.ship_time_summary == "Hours to ship, last 7 days: nothing shipped"
    assert vm.updated.startswith("Updated ")


async def test_an_unreachable_server_is_said_and_the_last_figures_stay(session: Session) -> None:
    vm = MetricsViewModel(RestMetricsSource(session.api))
    await vm.load()
    shown = vm.report
    assert isinstance(shown, MetricsReport)

    # The connection drops: the same client now points at a port nobody listens on.
    session.api.base_url = f"http://127.0.0.1:{free_port()}"
    await vm.load()
    assert vm.error == "Cannot reach the server: the metrics need a connection. Try again."
    assert vm.report is shown and not vm.loading and vm.cards


async def test_staff_see_the_same_figures_read_only(api: ServerThread, tenant: Tenant) -> None:
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=f"ws://127.0.0.1:{api.port}")
    vm.email, vm.password = tenant.staff_email, tenant.password
    staff = await vm.sign_in()
    assert staff is not None and staff.user.role == "staff", vm.error
    try:
        metrics = MetricsViewModel(RestMetricsSource(staff.api))
        await metrics.load()
        assert metrics.error is None
        assert metrics.report is not None and metrics.report.vendor_id == tenant.vendor_id
    finally:
        await staff.api.aclose()
