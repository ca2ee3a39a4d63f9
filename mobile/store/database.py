"""The device store: orders as the server sent them, the view the screens read, the outbox.

Every person's action is a mutation: :meth:`Store.record` applies it to the order's view
with the lifecycle rules of ``shared/`` and appends it to the outbox in one SQLite
transaction, so a crash can never keep one without the other. The sync client takes
mutations from the outbox in order (:meth:`Store.outbox_batch`), files the server's
answer (:meth:`Store.record_results`) and files pulled pages (:meth:`Store.apply_pull_page`),
after which each order's view is rebuilt as *server state + still-pending mutations*
(the rebase model, :mod:`mobile.store.rebase`): a pending step is never lost and never
shown twice. The screens' reads are in :mod:`mobile.store.reads`, the tables in
:mod:`mobile.store.schema`.
"""

from __future__ import annotations

import gc
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from mobile.store.reads import StoreReads
from mobile.store.rebase import file_conflicts, local_note, rebuild
from mobile.store.records import LocalChange, PulledPage
from mobile.store.schema import COLUMN_NAMES, connect, micros, order_columns
from shared import commands as c
from shared.lifecycle import apply
from shared.sync import Mutation, MutationResult, MutationStatus
from shared.types import Note, Order

_encode = msgspec.msgpack.Encoder().encode
_order_decoder = msgspec.msgpack.Decoder(Order)
_notes_decoder = msgspec.msgpack.Decoder(list[Note])
_mutation_decoder = msgspec.msgpack.Decoder(Mutation)

_VIEW_COLUMNS = ", ".join(f"{name} = ?" for name in COLUMN_NAMES[1:])
# A local action leaves ``stale`` alone: a view waiting for the pull still needs rebuilding.
_UPDATE_VIEW = f"UPDATE orders SET {_VIEW_COLUMNS}, view = ?, view_notes = ? WHERE id = ?"
_REFRESH_VIEW = (
    f"UPDATE orders SET {_VIEW_COLUMNS}, view = ?, view_notes = ?, stale = 0 WHERE id = ?"
)
_ALL_COLUMNS = (*COLUMN_NAMES, "version", "base", "view", "notes", "view_notes")
# A page may carry an order older than the one already filed (pages of an interrupted
# sync seen again): the version guard keeps the newer state.
_UPSERT = (
    f"INSERT INTO orders ({', '.join(_ALL_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _ALL_COLUMNS)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _ALL_COLUMNS[1:])
    + ", stale = 0 WHERE excluded.version >= orders.version"
)


class OrderNotFound(LookupError):
    """The order is not in this device's store (not synced yet, or another vendor's)."""


class ResultCounts(msgspec.Struct, kw_only=True):
    """What one push answer did to the outbox."""

    applied: int = 0
    merged: int = 0
    rejected: int = 0
    #: mutations the answer did not mention: they stay in the outbox and are sent again
    unanswered: int = 0


class Store(StoreReads):
    """One device's SQLite store (one file; one vendor; one device id)."""

    def __init__(
        self,
        path: str | Path,
        *,
        device_id: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = Path(path)
        self.conn = connect(path)
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        #: called after every commit (the PWA flushes its IndexedDB-backed file here)
        self.after_commit: list[Callable[[], None]] = []
        self.device_id = self._ensure_device_id(device_id)

    def close(self) -> None:
        """Close the database file."""
        self.conn.close()

    def _ensure_device_id(self, wanted: str | None) -> str:
        current = self.get_meta("device_id")
        if current is None:
            current = wanted or uuid.uuid4().hex
            self.set_meta("device_id", current)
        return current

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken up front, any error undoes all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        for hook in self.after_commit:
            hook()

    def get_meta(self, key: str) -> str | None:
        """A value of the store's key/value settings (cursor, user, tokens, …)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or, with ``None``, remove) one setting."""
        with self._write() as conn:
            _put_meta(conn, key, value)

    @property
    def user_id(self) -> str:
        """The signed-in person's id (stamped on every mutation)."""
        return self.get_meta("user_id") or ""

    @property
    def user_name(self) -> str:
        """The signed-in person's name (shown on notes written on this device)."""
        return self.get_meta("user_name") or ""

    def set_user(self, user_id: str, name: str, vendor_id: str) -> None:
        """Remember who works on this device; another vendor's sign-in starts from empty.

        Orders of one vendor must never show for another, so switching vendor clears the
        orders and the cursor — but only once nothing is waiting to be sent.
        """
        with self._write() as conn:
            known = conn.execute("SELECT value FROM meta WHERE key = 'vendor_id'").fetchone()
            if known is not None and known[0] != vendor_id:
                waiting = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
                if waiting:
                    raise RuntimeError(
                        f"{waiting} change(s) of the previous vendor are still waiting to sync"
                    )
                for table in ("orders", "conflicts", "rejected"):
                    conn.execute(f"DELETE FROM {table}")
                _put_meta(conn, "cursor", None)
                _put_meta(conn, "last_synced_at", None)
            _put_meta(conn, "vendor_id", vendor_id)
            _put_meta(conn, "user_id", user_id)
            _put_meta(conn, "user_name", name)

    # ------------------------------------------------------------------ local actions

    def record(self, order_id: str, command: c.Command) -> LocalChange:
        """Apply a person's action to the order's view and queue it, in one transaction.

        Raises ``StepRefused`` (nothing written) when the lifecycle does not allow it now,
        and :class:`OrderNotFound` when the order is not on this device.
        """
        now = self.clock()
        user_id, user_name = self.user_id, self.user_name
        if isinstance(command, c.AddNote) and command.note_id is None:
            # The writer picks the note id, so a resent mutation can never add it twice.
            command = msgspec.structs.replace(command, note_id=uuid.uuid4().hex)
        with self._write() as conn:
            row = conn.execute(
                "SELECT coalesce(view, base), coalesce(view_notes, notes) FROM orders WHERE id = ?",
                (order_id,),
            ).fetchone()
            if row is None:
                raise OrderNotFound(order_id)
            order = _order_decoder.decode(row[0])
            outcome = apply(order, command, now)  # StepRefused propagates: rolled back
            mutation = Mutation(
                mutation_id=uuid.uuid4().hex,
                device_id=self.device_id,
                user_id=user_id,
                order_id=order_id,
                command=command,
                client_time=now,
            )
            notes = _notes_decoder.decode(row[1])
            note = None
            if isinstance(command, c.AddNote):
                note = local_note(command, user_id, user_name, now)
                notes.append(note)
            view = _encode(outcome.order)
            columns, _ = order_columns(view)
            conn.execute(_UPDATE_VIEW, (*columns[1:], view, _encode(notes), order_id))
            conn.execute(
                "INSERT INTO outbox (mutation_id, order_id, action, body, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    mutation.mutation_id,
                    order_id,
                    c.action_name(command),
                    _encode(mutation),
                    micros(now),
                ),
            )
        return LocalChange(mutation=mutation, order=outcome.order, note=note)

    # ------------------------------------------------------------------ outbox

    def outbox_batch(self, limit: int) -> list[Mutation]:
        """The oldest pending mutations, in the order they were made."""
        rows = self.conn.execute(
            "SELECT body FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [_mutation_decoder.decode(body) for (body,) in rows]

    def record_results(self, batch: list[Mutation], results: list[MutationResult]) -> ResultCounts:
        """File the server's answer for a pushed batch, in one transaction.

        Applied and merged mutations leave the outbox (the next pull brings their effect);
        rejected ones move to the rejected list with the server's reason, and their order's
        view is rebuilt without them once the pull has caught up. A mutation the answer
        does not mention stays queued: it is sent again and the server's idempotency
        answers it then.
        """
        by_id = {r.mutation_id: r for r in results}
        counts = ResultCounts()
        now = micros(self.clock())
        with self._write() as conn:
            for mutation in batch:
                result = by_id.get(mutation.mutation_id)
                if result is None:
                    counts.unanswered += 1
                    continue
                if result.status is MutationStatus.REJECTED:
                    counts.rejected += 1
                    _reject(conn, mutation, result.code, result.message, now)
                    continue
                if result.status is MutationStatus.APPLIED:
                    counts.applied += 1
                else:
                    counts.merged += 1
                conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation.mutation_id,))
                # Until the pull brings the server's state, the view keeps this step.
                conn.execute("UPDATE orders SET stale = 1 WHERE id = ?", (mutation.order_id,))
        return counts

    def reject_locally(self, mutation: Mutation, code: str, message: str) -> None:
        """Move a mutation the server cannot even read to the rejected list (with why)."""
        with self._write() as conn:
            _reject(conn, mutation, code, message, micros(self.clock()))

    def dismiss_rejected(self, mutation_id: str) -> None:
        """The person has read why a change was refused: stop showing it (kept on file)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE rejected SET dismissed_at = ? WHERE mutation_id = ? "
                "AND dismissed_at IS NULL",
                (micros(self.clock()), mutation_id),
            )

    def dismiss_conflict(self, conflict_id: str) -> None:
        """The person has seen a conflict: stop showing it (kept on file)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE conflicts SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL",
                (micros(self.clock()), conflict_id),
            )

    # ------------------------------------------------------------------ pull

    @property
    def cursor(self) -> str:
        """Where the next pull starts ("" before the first sync)."""
        return self.get_meta("cursor") or ""

    def apply_pull_page(self, page: PulledPage) -> int:
        """File one pulled page and its cursor in one transaction; returns orders filed.

        Orders with pending mutations get their view rebuilt on the new server state;
        the others show the server's state as it is.
        """
        now = self.clock()
        with _gc_paused(), self._write() as conn:
            pending_orders = {
                order_id for (order_id,) in conn.execute("SELECT DISTINCT order_id FROM outbox")
            }
            rows: list[tuple[object, ...]] = []
            for change in page.changes:
                columns, version = order_columns(change.order)
                order_id = str(columns[0])
                if order_id in pending_orders:
                    view, view_notes = rebuild(
                        conn, order_id, change.order, change.notes, now, self.user_name
                    )
                    view_columns, _ = order_columns(view)
                    rows.append(
                        (*view_columns, version, change.order, view, change.notes, view_notes)
                    )
                else:
                    rows.append((*columns, version, change.order, None, change.notes, None))
            conn.executemany(_UPSERT, rows)
            file_conflicts(conn, page)
            _put_meta(conn, "cursor", page.cursor)
        return len(page.changes)

    def restart_pull(self) -> None:
        """Make the next pull a first sync whose pages replace what the device holds.

        For a cursor the server no longer accepts (it was restored from an older backup):
        versions are forgotten too, so the server's state wins even where its change
        numbers went backwards. Pending mutations stay queued.
        """
        with self._write() as conn:
            _put_meta(conn, "cursor", None)
            conn.execute("UPDATE orders SET version = 0")

    def finish_pull(self, server_time: datetime) -> int:
        """The pull caught up: rebuild views still waiting for it; note when we synced.

        Returns how many views were rebuilt (orders whose pushed mutations the server
        rejected or merged without a change, so the pull did not bring them).
        """
        now = self.clock()
        with self._write() as conn:
            stale = conn.execute("SELECT id, base, notes FROM orders WHERE stale = 1").fetchall()
            for order_id, base, notes in stale:
                self._refresh_view(conn, order_id, base, notes, now)
            _put_meta(conn, "last_synced_at", server_time.isoformat())
        return len(stale)

    def _refresh_view(
        self, conn: sqlite3.Connection, order_id: str, base: bytes, notes: bytes, now: datetime
    ) -> None:
        pending = conn.execute("SELECT 1 FROM outbox WHERE order_id = ? LIMIT 1", (order_id,))
        if pending.fetchone() is None:
            view: bytes = base
            view_notes: bytes | None = None
            stored_view: bytes | None = None
        else:
            view, view_notes = rebuild(conn, order_id, base, notes, now, self.user_name)
            stored_view = view
        columns, _ = order_columns(view)
        conn.execute(_REFRESH_VIEW, (*columns[1:], stored_view, view_notes, order_id))


# ---------------------------------------------------------------------- helpers


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage-collector passes while a page is filed (thousands of short-lived objects).

    A full pass walks every live object of the app; triggered by a page's allocations it
    costs more than filing the page. Nothing filed here forms reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _put_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _reject(
    conn: sqlite3.Connection, mutation: Mutation, code: str, message: str, now: int
) -> None:
    conn.execute(
        "INSERT INTO rejected (mutation_id, order_id, action, body, code, message, rejected_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mutation_id) DO NOTHING",
        (
            mutation.mutation_id,
            mutation.order_id,
            c.action_name(mutation.command),
            _encode(mutation),
            code or "rejected",
            message or "The server did not accept this change.",
            now,
        ),
    )
    conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation.mutation_id,))
    conn.execute("UPDATE orders SET stale = 1 WHERE id = ?", (mutation.order_id,))
