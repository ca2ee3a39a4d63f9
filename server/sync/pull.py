"""Pull: pages of changed orders after a cursor, for one vendor's devices.

The cursor and why no change is missed between its phases: ``cursor.py``. Each page is a
few index range reads, then its notes and open conflicts with one ``IN`` query each; the
stored order documents are handed on as they are (the controller picks the format).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Vendor
from server.errors import BadRequest
from server.ids import utcnow
from server.orders.models import OrderNote, OrderRow
from server.sync import cursor as cursors
from server.sync.conflicts import record_of
from server.sync.cursor import Cursor, Phase
from server.sync.models import OrderConflict
from shared.sync import ConflictRecord
from shared.types import OPEN_STATUSES, Note, NoteKind, OrderStatus

#: changes per pull page when the device does not say
DEFAULT_PULL_LIMIT = 500

_OPEN = sorted(s.value for s in OPEN_STATUSES)
_HISTORY = sorted(s.value for s in OrderStatus if s not in OPEN_STATUSES)


@dataclass
class PulledOrder:
    """One order of a pull page: its stored document (JSON) and sequence value."""

    id: str
    seq: int
    doc: str


@dataclass
class PullPage:
    """A page of changes, before encoding (the controller picks JSON or MessagePack)."""

    orders: list[PulledOrder]
    notes: dict[str, list[Note]]
    conflicts: dict[str, list[ConflictRecord]]
    cursor: str
    has_more: bool
    server_time: datetime


class Feed:
    """The vendor's feed of changed orders."""

    def __init__(self, session: AsyncSession, vendor_id: str) -> None:
        self.session = session
        self.vendor_id = vendor_id

    async def page(self, cursor_text: str, limit: int) -> PullPage:
        """Up to ``limit`` changed orders after the cursor, with their notes and conflicts.

        On PostgreSQL a device that is caught up (its cursor in the live phase) is answered
        outside a transaction (autocommit): under READ COMMITTED each statement takes its
        own snapshot anyway, so BEGIN and the closing ROLLBACK were two of its ~5 round
        trips and bought nothing (the sequence lock keeps "after the cursor" complete).
        First-sync pages (open work, history) keep the transaction: with 1,000 orders a
        page they were ~20 ms slower in autocommit. SQLite always keeps its transaction,
        whose one snapshot covers the page. The pool resets the isolation level when the
        connection comes back. Measurements: docs/benchmarks.md, "Load".
        """
        now = utcnow()
        if cursor_text:
            cursor = cursors.decode(cursor_text, self.vendor_id)
            if cursor.phase is Phase.LIVE and self.session.get_bind().dialect.name == "postgresql":
                await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        else:
            cursor = cursors.start(self.vendor_id, await self._change_seq())
        rows: list[Row[Any]] = []
        has_more = True
        while len(rows) < limit:
            room = limit - len(rows)
            if cursor.phase is Phase.OPEN:
                got, cursor, more = await self._open_work(cursor, room)
            elif cursor.phase is Phase.HISTORY:
                got, cursor, more = await self._history(cursor, room)
            else:
                got, cursor, more = await self._live(cursor, room)
            rows.extend(got)
            if cursor.phase is Phase.LIVE and not more:
                has_more = False
                break
        orders = [PulledOrder(r.id, r.seq, r.doc) for r in rows]
        ids = [o.id for o in orders]
        return PullPage(
            orders=orders,
            notes=await self._notes_of(ids),
            conflicts=await self._conflicts_of(ids),
            cursor=cursors.encode(cursor),
            has_more=has_more,
            server_time=now,
        )

    async def _change_seq(self) -> int:
        result = await self.session.execute(
            select(Vendor.change_seq).where(Vendor.id == self.vendor_id)
        )
        return int(result.scalar_one())

    def _docs(self) -> Any:
        return select(OrderRow.id, OrderRow.seq, OrderRow.doc).where(
            OrderRow.vendor_id == self.vendor_id
        )

    async def _open_work(self, cursor: Cursor, room: int) -> tuple[list[Row[Any]], Cursor, bool]:
        """Orders still to ship, soonest ship-by first: one index range per status, merged."""
        keys: list[tuple[datetime, str]] = []
        for status in _OPEN:
            query = select(OrderRow.due_key, OrderRow.id).where(
                OrderRow.vendor_id == self.vendor_id, OrderRow.status == status
            )
            if cursor.due is not None:
                query = query.where(
                    tuple_(OrderRow.due_key, OrderRow.id) > (cursor.due, cursor.last_id)
                )
            query = query.order_by(OrderRow.due_key, OrderRow.id).limit(room + 1)
            keys.extend((r.due_key, r.id) for r in await self.session.execute(query))
        keys.sort()
        more = len(keys) > room
        keys = keys[:room]
        if not keys:
            return [], Cursor(cursor.vendor, Phase.HISTORY, cursor.high, seq=cursor.high + 1), True
        found = {
            r.id: r
            for r in await self.session.execute(
                self._docs().where(OrderRow.id.in_([k[1] for k in keys]))
            )
        }
        rows = [found[k[1]] for k in keys if k[1] in found]
        due, last_id = keys[-1]
        if more:
            return rows, Cursor(cursor.vendor, Phase.OPEN, cursor.high, due, last_id), True
        return rows, Cursor(cursor.vendor, Phase.HISTORY, cursor.high, seq=cursor.high + 1), True

    async def _history(self, cursor: Cursor, room: int) -> tuple[list[Row[Any]], Cursor, bool]:
        """Orders already shipped, delivered or cancelled, most recently changed first."""
        query = (
            self._docs()
            .where(OrderRow.status.in_(_HISTORY), OrderRow.seq < cursor.seq)
            .order_by(OrderRow.seq.desc())
            .limit(room + 1)
        )
        rows = list((await self.session.execute(query)).all())
        if len(rows) > room:
            rows = rows[:room]
            return rows, Cursor(cursor.vendor, Phase.HISTORY, cursor.high, seq=rows[-1].seq), True
        return rows, Cursor(cursor.vendor, Phase.LIVE, cursor.high, seq=cursor.high), True

    async def _live(self, cursor: Cursor, room: int) -> tuple[list[Row[Any]], Cursor, bool]:
        """Every change after the cursor, in sequence order."""
        query = self._docs().where(OrderRow.seq > cursor.seq).order_by(OrderRow.seq).limit(room + 1)
        rows = list((await self.session.execute(query)).all())
        more = len(rows) > room
        rows = rows[:room]
        if not rows:
            if cursor.seq > await self._change_seq():
                # The server forgot changes the device has seen (restored from a backup?).
                raise BadRequest("cursor: ahead of the server; start again with an empty cursor")
            return rows, cursor, False
        return rows, Cursor(cursor.vendor, Phase.LIVE, cursor.high, seq=rows[-1].seq), more

    async def _notes_of(self, ids: list[str]) -> dict[str, list[Note]]:
        # Plain rows into wire Structs: a first-sync page brings a thousand notes, and
        # building ORM objects for them cost more than the query.
        notes: dict[str, list[Note]] = defaultdict(list)
        if ids:
            rows = await self.session.execute(
                select(
                    OrderNote.order_id,
                    OrderNote.id,
                    OrderNote.kind,
                    OrderNote.text,
                    OrderNote.author_id,
                    OrderNote.author_name,
                    OrderNote.created_at,
                    OrderNote.due_at,
                ).where(OrderNote.vendor_id == self.vendor_id, OrderNote.order_id.in_(ids))
            )
            for r in rows:
                notes[r.order_id].append(
                    Note(
                        id=r.id,
                        kind=NoteKind(r.kind),
                        text=r.text,
                        author_id=r.author_id,
                        author_name=r.author_name,
                        created_at=r.created_at,
                        due_at=r.due_at,
                    )
                )
        # Sorted here, per order (a few notes each), not by the database over the whole page.
        for listed in notes.values():
            listed.sort(key=lambda n: (n.created_at, n.id))
        return notes

    async def _conflicts_of(self, ids: list[str]) -> dict[str, list[ConflictRecord]]:
        conflicts: dict[str, list[ConflictRecord]] = defaultdict(list)
        if ids:
            rows = await self.session.scalars(
                select(OrderConflict)
                .where(
                    OrderConflict.vendor_id == self.vendor_id,
                    OrderConflict.order_id.in_(ids),
                    OrderConflict.resolved_at.is_(None),
                )
                .order_by(OrderConflict.at, OrderConflict.id)
            )
            for r in rows:
                conflicts[r.order_id].append(record_of(r))
        return conflicts
