"""Live dashboard events (Server-Sent Events) and the wake-up signal of dispatchers.

A notifying change announces itself in its own transaction:

- PostgreSQL: ``pg_notify('shipfloor_notify', …)``, which PostgreSQL delivers at commit (and
  never for a rolled-back change) to every instance that LISTENs — each instance keeps one
  asyncpg connection listening (:class:`PgListener`) and hands events to its :class:`Broker`;
- SQLite (one instance): the announcement waits in the session until SQLAlchemy's
  ``after_commit``, then goes to the brokers of this process (:data:`LOCAL_HUB`).

The outbox rows are also the replay log: a client that reconnects with ``Last-Event-ID``
gets what it missed, from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from server.accounts.security import Actor, decode_token, issue_token
from server.notifications.schemas import DashboardEvent

log = logging.getLogger("shipfloor.notifications")

CHANNEL = "shipfloor_notify"
_PENDING = "shipfloor.notifications.pending"
_encoder = msgspec.json.Encoder()

#: a message that tells every stream to re-read the log (the listener reconnected)
RESYNC: dict[str, Any] = {"resync": True}

Listener = Callable[[dict[str, Any]], None]


# ---------------------------------------------------------------- announcing


async def announce(
    session: AsyncSession, vendor_id: str, event: DashboardEvent | None, wake: bool
) -> None:
    """Tell every instance, once the session's transaction commits, about a new outbox row."""
    await announce_many(session, vendor_id, [event] if event is not None else [], wake)


#: NOTIFY payloads are limited to 8000 bytes; events are packed into messages below this
_NOTIFY_BYTES = 7000


async def announce_many(
    session: AsyncSession, vendor_id: str, events: list[DashboardEvent], wake: bool
) -> None:
    """:func:`announce` for several outbox rows: as few messages as fit (a sync batch)."""
    bodies: list[dict[str, Any]] = []
    body: dict[str, Any] = {"v": vendor_id, "w": wake, "es": []}
    size = 0
    for ev in events:
        item = msgspec.to_builtins(ev)
        item_size = len(_encoder.encode(item))
        if body["es"] and size + item_size > _NOTIFY_BYTES:
            bodies.append(body)
            body, size = {"v": vendor_id, "w": wake, "es": []}, 0
        body["es"].append(item)
        size += item_size
    bodies.append(body)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # NOTIFY is transactional: delivered at commit, dropped on rollback.
        for b in bodies:
            await session.execute(select(func.pg_notify(CHANNEL, json.dumps(b))))
        return
    pending = session.info.setdefault(_PENDING, [])
    pending.extend((str(bind.engine.url), b) for b in bodies)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for database, body in session.info.pop(_PENDING, ()):
        LOCAL_HUB.deliver(database, body)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


class LocalHub:
    """Listeners of this process, by database: how SQLite announcements travel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = {}

    def add(self, database: str, listener: Listener) -> None:
        """Hear every announcement committed to ``database`` in this process."""
        with self._lock:
            self._listeners.setdefault(database, []).append(listener)

    def remove(self, database: str, listener: Listener) -> None:
        """Stop hearing them."""
        with self._lock:
            listeners = self._listeners.get(database, [])
            if listener in listeners:
                listeners.remove(listener)

    def deliver(self, database: str, body: dict[str, Any]) -> None:
        """Hand an announcement to each listener (they are thread-safe)."""
        with self._lock:
            listeners = list(self._listeners.get(database, ()))
        for listener in listeners:
            listener(body)


LOCAL_HUB = LocalHub()


# ---------------------------------------------------------------- receiving


class Broker:
    """This instance's live streams, by vendor; safe to feed from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    def subscribe(self, vendor_id: str) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the vendor's events (call from the broker's loop)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._queues.setdefault(vendor_id, set()).add(queue)
        return queue

    def unsubscribe(self, vendor_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Forget a stream's queue."""
        queues = self._queues.get(vendor_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[vendor_id]

    def publish(self, body: dict[str, Any]) -> None:
        """Queue an announcement for the vendor's streams (from any thread)."""
        self.loop.call_soon_threadsafe(self._publish, body)

    def resync(self) -> None:
        """Ask every stream to re-read the log (announcements may have been missed)."""
        self.loop.call_soon_threadsafe(self._resync)

    def _publish(self, body: dict[str, Any]) -> None:
        for queue in self._queues.get(body["v"], ()):
            for alert in body.get("es", ()):
                self._put(queue, alert)

    def _resync(self) -> None:
        for queues in self._queues.values():
            for queue in queues:
                self._put(queue, RESYNC)

    @staticmethod
    def _put(queue: asyncio.Queue[dict[str, Any]], item: dict[str, Any]) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            # A stream that stopped reading: tell it to re-read the log instead.
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            queue.put_nowait(RESYNC)


def asyncpg_dsn(database_url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg takes, from our SQLAlchemy URL."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PgListener:
    """One asyncpg connection per instance, LISTENing; reconnects when it drops."""

    def __init__(self, database_url: str, on_message: Listener, on_reconnect: Callable[[], None]):
        self.dsn = asyncpg_dsn(database_url)
        self.on_message = on_message
        self.on_reconnect = on_reconnect
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Connect and listen (waits for the first connection, up to a few seconds)."""
        self._task = asyncio.create_task(self._run(), name="shipfloor-pg-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _callback(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            body = json.loads(payload)
        except ValueError:
            log.warning("ignoring a malformed notification on %s", CHANNEL)
            return
        self.on_message(body)

    async def _run(self) -> None:
        import asyncpg

        first = True
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn)
                await conn.add_listener(CHANNEL, self._callback)
                if not first:
                    self.on_reconnect()  # what was announced while we were away is in the log
                first = False
                self._ready.set()
                while not conn.is_closed():
                    await asyncio.sleep(2)
                    # A query proves the connection is alive (a dead peer is otherwise silent).
                    await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost connection: log and reconnect, never give up
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=2))
            await asyncio.sleep(1)


# ---------------------------------------------------------------- tokens for EventSource

EVENTS_AUDIENCE = "shipfloor-events"


def issue_events_token(actor: Actor, secret: str, seconds: int) -> tuple[str, Any]:
    """A token good only for opening ``GET /api/events`` within ``seconds``."""
    return issue_token(actor, secret, timedelta(seconds=seconds), EVENTS_AUDIENCE)


def decode_events_token(token: str, secret: str) -> Actor:
    """The actor of a valid events token; 401 saying what is wrong otherwise."""
    return decode_token(token, secret, EVENTS_AUDIENCE, "events token", "POST /api/events/token")


# ---------------------------------------------------------------- the stream


async def replay(
    factory: async_sessionmaker[AsyncSession], vendor_id: str, after: int, kinds: frozenset[str]
) -> list[DashboardEvent]:
    """The vendor's dashboard events after ``after``, from the outbox (at most 200)."""
    from server.notifications.models import OutboxItem
    from server.notifications.service import dashboard_event, decode_snapshot

    async with factory() as session:
        rows = await session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.vendor_id == vendor_id,
                OutboxItem.id > after,
                OutboxItem.kind.in_(sorted(kinds)),
            )
            .order_by(OutboxItem.id)
            .limit(200)
        )
        return [
            dashboard_event(r.id, r.kind, decode_snapshot(r.payload), r.created_at) for r in rows
        ]


async def last_event_id(factory: async_sessionmaker[AsyncSession], vendor_id: str) -> int:
    """The id of the vendor's newest outbox row (where a fresh stream starts)."""
    from server.notifications.models import OutboxItem

    async with factory() as session:
        value = await session.scalar(
            select(func.max(OutboxItem.id)).where(OutboxItem.vendor_id == vendor_id)
        )
        return int(value or 0)


def _message(ev: DashboardEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=_encoder.encode(ev).decode(), event=ev.type, id=ev.id)


async def stream(
    broker: Broker,
    factory: async_sessionmaker[AsyncSession],
    vendor_id: str,
    kinds: frozenset[str],
    since: int | None,
    keepalive: float,
    max_seconds: float,
) -> AsyncIterator[ServerSentEventMessage]:
    """The vendor's live events: first what was missed since ``since``, then as they come."""
    queue = broker.subscribe(vendor_id)  # before reading the log, so nothing falls between
    decoder = msgspec.convert
    try:
        yield ServerSentEventMessage(comment="connected", retry=3000)
        last = since if since is not None else await last_event_id(factory, vendor_id)
        for ev in await replay(factory, vendor_id, last, kinds):
            last = ev.id
            yield _message(ev)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        while (left := deadline - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=min(keepalive, left))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keepalive")
                continue
            if item is RESYNC or item.get("resync"):
                for ev in await replay(factory, vendor_id, last, kinds):
                    last = ev.id
                    yield _message(ev)
                continue
            ev = decoder(item, DashboardEvent)
            if ev.id > last and ev.type in kinds:
                last = ev.id
                yield _message(ev)
    finally:
        broker.unsubscribe(vendor_id, queue)
