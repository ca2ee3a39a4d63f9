"""Order queries and actions, always scoped to one vendor.

Every read and write of orders goes through :class:`OrderService`, whose queries start from
:meth:`OrderService.scoped`: tenancy lives here, not in the handlers. Another vendor's order
is simply not found (404).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.exceptions import HTTPException
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.db import begin_write
from server.documents.carriers import with_issued_label
from server.errors import BadRequest, not_found
from server.ids import new_id, utcnow
from server.inventory import service as inventory
from server.notifications import service as notifications
from server.orders import effects
from server.orders.models import OrderEvent, OrderNote, OrderRow
from server.orders.schemas import (
    ActionResult,
    ActionState,
    BulkItem,
    BulkResult,
    NewNote,
    OrderDetail,
    OrderPage,
    OrderSummary,
    SortKey,
    StatusCounts,
    TimelineEntry,
)
from server.orders.store import Origin, decode_order, next_seq, store, timeline_rows
from server.sync.conflicts import open_conflicts
from shared import commands as c
from shared.deadlines import Calendar, DueView, due_window
from shared.lifecycle import Event, Refusal, StepRefused, allowed_actions, apply
from shared.types import OPEN_STATUSES, Note, NoteKind, Order, OrderStatus

MAX_PAGE = 200

_SORT_COLUMNS = {
    SortKey.SHIP_BY: OrderRow.due_key,
    SortKey.CREATED: OrderRow.created_at,
    SortKey.NUMBER: OrderRow.number_key,
}


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def summary_of(row: OrderRow) -> OrderSummary:
    """A list row from the table's columns (no document decoding)."""
    return OrderSummary(
        id=row.id,
        number=row.number,
        status=OrderStatus(row.status),
        customer_name=row.customer_name,
        item_count=row.item_count,
        total_minor=row.total_minor,
        currency=row.currency,
        created_at=row.created_at,
        ship_by=row.ship_by,
        marketplace=row.marketplace,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        version=row.seq,
    )


def note_of(row: OrderNote) -> Note:
    """The wire view of a note row."""
    return Note(
        id=row.id,
        kind=NoteKind(row.kind),
        text=row.text,
        author_id=row.author_id,
        author_name=row.author_name,
        created_at=row.created_at,
        due_at=row.due_at,
    )


def encode_cursor(sort: SortKey, key: Any, order_id: str) -> str:
    """An opaque page cursor: the last row's sort key and id."""
    value = key.isoformat() if isinstance(key, datetime) else key
    raw = msgspec.json.encode([sort.value, value, order_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: SortKey) -> tuple[Any, str]:
    """The sort key and id in a cursor; 400 if it is not one of ours for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, order_id = msgspec.json.decode(raw, type=tuple[str, str, str])
        if kind != sort.value:
            raise ValueError("sort differs")
        key: Any = value
        if sort is not SortKey.NUMBER:
            key = datetime.fromisoformat(value)
            if key.tzinfo is None:
                raise ValueError("timestamp without zone")  # the column refuses naive times
            key = key.astimezone(UTC)  # a date at the edge of the calendar overflows here
        return key, order_id
    except (ValueError, OverflowError, msgspec.DecodeError, TypeError) as exc:
        raise BadRequest(
            "cursor: not a cursor from this list (it must come from next_cursor, same sort)"
        ) from exc


async def stock_refusal(session: AsyncSession, vendor_id: str, order: Order) -> Refusal | None:
    """Why availability cannot be verified (free stock short), or None when it can.

    The one check the shared lifecycle cannot make, since only the server knows the stock.
    """
    missing = await inventory.shortfalls(session, vendor_id, order)
    if not missing:
        return None
    text = ", ".join(f"{sku} short by {n}" for sku, n in sorted(missing.items()))
    return Refusal("out_of_stock", f"Not enough free stock: {text}.")


class OrderService:
    """The orders of one vendor."""

    def __init__(self, session: AsyncSession, vendor_id: str) -> None:
        self.session = session
        self.vendor_id = vendor_id

    def scoped(self) -> Select[OrderRow]:
        """Every query of orders starts here."""
        return select(OrderRow).where(OrderRow.vendor_id == self.vendor_id)

    async def row(self, order_id: str) -> OrderRow:
        """The order's row, or 404."""
        row = (
            await self.session.execute(self.scoped().where(OrderRow.id == order_id))
        ).scalar_one_or_none()
        if row is None:
            raise not_found(f"order {order_id!r}")
        return row

    async def calendar(self) -> Calendar:
        """The vendor's working calendar."""
        vendor = await self.session.get_one(Vendor, self.vendor_id)
        return Calendar(vendor.timezone, vendor.country, vendor.subdivision)

    # ------------------------------------------------------------------ reads

    def filtered(
        self,
        statuses: Sequence[OrderStatus] | None,
        q: str | None,
        due: tuple[datetime | None, datetime] | None = None,
    ) -> Select[OrderRow]:
        """The list query with its filters applied, unsorted (``due``: a ship-by window)."""
        query = self.scoped()
        if due is not None:
            start, end = due
            query = query.where(
                OrderRow.status.in_([s.value for s in OPEN_STATUSES]), OrderRow.due_key < end
            )
            if start is not None:
                query = query.where(OrderRow.due_key >= start)
        if statuses:
            query = query.where(OrderRow.status.in_([s.value for s in statuses]))
        text = (q or "").strip().lower()
        if text:
            query = query.where(OrderRow.search.like(like_pattern(text), escape="\\"))
        return query

    async def page(
        self,
        statuses: Sequence[OrderStatus] | None = None,
        q: str | None = None,
        sort: SortKey = SortKey.SHIP_BY,
        descending: bool = False,
        limit: int = 50,
        cursor: str | None = None,
        due: DueView | None = None,
    ) -> OrderPage:
        """One page of the list, by keyset (stable under inserts, cost independent of depth)."""
        column = _SORT_COLUMNS[sort]
        query = self.filtered(statuses, q, await self.due_window(due))
        if cursor:
            key, last_id = decode_cursor(cursor, sort)
            pair = tuple_(column, OrderRow.id)
            query = query.where(pair < (key, last_id) if descending else pair > (key, last_id))
        if descending:
            query = query.order_by(column.desc(), OrderRow.id.desc())
        else:
            query = query.order_by(column, OrderRow.id)
        rows = list((await self.session.scalars(query.limit(limit + 1))).all())
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if more:
            last = rows[-1]
            next_cursor = encode_cursor(sort, getattr(last, column.key), last.id)
        return OrderPage([summary_of(r) for r in rows], next_cursor)

    async def due_window(self, due: DueView | None) -> tuple[datetime | None, datetime] | None:
        """The ship-by range of a due view, in the vendor's calendar."""
        return None if due is None else due_window(due, utcnow(), await self.calendar())

    async def due_counts(self) -> dict[str, int]:
        """How many open orders each due view holds (overdue, due today, within 24 h)."""
        counts: dict[str, int] = {}
        for view in DueView:
            query = self.filtered(None, None, await self.due_window(view))
            counts[view.value] = int(
                await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
            )
        return counts

    async def counts(self, q: str | None = None) -> StatusCounts:
        """Orders per status (for the filter chips), under the same search."""
        sub = self.filtered(None, q).subquery()
        rows = await self.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
        counts = {s.value: 0 for s in OrderStatus}
        for status, count in rows:
            counts[status] = count
        return StatusCounts(counts, sum(counts.values()))

    async def iter_rows(
        self,
        statuses: Sequence[OrderStatus] | None,
        q: str | None,
        batch: int = 1000,
        due: DueView | None = None,
    ) -> AsyncIterator[list[OrderRow]]:
        """Every matching row in creation order, a batch at a time (for exports)."""
        window = await self.due_window(due)
        base = self.filtered(statuses, q, window).order_by(OrderRow.created_at, OrderRow.id)
        last: tuple[datetime, str] | None = None
        while True:
            query = base
            if last is not None:
                query = query.where(tuple_(OrderRow.created_at, OrderRow.id) > last)
            rows = list((await self.session.scalars(query.limit(batch))).all())
            if not rows:
                return
            yield rows
            last = (rows[-1].created_at, rows[-1].id)
            self.session.expunge_all()

    async def detail(self, order_id: str) -> OrderDetail:
        """The order with notes, timeline and what may be done next."""
        row = await self.row(order_id)
        order = decode_order(row)
        notes = await self.session.scalars(
            select(OrderNote)
            .where(OrderNote.order_id == row.id, OrderNote.vendor_id == self.vendor_id)
            .order_by(OrderNote.created_at, OrderNote.id)
        )
        events = await self.session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == row.id, OrderEvent.vendor_id == self.vendor_id)
            .order_by(OrderEvent.id)
        )
        timeline = [
            TimelineEntry(
                at=e.at,
                kind=e.kind,
                detail=msgspec.json.decode(e.detail),
                source=e.source,
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                device_id=e.device_id,
            )
            for e in events
        ]
        actions = [
            ActionState(a, r is None, r.code if r else None, r.message if r else None)
            for a, r in allowed_actions(order).items()
        ]
        conflicts = await open_conflicts(self.session, self.vendor_id, row.id)
        return OrderDetail(order, [note_of(n) for n in notes], timeline, actions, conflicts)

    # ------------------------------------------------------------------ writes

    async def act(self, order_id: str, command: c.Command, origin: Origin) -> ActionResult:
        """Apply one lifecycle command in its own transaction (409 with the reason if refused)."""
        try:
            await begin_write(self.session)
            if isinstance(command, c.AddNote):
                await self._add_note(order_id, command, origin)
                row = await self.row(order_id)
                result = ActionResult(decode_order(row), ["add_note"])
            else:
                result = await self._apply(order_id, command, origin)
            await self.session.commit()
            return result
        except BaseException:
            await self.session.rollback()
            raise

    async def _apply(self, order_id: str, command: c.Command, origin: Origin) -> ActionResult:
        order, events = await self.apply_in_transaction(order_id, command, origin)
        return ActionResult(order, [e.kind for e in events])

    async def apply_in_transaction(
        self,
        order_id: str,
        command: c.Command | None,
        origin: Origin,
        extra_events: Sequence[Event] = (),
        at: datetime | None = None,
    ) -> tuple[Order, list[Event]]:
        """Apply a lifecycle command (or only record ``extra_events``) inside the caller's
        write transaction: takes the next change sequence, runs the shared rule, keeps
        stock and payouts in step, writes the timeline. Raises StepRefused if not allowed.

        ``at`` is when it happened (a carrier's scan time); it defaults to now.
        """
        seq = await next_seq(self.session, self.vendor_id)
        row = await self.row(order_id)
        before = decode_order(row)
        now = utcnow()
        when = at or now
        events = list(extra_events)
        after = before
        if command is not None:
            if isinstance(command, c.VerifyAvailability):
                await self._check_stock(before)
            command = with_issued_label(before, command)
            outcome = apply(before, command, when)
            after = outcome.order
            events.extend(outcome.events)
        events.extend(await effects.after_change(self.session, self.vendor_id, before, after))
        order = store(row, after, seq, now)
        self.session.add_all(timeline_rows(self.vendor_id, row.id, events, origin, when))
        await notifications.on_order_changed(self.session, self.vendor_id, before, order, events)
        return order, events

    async def _check_stock(self, order: Order) -> None:
        refusal = await stock_refusal(self.session, self.vendor_id, order)
        if refusal is not None:
            raise StepRefused(refusal.code, refusal.message)

    async def _add_note(self, order_id: str, command: c.AddNote, origin: Origin) -> Note:
        note_id = command.note_id or new_id()
        existing = await self.session.scalar(
            select(OrderNote).where(OrderNote.vendor_id == self.vendor_id, OrderNote.id == note_id)
        )
        if existing is not None:
            if existing.order_id != order_id:
                raise BadRequest(f"id: note id {note_id!r} is already used by another note")
            return note_of(existing)  # a retry of the same note: nothing new
        seq = await next_seq(self.session, self.vendor_id)
        row = await self.row(order_id)
        now = utcnow()
        note = OrderNote(
            id=note_id,
            vendor_id=self.vendor_id,
            order_id=row.id,
            kind=command.kind.value,
            text=command.text,
            author_id=origin.actor_id,
            author_name=origin.actor_name,
            created_at=now,
            due_at=command.due_at,
        )
        self.session.add(note)
        # A note is a change of the order for sync: it moves to the new sequence value.
        store(row, decode_order(row), seq, now)
        event = Event("add_note", {"note_id": note_id, "kind": command.kind.value})
        self.session.add_all(timeline_rows(self.vendor_id, row.id, [event], origin, now))
        return note_of(note)

    async def add_note(self, order_id: str, new: NewNote, origin: Origin) -> Note:
        """Append an internal note (idempotent on the note id)."""
        command = c.AddNote(note_id=new.id, kind=new.kind, text=new.text, due_at=new.due_at)
        try:
            await begin_write(self.session)
            note = await self._add_note(order_id, command, origin)
            await self.session.commit()
            return note
        except BaseException:
            await self.session.rollback()
            raise

    async def bulk(self, order_ids: list[str], command: c.Command, origin: Origin) -> BulkResult:
        """Apply one command to many orders, each in its own transaction, a result for each."""
        results: list[BulkItem] = []
        for order_id in dict.fromkeys(order_ids):
            try:
                result = await self.act(order_id, command, origin)
                results.append(BulkItem(order_id, True, result.order.status))
            except StepRefused as refused:
                results.append(BulkItem(order_id, False, None, refused.code, refused.message))
            except HTTPException as exc:  # an unknown order: reported for that one, not fatal
                code = "not_found" if exc.status_code == 404 else "rejected"
                results.append(BulkItem(order_id, False, None, code, str(exc.detail)))
        ok = sum(1 for r in results if r.ok)
        return BulkResult(results, ok, len(results) - ok)
