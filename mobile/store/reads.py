"""What the screens read, from the device store only: lists, counts, search, one order.

Lists never decode an order document: they read the columns kept beside it. They walk
an index in deadline order (``due_key``, then the lower-cased "number customer" text,
then the row id) and test the search text inside the index, so a search over 100,000
orders stops as soon as a page is full and reads a wide row only for what it returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import msgspec

from mobile.store.records import (
    ListCursor,
    OrderDetail,
    OrderList,
    OrderListItem,
    RejectedMutation,
    StatusCounts,
    StoredConflict,
)
from mobile.store.schema import from_micros
from shared.sync import ConflictRecord, Mutation
from shared.types import OPEN_STATUSES, Note, Order, OrderStatus

_order_decoder = msgspec.msgpack.Decoder(Order)
_notes_decoder = msgspec.msgpack.Decoder(list[Note])
_mutation_decoder = msgspec.msgpack.Decoder(Mutation)
_conflict_decoder = msgspec.msgpack.Decoder(ConflictRecord)

_LIST_COLUMNS = (
    "o.id, o.number, o.status, o.customer_name, o.item_count, o.total_minor, o.currency, "
    "o.created_at, o.ship_by, o.carrier, o.tracking_number, o.version, "
    "EXISTS (SELECT 1 FROM outbox WHERE outbox.order_id = o.id), o.due_key, o.search, o.rid"
)

#: statuses in the order the filter chips show them
STATUS_ORDER = tuple(OrderStatus)


def search_key(text: str) -> str:
    """What a typed search is matched with: trimmed and lower-cased like the column."""
    return " ".join(text.split()).lower()


def like_pattern(key: str) -> str:
    """A LIKE pattern matching ``key`` anywhere, its ``%`` and ``_`` taken literally.

    LIKE rather than ``instr``: measured about 15 % faster over 100,000 index entries.
    """
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: the search condition (the column holds lower-cased text, so does the pattern)
_MATCH = "o.search LIKE ? ESCAPE '\\'"


def _item(row: Any) -> OrderListItem:
    ship_by = row[8]
    return OrderListItem(
        id=row[0],
        number=row[1],
        status=OrderStatus(row[2]),
        customer_name=row[3],
        item_count=row[4],
        total_minor=row[5],
        currency=row[6],
        created_at=from_micros(row[7]),
        ship_by=None if ship_by is None else from_micros(ship_by),
        carrier=row[9],
        tracking_number=row[10],
        version=row[11],
        pending=bool(row[12]),
    )


class StoreReads:
    """The read side of :class:`mobile.store.Store` (everything a screen shows)."""

    conn: sqlite3.Connection
    clock: Callable[[], datetime]

    # ------------------------------------------------------------------ lists

    def list_orders(
        self,
        statuses: Iterable[OrderStatus] | None = None,
        q: str = "",
        *,
        open_only: bool = False,
        limit: int = 50,
        after: ListCursor | None = None,
    ) -> OrderList:
        """A page of orders, most urgent first (ship-by ascending; unpaid last).

        ``statuses`` filters (the chips), ``q`` matches any part of the order number or
        customer name, case-insensitively; ``open_only`` keeps the work still to do.
        """
        chosen = set(statuses or ())
        if open_only:
            chosen = (chosen & OPEN_STATUSES) if chosen else set(OPEN_STATUSES)
        where: list[str] = []
        params: list[object] = []
        if chosen:
            where.append(f"o.status IN ({', '.join('?' for _ in chosen)})")
            params.extend(sorted(s.value for s in chosen))
        key = search_key(q)
        if key:
            where.append(_MATCH)
            params.append(like_pattern(key))
        if after is not None:
            where.append("(o.due_key, o.search, o.rid) > (?, ?, ?)")
            params.extend((after.due_key, after.search, after.rid))
        sql = f"SELECT {_LIST_COLUMNS} FROM orders o"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY o.due_key, o.search, o.rid LIMIT ?"
        params.append(limit + 1)
        rows = self.conn.execute(sql, params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if more:
            last = rows[-1]
            next_cursor = ListCursor(due_key=last[13], search=last[14], rid=last[15])
        return OrderList(items=[_item(r) for r in rows], next=next_cursor)

    def counts(self, q: str = "") -> StatusCounts:
        """Orders per status (for the filter chips), under the same search."""
        key = search_key(q)
        if key:
            rows = self.conn.execute(
                f"SELECT o.status, count(*) FROM orders o WHERE {_MATCH} GROUP BY o.status",
                (like_pattern(key),),
            ).fetchall()
        else:
            rows = self.conn.execute(
                "SELECT status, count(*) FROM orders GROUP BY status"
            ).fetchall()
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for status, count in rows:
            counts[OrderStatus(status)] = int(count)
        return StatusCounts(counts=counts, total=sum(counts.values()))

    def find_by_number(self, number: str) -> OrderListItem | None:
        """The order with exactly this number (a scanned packing slip), any case."""
        row = self.conn.execute(
            f"SELECT {_LIST_COLUMNS} FROM orders o WHERE o.number_key = ?",
            (number.strip().lower(),),
        ).fetchone()
        return None if row is None else _item(row)

    def order_count(self) -> int:
        """How many orders the device holds."""
        return int(self.conn.execute("SELECT count(*) FROM orders").fetchone()[0])

    def newest_row(self) -> int:
        """The row number of the order filed last (0 when the device holds none).

        Rows are numbered as orders first arrive and keep their number when updated, so
        orders with a higher number are ones this device had not seen before.
        """
        return int(self.conn.execute("SELECT coalesce(max(rid), 0) FROM orders").fetchone()[0])

    def orders_filed_after(
        self, row: int, statuses: Iterable[OrderStatus] = ()
    ) -> tuple[int, list[str]]:
        """Ids of orders first filed after ``row`` (in these statuses), and the newest row."""
        where: list[str] = ["rid > ?"]
        params: list[object] = [row]
        chosen = sorted(s.value for s in statuses)
        if chosen:
            where.append(f"status IN ({', '.join('?' for _ in chosen)})")
            params.extend(chosen)
        found = self.conn.execute(
            f"SELECT id FROM orders WHERE {' AND '.join(where)} ORDER BY rid", params
        ).fetchall()
        return max(row, self.newest_row()), [str(r[0]) for r in found]

    # ------------------------------------------------------------------ one order

    def order(self, order_id: str) -> Order | None:
        """The order as the device shows it (the rebased view), or ``None``."""
        row = self.conn.execute(
            "SELECT coalesce(view, base) FROM orders WHERE id = ?", (order_id,)
        ).fetchone()
        return None if row is None else _order_decoder.decode(row[0])

    def base_order(self, order_id: str) -> Order | None:
        """The order as the server last sent it, or ``None``."""
        row = self.conn.execute("SELECT base FROM orders WHERE id = ?", (order_id,)).fetchone()
        return None if row is None else _order_decoder.decode(row[0])

    def order_detail(self, order_id: str) -> OrderDetail | None:
        """One order with its notes, conflicts, pending and rejected changes."""
        row = self.conn.execute(
            "SELECT coalesce(view, base), coalesce(view_notes, notes), version, number "
            "FROM orders WHERE id = ?",
            (order_id,),
        ).fetchone()
        if row is None:
            return None
        notes = _notes_decoder.decode(row[1])
        notes.sort(key=lambda n: (n.created_at, n.id))
        pending = [
            _mutation_decoder.decode(body)
            for (body,) in self.conn.execute(
                "SELECT body FROM outbox WHERE order_id = ? ORDER BY seq", (order_id,)
            )
        ]
        return OrderDetail(
            order=_order_decoder.decode(row[0]),
            notes=notes,
            conflicts=self.conflicts(order_id=order_id),
            pending=pending,
            rejected=self.rejected(order_id=order_id),
            base_version=int(row[2]),
        )

    # ------------------------------------------------------------------ sync state

    def pending_count(self) -> int:
        """Mutations waiting to be sent."""
        return int(self.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def pending_order_ids(self) -> set[str]:
        """Orders with changes waiting to be sent (the "waiting to sync" mark)."""
        return {str(r[0]) for r in self.conn.execute("SELECT DISTINCT order_id FROM outbox")}

    def rejected(
        self, *, order_id: str | None = None, include_dismissed: bool = False
    ) -> list[RejectedMutation]:
        """Changes the server refused, newest first, with the reason it gave."""
        sql = (
            "SELECT r.body, coalesce(o.number, ''), r.code, r.message, r.rejected_at, "
            "r.dismissed_at FROM rejected r LEFT JOIN orders o ON o.id = r.order_id"
        )
        where, params = [], []
        if order_id is not None:
            where.append("r.order_id = ?")
            params.append(order_id)
        if not include_dismissed:
            where.append("r.dismissed_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY r.rejected_at DESC, r.mutation_id"
        return [
            RejectedMutation(
                mutation=_mutation_decoder.decode(body),
                order_number=number,
                code=code,
                message=message,
                rejected_at=from_micros(at),
                dismissed_at=None if dismissed is None else from_micros(dismissed),
            )
            for body, number, code, message, at, dismissed in self.conn.execute(sql, params)
        ]

    def rejected_count(self) -> int:
        """Refused changes not dismissed yet."""
        row = self.conn.execute("SELECT count(*) FROM rejected WHERE dismissed_at IS NULL")
        return int(row.fetchone()[0])

    def conflicts(
        self, *, order_id: str | None = None, include_dismissed: bool = False
    ) -> list[StoredConflict]:
        """Conflicts the server recorded, newest first."""
        sql = (
            "SELECT c.body, coalesce(o.number, ''), c.dismissed_at FROM conflicts c "
            "LEFT JOIN orders o ON o.id = c.order_id"
        )
        where, params = [], []
        if order_id is not None:
            where.append("c.order_id = ?")
            params.append(order_id)
        if not include_dismissed:
            where.append("c.dismissed_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.at DESC, c.id"
        return [
            StoredConflict(
                conflict=_conflict_decoder.decode(body),
                order_number=number,
                dismissed_at=None if dismissed is None else from_micros(dismissed),
            )
            for body, number, dismissed in self.conn.execute(sql, params)
        ]

    def conflicts_count(self) -> int:
        """Conflicts not dismissed yet."""
        row = self.conn.execute("SELECT count(*) FROM conflicts WHERE dismissed_at IS NULL")
        return int(row.fetchone()[0])

    def last_synced_at(self) -> datetime | None:
        """When the last complete sync finished (server time), or ``None``."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'last_synced_at'").fetchone()
        return None if row is None else datetime.fromisoformat(row[0])
