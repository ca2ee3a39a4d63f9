"""PostgreSQL drops the server's connections (a restart, a failover, an idle-killer): the
next request is answered 503 with Retry-After, stores nothing, and the one after works.

The server does not ping a connection before each use (it cost three round trips a
request), so this is what a lost connection looks like from outside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.app import create_app
from server.migrate import upgrade_sync
from tests.support import ServerThread, Tenant, db_value, fresh_database, make_tenant
from tests.support import test_settings as server_settings
from tests.sync.calls import mutation, new_order, order_of


@pytest.fixture
def pg_server(tmp_path: Path) -> Iterator[tuple[ServerThread, Tenant, str]]:
    with fresh_database("postgresql", tmp_path) as url:
        upgrade_sync(url)
        settings = server_settings(url, tmp_path / "data")
        # No dispatcher: its own queries would meet the dropped connection first.
        settings = dataclasses.replace(
            settings,
            notifications=dataclasses.replace(settings.notifications, dispatcher=False),
        )
        server = ServerThread(create_app(settings), settings=settings).start()
        try:
            yield server, make_tenant(server.url, url, settings=settings), url
        finally:
            server.stop()


#: ends every other connection to the database this statement runs in: the server's pool
DROP_OTHERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def test_a_push_on_a_dropped_connection_is_refused_whole_and_retried_once(
    pg_server: tuple[ServerThread, Tenant, str],
) -> None:
    _, tenant, database_url = pg_server
    order_id = new_order(tenant)
    with tenant.client("staff") as client:
        assert order_of(client, order_id)["order"]["status"] == "new"  # the pool is warm
        assert db_value(database_url, DROP_OTHERS) >= 1

        batch = {"device_id": "dev-a", "mutations": [mutation(order_id, "start_processing")]}
        lost = client.post("/api/sync/push", json=batch)
        assert lost.status_code == 503, lost.text
        assert lost.headers["retry-after"] == "1"
        assert "database connection was lost" in lost.json()["detail"]

        again = client.post("/api/sync/push", json=batch)  # the device's retry
        assert again.status_code == 200, again.text
        (result,) = again.json()["results"]
        # Applied now, not "already seen": the refused attempt stored nothing.
        assert result["status"] == "applied"
        detail = order_of(client, order_id)
    assert detail["order"]["status"] == "processing"
    started = [e for e in detail["timeline"] if e["kind"] == "start_processing"]
    assert len(started) == 1
