"""Helpers of the device tests: a store on disk, pages "pulled" from orders built by the rules."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import msgspec

from mobile.store import PulledPage, Store
from mobile.sync.wire import MSGPACK, decode_pull
from shared.sync import ConflictRecord, OrderChange, PullResponse
from shared.types import Customer, Note, NoteKind, Order

SERVER_TIME = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for stores (each reading a millisecond after the last)."""

    def __init__(self, start: datetime = SERVER_TIME) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def page_of(
    orders: Iterable[Order],
    notes: dict[str, list[Note]] | None = None,
    conflicts: dict[str, list[ConflictRecord]] | None = None,
    cursor: str = "c1",
    has_more: bool = False,
) -> PulledPage:
    """A pull page as the server would send it, decoded by the device's real wire code."""
    notes = notes or {}
    conflicts = conflicts or {}
    response = PullResponse(
        changes=[
            OrderChange(order=o, notes=notes.get(o.id, []), conflicts=conflicts.get(o.id, []))
            for o in orders
        ],
        cursor=cursor,
        has_more=has_more,
        server_time=SERVER_TIME,
    )
    return decode_pull(msgspec.msgpack.encode(response), MSGPACK)


def pull(store: Store, *orders: Order, **kw: object) -> None:
    """File orders as one complete pull (page + caught up)."""
    store.apply_pull_page(page_of(orders, **kw))  # type: ignore[arg-type]
    store.finish_pull(SERVER_TIME)


def server_note(order_id: str, text: str = "Fragile", note_id: str | None = None) -> Note:
    """A note as the server holds it."""
    return Note(
        id=note_id or uuid.uuid4().hex,
        kind=NoteKind.TEAM_MESSAGE,
        text=text,
        author_id="someone",
        author_name="Someone",
        created_at=SERVER_TIME,
    )


def variant(order: Order, i: int, **changes: object) -> Order:
    """A copy of ``order`` with its own id, number and customer."""
    return msgspec.structs.replace(
        order,
        id=f"order-{i}",
        number=f"SF{10000 + i}",
        customer=Customer(name=str(changes.pop("name", f"Casey Customer {i}"))),
        version=i,
        **changes,
    )


async def poll_until(
    condition: Callable[[], bool], seconds: float = 5.0, every: float = 0.01
) -> None:
    """Poll until ``condition`` holds; fail after ``seconds``."""
    for _ in range(max(1, int(seconds / every))):
        if condition():
            return
        await asyncio.sleep(every)
    raise AssertionError("not reached in time")
