"""The view an order shows on the device: the server's state with pending mutations on top.

After a pull, and once the server has answered a pushed mutation, the store rebuilds an
order's view from ``base`` (the server's state as last pulled) and the mutations still in
the outbox, replayed by the shared merge rules: a pending step is never lost, and one the
server already has is never shown twice. Notes are append-only, so the view's notes are
the server's plus the pending ones it does not have yet. Conflicts are the server's own.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import msgspec

from mobile.store.records import PulledPage
from mobile.store.schema import micros
from shared import commands as c
from shared.merge import rebase
from shared.sync import Mutation
from shared.types import Note, Order

_encode = msgspec.msgpack.Encoder().encode
_order_decoder = msgspec.msgpack.Decoder(Order)
_notes_decoder = msgspec.msgpack.Decoder(list[Note])
_mutation_decoder = msgspec.msgpack.Decoder(Mutation)


def local_note(command: c.AddNote, user_id: str, user_name: str, now: datetime) -> Note:
    """The note a pending ``AddNote`` shows until the server's copy arrives."""
    assert command.note_id is not None
    return Note(
        id=command.note_id,
        kind=command.kind,
        text=command.text,
        author_id=user_id,
        author_name=user_name,
        created_at=now,
        due_at=command.due_at,
    )


def pending_of(conn: sqlite3.Connection, order_id: str) -> list[Mutation]:
    """The order's mutations still in the outbox, oldest first."""
    rows = conn.execute(
        "SELECT body FROM outbox WHERE order_id = ? ORDER BY seq", (order_id,)
    ).fetchall()
    return [_mutation_decoder.decode(body) for (body,) in rows]


def rebuild(
    conn: sqlite3.Connection,
    order_id: str,
    base: bytes | msgspec.Raw,
    base_notes: bytes | msgspec.Raw,
    now: datetime,
    user_name: str,
) -> tuple[bytes, bytes]:
    """The view of an order: the server's state with this device's pending mutations on top.

    The order is replayed by the shared merge rules (a mutation the server would refuse
    now simply has no effect; the server's answer will say why). Notes are append-only,
    so the view's notes are the server's plus pending ones it does not have yet.
    """
    pending = pending_of(conn, order_id)
    order = rebase(_order_decoder.decode(base), pending, now)
    notes = _notes_decoder.decode(base_notes)
    known = {note.id for note in notes}
    for mutation in pending:
        command = mutation.command
        if isinstance(command, c.AddNote) and command.note_id not in known:
            notes.append(local_note(command, mutation.user_id, user_name, mutation.client_time))
    return _encode(order), _encode(notes)


def file_conflicts(conn: sqlite3.Connection, page: PulledPage) -> None:
    """Each pulled order carries its open conflicts: the device keeps exactly those.

    One settled on the server (no longer listed) leaves the device; a conflict the person
    already dismissed here stays dismissed when it is listed again.
    """
    with_conflicts = {
        order_id for (order_id,) in conn.execute("SELECT DISTINCT order_id FROM conflicts")
    }
    for change in page.changes:
        listed = change.conflicts
        if not listed and not with_conflicts:
            continue
        order_id = listed[0].order_id if listed else _order_id_of(change.order)
        if order_id in with_conflicts:
            keep = [k.id for k in listed]
            conn.execute(
                f"DELETE FROM conflicts WHERE order_id = ? "
                f"AND id NOT IN ({', '.join('?' for _ in keep)})",
                (order_id, *keep),
            )
        if listed:
            conn.executemany(
                "INSERT INTO conflicts (id, order_id, body, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                [(k.id, k.order_id, _encode(k), micros(k.at)) for k in listed],
            )


class _OrderId(msgspec.Struct):
    id: str


_order_id_decoder = msgspec.msgpack.Decoder(_OrderId)


def _order_id_of(doc: msgspec.Raw) -> str:
    return _order_id_decoder.decode(doc).id
