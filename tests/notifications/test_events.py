"""Live dashboard events over Server-Sent Events, on one instance and across two."""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.migrate import upgrade_sync
from tests.notifications.conftest import SmtpSink, server_settings
from tests.support import ServerThread, Tenant, fresh_database, intake_order, make_tenant


@contextmanager
def listen(url: str, headers: dict[str, str] | None = None) -> Iterator[queue.Queue[Any]]:
    """Read an SSE stream in a thread; yields a queue of (event, id, data) once connected."""
    events: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()
    connected = threading.Event()

    def read() -> None:
        with httpx.Client(timeout=httpx.Timeout(30, read=5)) as client:
            try:
                with client.stream("GET", url, headers=headers or {}) as r:
                    if r.status_code != 200:
                        events.put(("status", r.status_code, r.read().decode()))
                        connected.set()
                        return
                    fields: dict[str, str] = {}
                    for line in r.iter_lines():
                        if line.startswith(":"):
                            connected.set()
                        elif line == "":
                            if "data" in fields:
                                events.put((fields.get("event"), fields.get("id"), fields["data"]))
                            fields = {}
                        else:
                            name, _, value = line.partition(": ")
                            fields[name] = value
                        if stop.is_set():
                            return
            except httpx.ReadTimeout:
                return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert connected.wait(10), "the stream did not open"
    try:
        yield events
    finally:
        stop.set()
        thread.join(10)


def next_event(events: queue.Queue[Any], kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next event of this type (earlier other types are skipped)."""
    while True:
        event, event_id, data = events.get(timeout=timeout)
        if event == kind:
            body: dict[str, Any] = json.loads(data)
            assert str(body["id"]) == event_id
            return body


def token_url(tenant: Tenant) -> str:
    """The stream's URL with a fresh events token (as a browser's EventSource opens it)."""
    with tenant.client() as c:
        r = c.post("/api/events/token")
    assert r.status_code == 200, r.text
    return f"{tenant.base_url}/api/events?token={r.json()['token']}"


def test_the_dashboard_hears_of_new_and_changed_orders(shop: Tenant, other_shop: Tenant) -> None:
    bearer = {"Authorization": f"Bearer {shop.owner_token}"}
    with listen(f"{shop.base_url}/api/events", bearer) as events:
        other_shop.intake(intake_order())  # another vendor's order: not ours to see
        r = shop.intake(intake_order())
        order_id = r.json()["order_id"]
        new = next_event(events, "new_order")
        assert new["order_id"] == order_id and new["number"] == r.json()["number"]
        assert new["item_count"] == 3 and new["total_minor"] == 5999
        shop.act(order_id, {"action": "start_processing"})
        changed = next_event(events, "order_changed")
        assert changed["order_id"] == order_id and changed["status"] == "processing"


def test_a_browser_opens_the_stream_with_a_short_lived_token(shop: Tenant) -> None:
    with listen(token_url(shop)) as events:
        r = shop.intake(intake_order())
        assert next_event(events, "new_order")["order_id"] == r.json()["order_id"]


def test_the_stream_refuses_strangers(shop: Tenant) -> None:
    url = f"{shop.base_url}/api/events"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, params={"token": shop.owner_token}).status_code == 401  # wrong audience
    r = httpx.get(url, headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


def test_a_reconnecting_client_gets_what_it_missed(shop: Tenant) -> None:
    bearer = {"Authorization": f"Bearer {shop.owner_token}"}
    with listen(f"{shop.base_url}/api/events", bearer) as events:
        first = shop.intake(intake_order()).json()["order_id"]
        seen = next_event(events, "new_order")
        assert seen["order_id"] == first
    missed = shop.intake(intake_order()).json()["order_id"]  # while disconnected
    resume = {**bearer, "Last-Event-ID": str(seen["id"])}
    with listen(f"{shop.base_url}/api/events", resume) as events:
        assert next_event(events, "new_order")["order_id"] == missed


def test_an_instance_hears_of_an_order_taken_by_another(
    smtp: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Several instances share one database only on PostgreSQL, so this test has its own
    # PostgreSQL database and two server instances on it, whatever the session's backend.
    with fresh_database("postgresql", tmp_path_factory.mktemp("two-instances")) as url:
        upgrade_sync(url)
        a = server_settings(url, tmp_path_factory.mktemp("instance-a"), smtp)
        b = dataclasses.replace(
            server_settings(url, tmp_path_factory.mktemp("instance-b"), smtp, dispatcher=False),
            secret_key=a.secret_key,
        )
        instance_a = ServerThread(create_app(a), settings=a).start()
        instance_b = ServerThread(create_app(b), settings=b).start()
        try:
            shop = make_tenant(instance_a.url, url, settings=a)
            bearer = {"Authorization": f"Bearer {shop.owner_token}"}
            with listen(f"{instance_a.url}/api/events", bearer) as events:
                intake_b = dataclasses.replace(shop, base_url=instance_b.url)
                r = intake_b.intake(intake_order())
                assert r.status_code == 201
                assert next_event(events, "new_order")["order_id"] == r.json()["order_id"]
        finally:
            instance_b.stop()
            instance_a.stop()
