"""Push and pull for one vendor's devices.

**Push** applies a device's batch in one write transaction: each mutation is answered from
its record if seen before, otherwise merged by the shared rules (``shared/merge.py``) into
the order as this batch has left it. Every touched order is read once and written once,
under one new change sequence value; timeline, notes, conflicts and the idempotency
records are written with one multi-row insert each. That is what makes 100 mutations cost
about as much as a handful of single REST actions.

A rejected or already-true mutation leaves no trace but its record: merging is pure, so
there is nothing to undo (this is what a SAVEPOINT per mutation would give, without its
two round trips per mutation). Anything unexpected rolls back the whole batch, so a batch
is written completely or not at all and the device simply sends it again.

**Pull** is in ``pull.py``; :class:`SyncService` is the domain's one entry point for both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import msgspec
from sqlalchemy import Select, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.accounts.security import Actor
from server.db import begin_write, in_values, insert_rows, on_database_thread
from server.documents.carriers import with_issued_label
from server.errors import BadRequest, not_found
from server.ids import utcnow
from server.notifications import service as notifications
from server.orders import effects
from server.orders.models import OrderEvent, OrderNote, OrderRow
from server.orders.service import stock_refusal
from server.orders.store import Origin, decode_order, next_seq, store, store_many, timeline_rows
from server.sync.conflicts import record_of
from server.sync.models import OrderConflict, SyncMutation
from server.sync.pull import Feed, PullPage
from shared import commands as c
from shared.lifecycle import Event, Refusal
from shared.merge import MergeOutcome, derived_id, merge
from shared.sync import (
    ConflictRecord,
    Mutation,
    MutationResult,
    MutationStatus,
    PushRequest,
    PushResponse,
)
from shared.types import Note, Order

_order_decoder = msgspec.json.Decoder(Order)
_encoder = msgspec.json.Encoder()

# The push's statements, built once (Core, on the tables: no ORM compile or result steps).
_mutations = cast(Table, SyncMutation.__table__)
_orders = cast(Table, OrderRow.__table__)
_notes = cast(Table, OrderNote.__table__)
_vendors = cast(Table, Vendor.__table__)


def _by_dialect(build: Callable[[str], Select[Any]]) -> dict[str, Select[Any]]:
    return {dialect: build(dialect) for dialect in ("sqlite", "postgresql")}


# Lists of ids as in_values: on PostgreSQL one array parameter, one statement for any batch.
_RECORDED = _by_dialect(
    lambda dialect: select(
        _mutations.c.mutation_id,
        _mutations.c.status,
        _mutations.c.code,
        _mutations.c.message,
        _mutations.c.version,
    ).where(
        _mutations.c.vendor_id == bindparam("vendor_id"),
        _mutations.c.device_id == bindparam("device_id"),
        in_values(_mutations.c.mutation_id, "ids", dialect),
    )
)
#: by primary key alone, the vendor checked on each row: with ``vendor_id = ?`` in the query
#: SQLite walked one of the vendor's indexes and read every order of the vendor instead
#: (13 ms a batch at 7,000 orders, growing with the history)
_DOCS = _by_dialect(
    lambda dialect: select(_orders.c.vendor_id, _orders.c.doc).where(
        in_values(_orders.c.id, "ids", dialect)
    )
)
_NOTE_OWNERS = _by_dialect(
    lambda dialect: select(_notes.c.id, _notes.c.vendor_id, _notes.c.order_id).where(
        _notes.c.vendor_id == bindparam("vendor_id"), in_values(_notes.c.id, "ids", dialect)
    )
)
#: takes ``n`` sequence values at once; also the vendor's write lock on PostgreSQL
_TAKE_SEQ = (
    update(_vendors)
    .where(_vendors.c.id == bindparam("vendor_id"))
    .values(change_seq=_vendors.c.change_seq + bindparam("n"))
    .returning(_vendors.c.change_seq)
)


@dataclass
class _Touched:
    """An order changed by this batch: as it was, as it is now, and what happened to it."""

    before: Order
    after: Order
    #: the last mutation that changed it (its device and time go on the effects' events)
    last: Mutation
    events: list[Event] = field(default_factory=list)
    #: the state whose stock, refund and payout effects are already applied
    settled: Order | None = None


@dataclass
class _Batch:
    """A push being applied: the orders as the batch leaves them, and the rows to write."""

    orders: dict[str, Order]
    note_owners: dict[str, tuple[str, str]]
    #: results by mutation id: recorded earlier, or given earlier in this batch
    answered: dict[str, MutationResult]
    known_notes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    touched: dict[str, _Touched] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    #: each newly answered mutation, its result, and the order it changed ("" if none)
    records: list[tuple[Mutation, MutationResult, str]] = field(default_factory=list)


class SyncService:
    """Push and pull for the caller's vendor."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.vendor_id = actor.vendor_id

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # ------------------------------------------------------------------ push

    async def push(self, batch: PushRequest) -> PushResponse:
        """Apply a batch in order, once per mutation id; one result per mutation."""
        for i, mutation in enumerate(batch.mutations):
            if mutation.device_id != batch.device_id:
                raise BadRequest(
                    f"mutations[{i}].device_id: {mutation.device_id!r} is not the batch's "
                    f"device_id {batch.device_id!r}"
                )
        if not batch.mutations:
            return PushResponse(results=[])
        await begin_write(self.session)
        try:
            # The whole batch on SQLite's thread: one hand-over there and back instead of
            # three or four per statement (PostgreSQL: simply awaited).
            results = await on_database_thread(self.session, lambda: self._push(batch))
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        return PushResponse(results=results)

    async def _push(self, batch: PushRequest) -> list[MutationResult]:
        session, now = self.session, utcnow()
        # Lock the vendor's sequence before reading any order, so no other writer changes
        # them between our read and our write (SQLite: BEGIN IMMEDIATE holds the lock).
        # PostgreSQL: the statement that locks also reserves a sequence value for each
        # order the batch names (the most it can change), one round trip fewer than taking
        # them at the end; values left unused are gaps, which the feed does not mind (a
        # cursor only ever asks for "after").
        reserved: int | None = None
        if session.get_bind().dialect.name != "sqlite":
            reserved = await self._take_seq(len({m.order_id for m in batch.mutations}))
        answered = await self._recorded(batch.device_id, [m.mutation_id for m in batch.mutations])
        fresh = [m for m in batch.mutations if m.mutation_id not in answered]
        staged = _Batch(
            orders=await self._orders({m.order_id for m in fresh}),
            note_owners=await self._note_owners(fresh),
            answered=answered,
        )
        for note_id, (owner_vendor, owner_order) in staged.note_owners.items():
            if owner_vendor == self.vendor_id:
                staged.known_notes[owner_order].add(note_id)
        # Stock, refund and payout effects are settled per order from what the batch did,
        # and flushed at commit: flushing stock rows before every stock query, mutation by
        # mutation, made a batch several times slower.
        with session.no_autoflush:
            results = [await self._one(staged, m, now) for m in batch.mutations]
            await self._settle(staged, now)
        versions = await self._store(staged.touched, now, reserved)
        for _, result, order_id in staged.records:
            result.version = versions.get(order_id, 0)
        await self._insert(OrderEvent, staged.timeline)
        await self._insert(OrderNote, staged.notes)
        await self._insert(OrderConflict, staged.conflicts)
        await self._insert(
            SyncMutation,
            [
                {
                    "vendor_id": self.vendor_id,
                    "device_id": batch.device_id,
                    "mutation_id": r.mutation_id,
                    "status": r.status.value,
                    "code": r.code,
                    "message": r.message,
                    "version": r.version,
                    "order_id": m.order_id,
                    "user_id": m.user_id,
                    "client_time": m.client_time,
                    "received_at": now,
                }
                for m, r, _ in staged.records
            ],
        )
        return results

    async def _one(self, staged: _Batch, mutation: Mutation, now: datetime) -> MutationResult:
        """Answer one mutation: from its record, or by merging it into the staged order."""
        done = staged.answered.get(mutation.mutation_id)
        if done is not None:  # seen before, or earlier in this very batch
            return done
        if mutation.user_id != self.actor.user_id:
            # The token says who is pushing; a device never speaks for someone else.
            mutation = msgspec.structs.replace(mutation, user_id=self.actor.user_id)
        order = staged.orders.get(mutation.order_id)
        changed = ""
        if order is None:
            result = MutationResult(
                mutation_id=mutation.mutation_id,
                status=MutationStatus.REJECTED,
                code="not_found",
                message=f"Order {mutation.order_id!r} not found.",
            )
        else:
            outcome = await self._merge(staged, order, mutation, now)
            if outcome.changed:
                changed = order.id
                self._stage(staged, order, mutation, outcome, now)
            result = MutationResult(
                mutation_id=mutation.mutation_id,
                status=outcome.status,
                code=outcome.code,
                message=outcome.message,
            )
        staged.answered[mutation.mutation_id] = result
        staged.records.append((mutation, result, changed))
        return result

    def _stage(
        self, staged: _Batch, order: Order, mutation: Mutation, outcome: MergeOutcome, now: datetime
    ) -> None:
        """Keep what a mutation changed, to be written once the batch is through."""
        staged.orders[order.id] = outcome.order
        entry = staged.touched.get(order.id)
        if entry is None:
            entry = staged.touched[order.id] = _Touched(order, outcome.order, mutation)
        entry.after, entry.last = outcome.order, mutation
        entry.events.extend(outcome.events)
        staged.timeline.extend(self._timeline(mutation, outcome.events, now))
        if outcome.note is not None:
            staged.known_notes[order.id].add(outcome.note.id)
            staged.notes.append(self._note_row(order.id, outcome.note))
        staged.conflicts.extend(self._conflict_row(k) for k in outcome.conflicts)

    async def _settle(self, staged: _Batch, now: datetime) -> None:
        """Apply the stock, refund and payout effects of what changed since the last settle."""
        due = [e for e in staged.touched.values() if (e.settled or e.before) is not e.after]
        if not due:
            return
        changes = [(e.settled or e.before, e.after) for e in due]
        extras = await effects.after_changes(self.session, self.vendor_id, changes)
        for entry, extra in zip(due, extras, strict=True):
            entry.settled = entry.after
            entry.events.extend(extra)
            staged.timeline.extend(self._timeline(entry.last, extra, now))

    async def _merge(
        self, staged: _Batch, order: Order, mutation: Mutation, now: datetime
    ) -> MergeOutcome:
        """The shared rules, plus what only the server can check (stock, note ids)."""
        command = mutation.command
        if isinstance(command, c.AddNote):
            note_id = command.note_id or derived_id(mutation, "note")
            owner = staged.note_owners.get(note_id)
            if owner is not None and owner != (self.vendor_id, order.id):
                taken = Refusal("note_id_taken", f"Note id {note_id!r} belongs to another note.")
                return _rejected(order, taken)
        if isinstance(command, c.VerifyAvailability) and order.availability_verified_at is None:
            await self._settle(staged, now)  # the check must see this batch's reservations
            await self.session.flush()
            short = await stock_refusal(self.session, self.vendor_id, order)
            if short is not None:
                return _rejected(order, short)
        if isinstance(command, c.PrintLabel):
            # A label of a carrier that issues them here gets its tracking number now, so
            # the device pulls it back and the PDF can be opened (carriers.with_issued_label).
            issued = with_issued_label(order, command)
            if issued is not command:
                mutation = msgspec.structs.replace(mutation, command=issued)
        return merge(order, mutation, now, known_notes=staged.known_notes.get(order.id, ()))

    async def _recorded(self, device_id: str, ids: Sequence[str]) -> dict[str, MutationResult]:
        """The recorded results of mutations of this batch the server has seen before."""
        params = {"vendor_id": self.vendor_id, "device_id": device_id, "ids": list(set(ids))}
        rows = await self.session.execute(_RECORDED[self._dialect], params)
        return {
            r.mutation_id: MutationResult(
                mutation_id=r.mutation_id,
                status=MutationStatus(r.status),
                code=r.code,
                message=r.message,
                version=r.version,
            )
            for r in rows
        }

    async def _orders(self, ids: set[str]) -> dict[str, Order]:
        """The vendor's orders among ``ids`` (others are simply absent: not found)."""
        if not ids:
            return {}
        rows = await self.session.execute(_DOCS[self._dialect], {"ids": list(ids)})
        # The stored document carries its sequence value already (store() stamps it).
        orders = (_order_decoder.decode(doc) for vendor, doc in rows if vendor == self.vendor_id)
        return {o.id: o for o in orders}

    async def _note_owners(self, mutations: Iterable[Mutation]) -> dict[str, tuple[str, str]]:
        """For the note ids this batch adds: which vendor and order already hold them."""
        ids = {
            m.command.note_id or derived_id(m, "note")
            for m in mutations
            if isinstance(m.command, c.AddNote)
        }
        if not ids:
            return {}
        params = {"vendor_id": self.vendor_id, "ids": list(ids)}
        rows = await self.session.execute(_NOTE_OWNERS[self._dialect], params)
        return {r.id: (r.vendor_id, r.order_id) for r in rows}

    async def _take_seq(self, n: int) -> int:
        """Take ``n`` values of the vendor's sequence; returns the one before them."""
        params = {"vendor_id": self.vendor_id, "n": n}
        return int((await self.session.execute(_TAKE_SEQ, params)).scalar_one()) - n

    async def _store(
        self, touched: dict[str, _Touched], now: datetime, reserved: int | None
    ) -> dict[str, int]:
        """Write each changed order once under a new sequence value; tell notifications.

        ``reserved``: the value before those the batch reserved up front (PostgreSQL), or
        None to take them now.
        """
        if not touched:
            return {}
        seq = await self._take_seq(len(touched)) if reserved is None else reserved
        versions: dict[str, int] = {}
        written: list[tuple[Order, Order]] = []
        changes: list[tuple[Order, Order, list[Event]]] = []
        for order_id, entry in touched.items():
            seq += 1
            versions[order_id] = seq
            order = msgspec.structs.replace(entry.after, version=seq)
            written.append((entry.before, order))
            changes.append((entry.before, order, entry.events))
        await store_many(self.session, written, now)
        await notifications.on_orders_changed(self.session, self.vendor_id, changes)
        return versions

    async def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        # Plain rows, one executemany each: the ORM, or even Core's per-row parameter
        # building, would cost more than SQLite's own work for these rows.
        await insert_rows(self.session, cast(Table, model.__table__), rows)

    def _timeline(
        self, mutation: Mutation, events: Iterable[Event], now: datetime
    ) -> list[dict[str, Any]]:
        """Timeline rows: device and user, at the device's time (never in the future)."""
        at = min(mutation.client_time, now)
        return [
            {
                "vendor_id": self.vendor_id,
                "order_id": mutation.order_id,
                "at": at,
                "kind": event.kind,
                "detail": _encoder.encode(event.detail).decode(),
                "source": "device",
                "actor_id": self.actor.user_id,
                "actor_name": self.actor.name,
                "device_id": mutation.device_id,
            }
            for event in events
        ]

    def _note_row(self, order_id: str, note: Note) -> dict[str, Any]:
        return {
            "id": note.id,
            "vendor_id": self.vendor_id,
            "order_id": order_id,
            "kind": note.kind.value,
            "text": note.text,
            "author_id": self.actor.user_id,
            "author_name": self.actor.name,
            "created_at": note.created_at,
            "due_at": note.due_at,
        }

    def _conflict_row(self, conflict: ConflictRecord) -> dict[str, Any]:
        return {
            "id": conflict.id,
            "vendor_id": self.vendor_id,
            "order_id": conflict.order_id,
            "kind": conflict.kind.value,
            "message": conflict.message,
            "mutation_id": conflict.mutation_id,
            "device_id": conflict.device_id,
            "user_id": conflict.user_id,
            "at": conflict.at,
            "resolved_at": None,
        }

    async def resolve_conflict(self, conflict_id: str, note: str) -> ConflictRecord:
        """Mark a conflict settled; its order moves to a new change value so devices drop it."""
        await begin_write(self.session)
        try:
            row = await self.session.get(OrderConflict, conflict_id)
            if row is None or row.vendor_id != self.vendor_id:
                raise not_found(f"conflict {conflict_id!r}")
            if row.resolved_at is None:
                now = utcnow()
                row.resolved_at = now
                order_row = await self.session.get_one(OrderRow, row.order_id)
                store(
                    order_row,
                    decode_order(order_row),
                    await next_seq(self.session, self.vendor_id),
                    now,
                )
                event = Event("conflict_resolved", {"id": row.id, "kind": row.kind, "note": note})
                origin = Origin("app", self.actor.user_id, self.actor.name)
                self.session.add_all(
                    timeline_rows(self.vendor_id, row.order_id, [event], origin, now)
                )
            record = record_of(row)
            await self.session.commit()
            return record
        except BaseException:
            await self.session.rollback()
            raise

    # ------------------------------------------------------------------ pull

    async def pull(self, cursor: str, limit: int) -> PullPage:
        """Up to ``limit`` changed orders after the cursor, with their notes and conflicts."""
        return await Feed(self.session, self.vendor_id).page(cursor, limit)


def _rejected(order: Order, refusal: Refusal) -> MergeOutcome:
    """A rejection the server decides before the shared rules (stock, a taken note id)."""
    return MergeOutcome(
        status=MutationStatus.REJECTED, order=order, code=refusal.code, message=refusal.message
    )
