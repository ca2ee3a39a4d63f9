"""Routes, list rows and on-screen formats: pure functions, no server needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mobile import routes
from mobile.api import normalise_server, origin_of
from mobile.routes import Screen
from mobile.store import OrderListItem
from mobile.viewmodels.format import money, plural
from mobile.viewmodels.orders import row_of
from shared.deadlines import Calendar, Urgency
from shared.types import OrderStatus

NEW_YORK = Calendar("America/New_York", "US")


def summary(status: OrderStatus, ship_by: datetime | None, pending: bool = False) -> OrderListItem:
    """A list row as the device store reads it."""
    return OrderListItem(
        id="o-1",
        number="SF10001",
        status=status,
        customer_name="Ava Adams",
        item_count=3,
        total_minor=4599,
        currency="USD",
        created_at=datetime(2025, 3, 3, tzinfo=UTC),
        ship_by=ship_by,
        carrier="",
        tracking_number="",
        version=1,
        pending=pending,
    )


def test_a_deep_link_to_an_order_is_the_order_route() -> None:
    route = routes.parse("/orders/0b5e-41")
    assert route.screen is Screen.ORDERS and route.order_id == "0b5e-41"
    assert route.path == "/orders/0b5e-41"
    assert routes.parse(route.path) == route


def test_unknown_paths_lead_to_the_order_list_and_only_sign_in_is_public() -> None:
    assert routes.parse("/") == routes.ORDERS
    assert routes.parse("/no/such/page") == routes.ORDERS
    assert routes.parse("/orders/") == routes.ORDERS
    assert routes.parse("/settings?x=1") == routes.SETTINGS
    assert not routes.parse("/login").needs_session
    assert routes.parse("/settings").needs_session


def test_the_default_server_is_where_the_page_came_from() -> None:
    assert origin_of("ws://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert origin_of("wss://shop.example") == "https://shop.example"
    assert origin_of("https://shop.example/orders/1") == "https://shop.example"  # Pyodide
    assert origin_of("tcp://127.0.0.1:5000") == ""  # a desktop app: no default
    assert origin_of(None) == ""


def test_typed_server_addresses_become_base_urls() -> None:
    assert normalise_server(" shop.example:8000/ ") == "http://shop.example:8000"
    assert normalise_server("https://shop.example/base/") == "https://shop.example/base"
    assert normalise_server("") == ""


def test_an_open_order_past_its_deadline_is_late() -> None:
    deadline = datetime(2025, 3, 7, 4, 59, 59, tzinfo=UTC)  # end of Thu 6 Mar in New York
    row = row_of(summary(OrderStatus.PROCESSING, deadline), NEW_YORK, deadline + timedelta(hours=1))
    assert (row.badge, row.urgency) == ("late", Urgency.LATE)
    assert row.ship_by == "Ship by Thu 6 Mar, 23:59"
    assert row.semantics == "Order SF10001, Ava Adams, Processing, late"
    waiting = row_of(summary(OrderStatus.PROCESSING, deadline, pending=True), NEW_YORK, deadline)
    assert waiting.pending
    assert waiting.semantics == "Order SF10001, Ava Adams, Processing, due today, waiting to sync"


def test_deadline_badges_count_down_in_the_vendors_day() -> None:
    deadline = datetime(2025, 3, 7, 4, 59, 59, tzinfo=UTC)
    for before, badge in [(2, "due today"), (30, "due in 30 h"), (24 * 4, "due in 4 d")]:
        now = deadline - timedelta(hours=before)
        assert row_of(summary(OrderStatus.NEW, deadline), NEW_YORK, now).badge == badge


def test_shipped_and_cancelled_orders_have_no_badge() -> None:
    deadline = datetime(2025, 3, 7, 4, 59, 59, tzinfo=UTC)
    for status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED):
        row = row_of(summary(status, deadline), NEW_YORK, deadline + timedelta(days=3))
        assert row.badge == "" and row.urgency is None


def test_an_unpaid_new_order_waits_for_payment() -> None:
    row = row_of(summary(OrderStatus.NEW, None), NEW_YORK, datetime.now(UTC))
    assert row.ship_by == "Waiting for payment" and row.badge == ""


def test_money_and_counts_read_naturally() -> None:
    assert money(4599, "USD") == "$45.99"
    assert money(123456, "EUR") == "€1,234.56"
    assert money(500, "JPY") == "¥500"
    assert money(1000, "CHF") == "10.00 CHF"
    assert plural(1, "item") == "1 item" and plural(3, "item") == "3 items"
