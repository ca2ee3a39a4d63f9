"""The outbox dispatcher: fans outbox rows out to their targets and delivers each once.

One round:

1. **Fan out** pending outbox rows (:mod:`.audience`): one ``notification_deliveries`` row
   per target, unique on ``(outbox_id, channel, target)`` — the idempotency key — and the
   outbox row marked ``fanned_out``, in one transaction.
2. **Claim** due deliveries: ``UPDATE … SET status='sending', next_attempt_at=<lease end>
   WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL, so the dispatchers of
   several instances take disjoint work; on SQLite the same UPDATE, guarded by the status,
   runs under the write lock (``BEGIN IMMEDIATE``). A delivery whose dispatcher dies
   becomes due again when its lease ends.
3. **Send** with bounded concurrency (:mod:`.delivery` says what each answer means) and
   **record** every attempt. Results are written in small batches (within 20 ms).

What "once" means: a delivery is marked sent once and never claimed again. A dispatcher
killed after the push service accepted a push but before the mark (in flight, or in the
last 20 ms) sends it again when the lease ends: Web Push has no idempotency key, so
the repeat carries the same ``Topic`` (the service replaces an undelivered copy) and the
same notification ``tag`` (the browser replaces a shown one). Email repeats carry the
same ``Message-ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from server.accounts.models import Vendor
from server.db import begin_write
from server.ids import utcnow
from server.notifications import audience
from server.notifications.delivery import Courier, Job, Result
from server.notifications.email import Mailer
from server.notifications.models import (
    Delivery,
    DeliveryAttempt,
    OutboxItem,
    PushSubscription,
    VapidKey,
)
from server.notifications.service import decode_snapshot, enqueue_delays
from server.notifications.webpush import PushSender, PushTarget, ensure_key
from server.settings import Settings

log = logging.getLogger("shipfloor.notifications")

_DELIVERIES = cast(Table, Delivery.__table__)
_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
FAN_OUT_BATCH = 20
#: results are written this soon after the first of a batch, or when this many wait
WRITE_SECONDS = 0.02
WRITE_BATCH = 100
CLEANUP_SECONDS = 3600.0


def dispatcher_name() -> str:
    """Who claims: host, process and a random suffix (a restarted process is someone else)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class OutboxDispatcher:
    """Delivers the outbox; run one per instance (or one standalone process)."""

    def __init__(
        self,
        settings: Settings,
        factory: async_sessionmaker[AsyncSession],
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.ns = settings.notifications
        self.factory = factory
        self.name = name or dispatcher_name()
        self.mailer = Mailer(self.ns, self.ns.maildir or settings.data_dir / "mail")
        self._push: PushSender | None = None
        self._courier: Courier | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):  # made inside a loop: stop() works before run()
            self._loop = asyncio.get_running_loop()
        self._push_slots = asyncio.Semaphore(self.ns.concurrency)
        self._mail_slots = asyncio.Semaphore(self.ns.email_concurrency)
        self._results: list[Result] = []
        self._results_ready = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._postgres = settings.database_url.startswith("postgresql")
        self._next_delay_check = 0.0
        self._next_cleanup = time.monotonic() + 60

    # ------------------------------------------------------------ running

    def wake(self) -> None:
        """Look for work now (thread-safe: called when an announcement arrives)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Finish the current round and return from :meth:`run`."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def run(self, once: bool = False) -> None:
        """Deliver until stopped; with ``once``, until nothing is due any more."""
        self._loop = asyncio.get_running_loop()
        async with self.factory() as session:
            await ensure_key(session)
            keys = {k.id: k for k in await session.scalars(select(VapidKey))}
        ns = self.ns
        async with PushSender(
            keys, ns.vapid_subject, ns.push_ttl_seconds, ns.push_timeout_seconds, ns.concurrency
        ) as push:
            self._push = push
            self._courier = Courier(self.settings, self.name, push, self.mailer)
            if once:
                await self._periodic()
                while await self.run_once():
                    pass
                return
            log.info("notification dispatcher %s started", self.name)
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    worked = await self.run_once()
                    await self._periodic()
                except Exception:  # a database hiccup must not end delivery for good
                    log.exception("dispatcher round failed; retrying")
                    worked = 0
                    await asyncio.sleep(1)
                if not worked:
                    await self._idle()
        log.info("notification dispatcher %s stopped", self.name)

    async def run_once(self) -> int:
        """One round: fan out what is pending, deliver what is due. Returns work done."""
        fanned = 0
        while n := await self.fan_out():
            fanned += n
        return fanned + await self.deliver_due()

    async def _idle(self) -> None:
        """Sleep until woken, until the next delivery is due, or one poll interval."""
        timeout = self.ns.poll_seconds
        async with self.factory() as session:
            due = await session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(
                    Delivery.status.in_(("pending", "sending"))
                )
            )
        if due is not None:
            timeout = min(timeout, max(0.02, (due - utcnow()).total_seconds()))
        wake = asyncio.ensure_future(self._wake.wait())
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({wake, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            stop.cancel()

    async def _periodic(self) -> None:
        now = time.monotonic()
        if now >= self._next_delay_check:
            self._next_delay_check = now + self.ns.delay_check_seconds
            async with self.factory() as session:
                if await enqueue_delays(session, self.ns.delay_warn_minutes):
                    self._wake.set()
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_SECONDS
            await self.cleanup()

    async def cleanup(self) -> int:
        """Forget outbox rows (and their deliveries and attempts) past the retention."""
        cutoff = utcnow() - timedelta(days=self.ns.retention_days)
        async with self.factory() as session:
            await begin_write(session)
            old = select(OutboxItem.id).where(
                OutboxItem.created_at < cutoff, OutboxItem.status.in_(("done", "fanned_out"))
            )
            ids = list((await session.scalars(old.limit(5000))).all())
            if ids:
                delivery_ids = select(Delivery.id).where(Delivery.outbox_id.in_(ids))
                await session.execute(
                    delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids))
                )
                await session.execute(delete(Delivery).where(Delivery.outbox_id.in_(ids)))
                await session.execute(delete(OutboxItem).where(OutboxItem.id.in_(ids)))
            await session.commit()
            return len(ids)

    # ------------------------------------------------------------ fan-out

    async def fan_out(self) -> int:
        """Turn pending outbox rows into deliveries, one transaction per batch."""
        now = utcnow()
        pending = (OutboxItem.status == "pending", OutboxItem.available_at <= now)
        async with self.factory() as session:
            # Look before taking SQLite's write lock: an idle dispatcher polls every second.
            if await session.scalar(select(OutboxItem.id).where(*pending).limit(1)) is None:
                return 0
            await begin_write(session)
            query = select(OutboxItem).where(*pending).order_by(OutboxItem.id).limit(FAN_OUT_BATCH)
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            items = list((await session.scalars(query)).all())
            if not items:
                await session.rollback()
                return 0
            for item in items:
                await audience.fan_out(session, item, now, self.ns.push_ttl_seconds)
                item.status = "fanned_out"
                item.fanned_out_at = now
            await session.commit()
        return len(items)

    # ------------------------------------------------------------ delivery

    async def deliver_due(self) -> int:
        """Claim due deliveries and send them, keeping up to ``concurrency`` in flight.

        The next batch is claimed when the in-flight count falls below the concurrency, so
        the pipe never runs dry while a batch drains.
        """
        inflight = 0
        room = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            nonlocal inflight
            tasks.discard(task)
            inflight -= 1
            if inflight < self.ns.concurrency:
                room.set()

        writing = asyncio.Event()
        writing.set()
        writer = asyncio.create_task(self._write_results(writing))
        claimed = 0
        try:
            while True:
                jobs = await self._claim(self.ns.batch_size)
                claimed += len(jobs)
                for job in jobs:
                    task = asyncio.create_task(self._deliver(job))
                    task.add_done_callback(done)
                    tasks.add(task)
                inflight += len(jobs)
                if not inflight:
                    break  # nothing in flight and nothing due
                room.clear()
                if inflight >= self.ns.concurrency or len(jobs) == self.ns.batch_size:
                    await room.wait()
                else:
                    # The queue is drained: wait for this batch, then look once more
                    # (retries may have fallen due, new work may have come in).
                    await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for task in list(tasks):
                task.cancel()
            # Let the writer finish the write under way: cancelling it mid-transaction
            # would lose those marks, and their deliveries would go out again.
            writing.clear()
            self._results_ready.set()
            await writer
            await self.flush()
        return claimed

    async def _claim(self, limit: int) -> list[Job]:
        now = utcnow()
        lease_end = now + timedelta(seconds=self.ns.lease_seconds)
        d = _DELIVERIES.c
        due = (d.status.in_(("pending", "sending")), d.next_attempt_at <= now)
        pick = select(d.id).where(*due).order_by(d.next_attempt_at, d.id).limit(limit)
        if self._postgres:
            pick = pick.with_for_update(skip_locked=True)
        # Core, not ORM: a claim returns hundreds of rows and needs no objects.
        claim = (
            update(_DELIVERIES)
            .where(d.id.in_(pick.scalar_subquery()), *due)
            .values(
                status="sending",
                claimed_by=self.name,
                next_attempt_at=lease_end,
                attempts=d.attempts + 1,
            )
            .returning(
                d.id,
                d.outbox_id,
                d.channel,
                d.target,
                d.user_id,
                d.attempts,
                d.expires_at,
                d.short_payload,
            )
        )
        async with self.factory() as session:
            if await session.scalar(select(d.id).where(*due).limit(1)) is None:
                return []  # nothing due: no write lock taken
            await begin_write(session)
            claimed = (await session.execute(claim)).all()
            if not claimed:
                await session.rollback()
                return []
            outbox_ids = {c.outbox_id for c in claimed}
            items = {
                i.id: i
                for i in await session.scalars(
                    select(OutboxItem).where(self._among(OutboxItem.id, outbox_ids))
                )
            }
            vendor_ids = {i.vendor_id for i in items.values()}
            vendors = {
                v.id: v
                for v in await session.scalars(
                    select(Vendor).where(self._among(Vendor.id, vendor_ids))
                )
            }
            push_ids = [c.target for c in claimed if c.channel == "push"]
            p = PushSubscription
            subs = {
                row[0]: PushTarget(*row[1:])
                for row in await session.execute(
                    select(p.id, p.endpoint, p.p256dh, p.auth, p.vapid_key_id).where(
                        self._among(p.id, push_ids)
                    )
                )
            }
            await self._learn_keys(session, {t.vapid_key_id for t in subs.values()})
            await session.commit()
        snaps = {i.id: decode_snapshot(i.payload) for i in items.values()}
        jobs = []
        for c in claimed:
            item = items[c.outbox_id]
            vendor = vendors[item.vendor_id]
            jobs.append(
                Job(
                    id=c.id,
                    outbox_id=c.outbox_id,
                    channel=c.channel,
                    target=c.target,
                    user_id=c.user_id,
                    attempts=c.attempts,
                    expires_at=c.expires_at,
                    short=c.short_payload,
                    kind=item.kind,
                    snap=snaps[item.id],
                    vendor_name=vendor.name,
                    timezone=vendor.timezone,
                    push=subs.get(c.target) if c.channel == "push" else None,
                )
            )
        return jobs

    def _among(
        self, column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Iterable[Any]
    ) -> ColumnElement[bool]:
        """``column IN (values)``; on PostgreSQL ``= ANY(:array)``, one statement for any count.

        An IN list renders one placeholder per value, so each new count is a new statement
        for asyncpg to prepare; claims and writes come in every size.
        """
        values = list(values)
        if not self._postgres:
            return column.in_(values)
        item = BigInteger() if isinstance(column.type, BigInteger | Integer) else String()
        return column == any_(bindparam(None, values, type_=ARRAY(item)))

    async def _learn_keys(self, session: AsyncSession, key_ids: set[str]) -> None:
        """Load VAPID keys made after this dispatcher started (a rotation)."""
        assert self._push is not None
        missing = [k for k in key_ids if not self._push.knows(k)]
        if missing:
            for key in await session.scalars(select(VapidKey).where(VapidKey.id.in_(missing))):
                self._push.add_key(key)

    async def _deliver(self, job: Job) -> None:
        assert self._courier is not None
        slots = self._push_slots if job.channel == "push" else self._mail_slots
        async with slots:
            try:
                result = await self._courier.send(job)
            except Exception as exc:
                # A bug or bad data, not an answer: record it as a failed try, so the
                # delivery backs off and ends after NOTIFY_MAX_ATTEMPTS instead of coming
                # back with every lease.
                log.exception("delivery %s to %s raised", job.id, job.channel)
                result = self._courier.crashed(job, exc)
        self._results.append(result)
        self._results_ready.set()
        if len(self._results) >= WRITE_BATCH:
            self._batch_full.set()

    # ------------------------------------------------------------ bookkeeping

    async def _write_results(self, writing: asyncio.Event) -> None:
        """Write results in batches, while ``writing`` is set: within ``WRITE_SECONDS`` of the
        first, or at once when ``WRITE_BATCH`` are waiting. A crash loses at most that
        window's marks (those deliveries go out again after their lease; see above)."""
        while writing.is_set():
            await self._results_ready.wait()
            self._results_ready.clear()
            if writing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._batch_full.wait(), WRITE_SECONDS)
            self._batch_full.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write finished deliveries and their attempts (only where we still hold the lease).

        Results that end the same way (nearly all: "sent, 201") share one UPDATE … WHERE id
        IN (…), so a thousand pushes cost a few statements, not a thousand.
        """
        async with self._flush_lock:
            results, self._results = self._results, []
            if not results:
                return
            now = utcnow()
            groups: dict[tuple[Any, ...], list[int]] = {}
            for r in results:
                # Finished rows keep a time so the due index never holds a NULL.
                shape = (r.status, r.next_attempt_at or now, r.code, r.error[:500], r.job.short)
                groups.setdefault(shape, []).append(r.job.id)
            attempts = [a for r in results for a in r.attempts]
            gone = [r.job.target for r in results if r.status == "gone" and r.job.push is not None]
            try:
                async with self.factory() as session:
                    await begin_write(session)
                    for (status, next_at, code, error, short), ids in groups.items():
                        await session.execute(
                            update(_DELIVERIES)
                            .where(
                                self._among(_DELIVERIES.c.id, ids),
                                _DELIVERIES.c.claimed_by == self.name,
                                _DELIVERIES.c.status == "sending",
                            )
                            .values(
                                status=status,
                                next_attempt_at=next_at,
                                sent_at=now if status == "sent" else None,
                                last_status=code,
                                last_error=error,
                                short_payload=short,
                            )
                        )
                    if attempts:
                        await session.execute(insert(_ATTEMPTS), attempts)
                    if gone:
                        await session.execute(
                            delete(PushSubscription).where(PushSubscription.id.in_(gone))
                        )
                    await session.commit()
            except Exception:
                # Unmarked deliveries come back when their lease ends: sent again, not lost.
                log.exception("could not record %d delivery results", len(results))


async def run_standalone(settings: Settings, once: bool = False) -> None:
    """The dispatcher as its own process (``shipfloor notifications dispatch``).

    Stops cleanly on SIGTERM/SIGINT; on PostgreSQL it LISTENs to wake as soon as a
    notifying change commits, on SQLite it polls.
    """
    import signal

    from server.db import create_engine, session_factory
    from server.notifications.events import PgListener

    engine = create_engine(settings.database_url)
    dispatcher = OutboxDispatcher(settings, session_factory(engine))
    listener: PgListener | None = None
    try:
        if once:
            await dispatcher.run(once=True)
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, dispatcher.stop)
        if settings.database_url.startswith("postgresql"):
            listener = PgListener(
                settings.database_url,
                lambda body: dispatcher.wake() if body.get("w") else None,
                dispatcher.wake,
            )
            await listener.start()
        await dispatcher.run()
    finally:
        if listener is not None:
            await listener.stop()
        await engine.dispose()
