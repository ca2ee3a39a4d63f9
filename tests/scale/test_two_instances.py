"""Two server processes on one PostgreSQL database behave as one server.

Two ``shipfloor run`` processes (nothing shared but the database and ``SECRET_KEY``), and
devices whose requests go to either instance, switching at random as a load balancer
without sticky sessions would send them, each instance behind its own fault-injecting
proxy. The workload is the convergence test's (its devices, random floor work and
checks). Once the network heals:

- every device store equals the server state, every mutation was taken exactly once or
  refused with a reason the device keeps (a push retried at the other instance gets the
  recorded answer);
- each outbox item reached each target once, though both instances' dispatchers worked
  the outbox at once (``FOR UPDATE SKIP LOCKED``);
- dashboard streams on either instance heard of every new order, whichever instance took
  it (LISTEN/NOTIFY).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import queue
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from mobile.sync import Backoff, SyncScheduler
from server.migrate import upgrade_sync
from tests import support
from tests.faultproxy import FaultProxy
from tests.mobile.devices import (
    Device,
    assert_each_taken_once_or_refused,
    device_view,
    open_device,
    replay,
    same_notes,
    seed_orders,
    seller,
    server_view,
    sessions,
)
from tests.mobile.helpers import poll_until
from tests.mobile.test_convergence import FAULTS, ZONES, _settle, _until_synced
from tests.mobile.workload import act_randomly
from tests.notifications.conftest import SmtpSink
from tests.notifications.helpers import eventually, subscribe, vapid_key
from tests.notifications.push_service import PushClient
from tests.notifications.test_events import listen
from tests.scale.instances import ServerProcess
from tests.support import Tenant, db_value, fresh_database, intake_order

DEVICES = 12
MUTATIONS = 120
ORDERS = 20
#: push subscriptions of the owner (half made through each instance)
SUBSCRIPTIONS = 6


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database of this module's own, migrated to head."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("two-instances")) as url:
        upgrade_sync(url)
        yield url


def notify_env(smtp: SmtpSink, secret: str) -> dict[str, str]:
    """Shared secret, delivery to the test services, small claims so both dispatchers work."""
    return {
        "SECRET_KEY": secret,
        "PUSH_ALLOW_HTTP": "1",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "0",
        "NOTIFY_POLL_SECONDS": "0.2",
        "NOTIFY_LEASE_SECONDS": "15",
        "NOTIFY_BACKOFF_SECONDS": "0.3",
        "NOTIFY_BATCH_SIZE": "4",
        "NOTIFY_CONCURRENCY": "4",
        "NOTIFY_DELAY_CHECK_SECONDS": "3600",
        "EVENTS_KEEPALIVE_SECONDS": "1",
        "LOG_LEVEL": "warning",
    }


def db_rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Every row of one query, straight from the database."""
    from sqlalchemy import text

    from server.db import create_engine

    async def read() -> list[tuple[Any, ...]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in await conn.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def new_orders_heard(events: queue.Queue[Any]) -> set[str]:
    """The order ids of every ``new_order`` event a stream delivered so far."""
    seen: set[str] = set()
    while True:
        try:
            kind, _event_id, data = events.get_nowait()
        except queue.Empty:
            return seen
        assert kind != "status", data
        if kind == "new_order":
            seen.add(json.loads(data)["order_id"])


async def test_two_instances_on_one_postgresql_act_as_one_server(
    pg_url: str, smtp: SmtpSink, push: PushClient, tmp_path: Path
) -> None:
    started = time.monotonic()
    secret = "two-instances-" + uuid.uuid4().hex
    env = notify_env(smtp, secret)
    a = ServerProcess("a", pg_url, tmp_path / "a", env)
    b = ServerProcess("b", pg_url, tmp_path / "b", env)
    await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
    instances = (a, b)
    try:
        with ExitStack() as streams:
            await _run(a, b, pg_url, secret, smtp, push, tmp_path, streams, started)
        for instance in instances:  # a graceful stop (SIGTERM) ends cleanly
            # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean exit
            assert instance.stop() in (0, -signal.SIGTERM), instance.tail()
            assert "Traceback" not in instance.tail(400), instance.tail(400)
    finally:
        for instance in instances:
            instance.kill()


async def _run(
    a: ServerProcess,
    b: ServerProcess,
    pg_url: str,
    secret: str,
    smtp: SmtpSink,
    push: PushClient,
    tmp_path: Path,
    streams: ExitStack,
    started: float,
) -> None:
    settings = support.test_settings(pg_url, tmp_path / "client", secret_key=secret)
    shop = await asyncio.to_thread(seller, a.url, pg_url, settings)
    at_b = dataclasses.replace(shop, base_url=b.url)
    # One VAPID key pair for the whole deployment: it lives in the database.
    assert await asyncio.to_thread(vapid_key, a.url) == await asyncio.to_thread(vapid_key, b.url)
    subs = await asyncio.to_thread(subscribe, shop, push, "owner", SUBSCRIPTIONS // 2, "sa")
    subs += await asyncio.to_thread(subscribe, at_b, push, "owner", SUBSCRIPTIONS // 2, "sb")
    for sub in subs:  # slow answers: deliveries pile up, and both dispatchers take some
        await asyncio.to_thread(push.script, sub["push_id"], delay=0.03)

    bearer = {"Authorization": f"Bearer {shop.owner_token}"}
    stream_a = streams.enter_context(listen(f"{a.url}/api/events", bearer))
    stream_b = streams.enter_context(listen(f"{b.url}/api/events", bearer))

    half = ORDERS // 2
    order_ids = await asyncio.to_thread(seed_orders, shop, half, processing=half // 2)
    order_ids += await asyncio.to_thread(seed_orders, at_b, half, processing=half // 2)

    proxies = [
        await FaultProxy(a.port, FAULTS, seed=11).start(),
        await FaultProxy(b.port, FAULTS, seed=12).start(),
    ]
    devices = [
        open_device(
            tmp_path / f"d{i:02d}.db", proxies[i % 2].url, session, name=f"d{i:02d}", timeout=30
        )
        for i, session in enumerate(sessions(pg_url, settings, shop.staff_email, DEVICES))
    ]
    schedulers = [
        SyncScheduler(
            d.client,
            interval=5.0,
            debounce=0.15,
            max_debounce=0.5,
            backoff=Backoff(base=0.05, cap=1.0, rng=random.Random(i)),
        )
        for i, d in enumerate(devices)
    ]
    for s in schedulers:
        s.start()

    made = 0
    total = DEVICES * MUTATIONS
    rng = random.Random(2027)

    async def balance(device: Device, seed: int) -> None:
        """Send the device's next requests to either instance (no sticky sessions)."""
        local = random.Random(seed)
        while made < total:
            await asyncio.sleep(local.uniform(0.1, 0.6))
            device.transport.base_url = local.choice(proxies).url

    async def work(device: Device, scheduler: SyncScheduler, seed: int) -> None:
        nonlocal made
        local = random.Random(seed)
        await poll_until(lambda: device.store.order_count() >= ORDERS, seconds=60, every=0.05)
        zone = int(device.name[1:]) % ZONES
        for _ in range(MUTATIONS):
            known = sorted(
                oid for (oid,) in device.store.conn.execute("SELECT id FROM orders").fetchall()
            )
            home = [oid for i, oid in enumerate(known) if i % ZONES == zone]
            device.made.append(act_randomly(device.store, known, local, home).mutation)
            made += 1
            scheduler.local_change()
            await asyncio.sleep(local.uniform(0, 0.06))

    async def intake() -> None:
        turn = 0
        while made < total * 0.9:
            await asyncio.sleep(0.3)
            tenant: Tenant = (shop, at_b)[turn % 2]
            turn += 1
            r = await asyncio.to_thread(tenant.intake, intake_order())
            assert r.status_code == 201, r.text
            order_ids.append(r.json()["order_id"])

    await asyncio.gather(
        *(work(d, s, rng.randrange(10**9)) for d, s in zip(devices, schedulers, strict=True)),
        *(balance(d, rng.randrange(10**9)) for d in devices),
        intake(),
    )
    worked = time.monotonic() - started
    for proxy in proxies:
        proxy.heal()
    await _until_synced(devices, seconds=60)
    for s in schedulers:
        await s.stop()
    for device in devices:
        await _settle(device)

    # --- convergence, as on one instance
    faults = sum(n for p in proxies for k, n in p.stats.items() if k not in ("pass", "delay"))
    assert faults >= 10, [p.stats for p in proxies]
    expected = await asyncio.to_thread(server_view, at_b, order_ids)
    assert expected == await asyncio.to_thread(server_view, shop, order_ids)
    for device in devices:
        assert device.store.order_count() == len(order_ids)
        mine_view = device_view(device.store, order_ids)
        for oid, (order, notes) in expected.items():
            assert mine_view[oid][0] == order, (device.name, oid)
            assert device.store.base_order(oid) == order, (device.name, oid)
            assert same_notes(mine_view[oid][1], notes), (device.name, oid)
    conflicts = {k.conflict.id for k in devices[0].store.conflicts(include_dismissed=True)}
    for device in devices[1:]:
        assert {k.conflict.id for k in device.store.conflicts(include_dismissed=True)} == conflicts
    refused = 0
    for i, device in enumerate(devices):
        # Replayed to the instance the device was least likely to have used last: each
        # instance answers from the records the other wrote.
        results = await replay(device, (a, b)[i % 2].url)
        assert_each_taken_once_or_refused(device, results)
        refused += sum(1 for r in results.values() if r.status == "rejected")
    assert await asyncio.to_thread(server_view, shop, order_ids) == expected, "taken twice"
    for proxy in proxies:
        await proxy.stop()
    for device in devices:
        await device.close()

    # --- the outbox: each item reached each target once, both dispatchers working it
    push_ids = {s["id"]: s["push_id"] for s in subs}
    unsent = "SELECT count(*) FROM notification_deliveries WHERE status != 'sent'"
    await asyncio.to_thread(eventually, lambda: db_value(pg_url, unsent) == 0, 60)
    deliveries = await asyncio.to_thread(
        db_rows,
        pg_url,
        "SELECT outbox_id, channel, target, claimed_by FROM notification_deliveries",
    )
    pushed = {(push_ids[t], o) for o, ch, t, _ in deliveries if ch == "push" and t in push_ids}
    received = Counter(
        (m["subscription"], m["message"]["data"]["id"])
        for m in await asyncio.to_thread(push.received)
        if m["subscription"] in push_ids.values()
    )
    assert set(received) == pushed
    assert max(received.values()) == 1, [p for p, n in received.items() if n > 1]
    new_order_pushes = {
        (m["subscription"], m["message"]["data"]["order_id"])
        for m in await asyncio.to_thread(push.received)
        if m["subscription"] in push_ids.values() and m["message"]["data"]["kind"] == "new_order"
    }
    assert new_order_pushes == {(p, o) for p in push_ids.values() for o in order_ids}
    claimers = {by for _, ch, _, by in deliveries if ch == "push"}
    assert len(claimers) == 2, "both instances' dispatchers should have delivered some"
    emails = [d for d in deliveries if d[1] == "email" and d[2] == shop.owner_email]
    mails = await asyncio.to_thread(smtp.wait_for, shop.owner_email, len(emails), 30)
    assert len(mails) == len(emails) >= len(order_ids)
    assert len({m.message["Message-ID"] for m in mails}) == len(mails)

    # --- live events: every new order reached the streams of both instances
    heard_a: set[str] = set()
    heard_b: set[str] = set()

    def heard_all() -> bool:
        heard_a.update(new_orders_heard(stream_a))
        heard_b.update(new_orders_heard(stream_b))
        return heard_a >= set(order_ids) and heard_b >= set(order_ids)

    await asyncio.to_thread(eventually, heard_all, 20)
    assert heard_a == heard_b == set(order_ids)
    print(
        f"\ntwo instances: {total} mutations, {refused} refused, {len(conflicts)} conflicts, "
        f"{len(order_ids)} orders, {len(pushed)} pushes, {len(mails)} emails, faults {[p.stats for p in proxies]}; "
        f"worked {worked:.1f}s, total {time.monotonic() - started:.1f}s"
    )
