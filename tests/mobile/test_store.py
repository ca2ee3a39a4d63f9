"""The device store: actions are applied and queued atomically; pulls rebase pending work."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from mobile.store import OrderNotFound, Store
from mobile.store import actions as act
from shared import commands as c
from shared.lifecycle import StepRefused, apply
from shared.sync import ConflictKind, ConflictRecord, MutationResult, MutationStatus
from shared.types import NoteKind, OrderStatus
from tests import builders as b
from tests.mobile.helpers import SERVER_TIME, page_of, pull, server_note, variant


def _snapshot(store: Store) -> list[tuple[object, ...]]:
    """Every row of every table, to prove that nothing was written."""
    rows: list[tuple[object, ...]] = []
    for table in ("orders", "outbox", "rejected", "conflicts", "meta"):
        rows += [(table, *r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
    return rows


def _applied(*mutations: object) -> list[MutationResult]:
    return [
        MutationResult(mutation_id=m.mutation_id, status=MutationStatus.APPLIED)  # type: ignore[attr-defined]
        for m in mutations
    ]


# ---------------------------------------------------------------- local actions


def test_an_action_changes_the_view_and_queues_its_mutation(store: Store) -> None:
    pull(store, b.processing())
    change = act.scan_item(store, "order-1", "4006381333931")

    assert store.order("order-1").lines[0].picked == 1  # type: ignore[union-attr]
    assert store.base_order("order-1").lines[0].picked == 0  # type: ignore[union-attr]
    [queued] = store.outbox_batch(10)
    assert queued == change.mutation
    assert queued.command == c.Pick(code="4006381333931", quantity=1)
    assert queued.device_id == "device-A"
    assert queued.user_id == "user-1"
    assert uuid.UUID(queued.mutation_id).version == 4
    assert queued.client_time > SERVER_TIME
    assert store.pending_count() == 1


def test_the_view_and_the_outbox_change_together_or_not_at_all(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pull(store, b.processing())
    first = act.scan_item(store, "order-1", "4006381333931")
    before = _snapshot(store)
    # The next mutation gets the id of the first: its outbox insert fails after the
    # view was already updated in the same transaction.
    monkeypatch.setattr(
        "mobile.store.database.uuid.uuid4", lambda: uuid.UUID(first.mutation.mutation_id)
    )
    with pytest.raises(sqlite3.IntegrityError):
        act.scan_item(store, "order-1", "4006381333931")
    assert _snapshot(store) == before
    assert store.order("order-1").lines[0].picked == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (lambda s: act.scan_item(s, "order-1", "0000000000000"), "wrong_item"),
        (lambda s: act.mark_shipped(s, "order-1", "ups", b.UPS_TRACKING), "processing_not_done"),
        (lambda s: act.pick_line(s, "order-1", "L2", 2), "over_pick"),
        (lambda s: act.inspect(s, "order-1"), "not_picked"),
    ],
)
def test_a_refused_step_raises_with_the_reason_and_writes_nothing(
    store: Store, action: object, code: str
) -> None:
    pull(store, b.processing())
    before = _snapshot(store)
    with pytest.raises(StepRefused) as refused:
        action(store)  # type: ignore[operator]
    assert refused.value.code == code
    assert refused.value.message
    assert _snapshot(store) == before


def test_an_order_not_on_the_device_is_not_found(store: Store) -> None:
    with pytest.raises(OrderNotFound):
        act.start_processing(store, "nope")
    assert store.pending_count() == 0


def test_the_outbox_keeps_the_order_in_which_things_were_done(store: Store) -> None:
    pull(store, b.processing())
    made = [
        act.pick_line(store, "order-1", "L1", 2).mutation,
        act.scan_item(store, "order-1", "TOTE-2").mutation,
        act.inspect(store, "order-1").mutation,
        act.pack(store, "order-1", "box-s", 900).mutation,
    ]
    assert store.outbox_batch(10) == made
    assert store.outbox_batch(2) == made[:2]


def test_the_store_survives_a_restart_with_its_device_id_and_outbox(
    tmp_path: Path, store: Store
) -> None:
    pull(store, b.processing())
    change = act.scan_item(store, "order-1", "MUG-1")
    store.close()
    again = Store(store.path, device_id="ignored-once-set")
    assert again.device_id == "device-A"
    assert again.outbox_batch(10) == [change.mutation]
    assert again.order("order-1").lines[0].picked == 1  # type: ignore[union-attr]
    again.close()


# ---------------------------------------------------------------- results and rebase


def test_a_pending_step_stays_visible_on_top_of_a_newer_server_state(store: Store) -> None:
    pull(store, b.processing())
    act.scan_item(store, "order-1", "4006381333931")
    # Meanwhile another device picked the tote; the server's state moved on.
    server = apply(b.processing(), c.Pick(line_id="L2"), SERVER_TIME).order
    pull(store, msgspec.structs.replace(server, version=2))

    view = store.order("order-1")
    assert view is not None
    assert [ln.picked for ln in view.lines] == [1, 1]
    assert store.base_order("order-1").lines[0].picked == 0  # type: ignore[union-attr]
    assert store.pending_count() == 1


def test_an_applied_step_is_shown_once_after_the_pull_brings_it(store: Store) -> None:
    pull(store, b.processing())
    change = act.scan_item(store, "order-1", "4006381333931")
    batch = store.outbox_batch(10)
    store.record_results(batch, _applied(change.mutation))

    # Answered but not pulled yet: the view keeps the step, nothing is pending.
    assert store.order("order-1").lines[0].picked == 1  # type: ignore[union-attr]
    assert store.pending_count() == 0
    assert store.pending_order_ids() == set()

    server = apply(b.processing(), change.mutation.command, SERVER_TIME).order
    pull(store, msgspec.structs.replace(server, version=3))
    view = store.order("order-1")
    assert view is not None
    assert view.lines[0].picked == 1
    assert view == store.base_order("order-1")


def test_a_rejected_mutation_is_kept_with_its_reason_and_leaves_the_view(store: Store) -> None:
    pull(store, b.ready_to_ship())
    change = act.hold(store, "order-1")
    assert store.order("order-1").status is OrderStatus.ON_HOLD  # type: ignore[union-attr]

    result = MutationResult(
        mutation_id=change.mutation.mutation_id,
        status=MutationStatus.REJECTED,
        code="already_shipped",
        message="Cannot put on hold: the order has left with the carrier.",
    )
    counts = store.record_results(store.outbox_batch(10), [result])
    assert counts.rejected == 1
    assert store.pending_count() == 0
    [rejected] = store.rejected()
    assert rejected.mutation == change.mutation
    assert (rejected.code, rejected.order_number) == ("already_shipped", "SF10001")
    assert "left with the carrier" in rejected.message
    assert store.rejected_count() == 1

    # The server's state did not change, so the pull brings nothing for this order; once
    # it has caught up, the view is rebuilt without the refused step.
    store.apply_pull_page(page_of([], cursor="c2"))
    store.finish_pull(SERVER_TIME)
    assert store.order("order-1").status is OrderStatus.READY_TO_SHIP  # type: ignore[union-attr]

    store.dismiss_rejected(change.mutation.mutation_id)
    assert store.rejected() == []
    assert store.rejected_count() == 0
    [kept] = store.rejected(include_dismissed=True)
    assert kept.dismissed_at is not None


def test_a_result_the_server_did_not_give_leaves_the_mutation_queued(store: Store) -> None:
    pull(store, b.processing())
    one = act.scan_item(store, "order-1", "MUG-1").mutation
    two = act.scan_item(store, "order-1", "MUG-1").mutation
    counts = store.record_results(store.outbox_batch(10), _applied(one))
    assert (counts.applied, counts.unanswered) == (1, 1)
    assert store.outbox_batch(10) == [two]


def test_a_resent_answer_changes_nothing(store: Store) -> None:
    pull(store, b.processing())
    one = act.scan_item(store, "order-1", "MUG-1").mutation
    batch = store.outbox_batch(10)
    store.record_results(batch, _applied(one))
    store.record_results(batch, _applied(one))
    assert store.pending_count() == 0


def test_an_older_page_does_not_overwrite_a_newer_state(store: Store) -> None:
    newer = msgspec.structs.replace(b.ready_to_ship(), version=9)
    pull(store, newer)
    pull(store, msgspec.structs.replace(b.processing(), version=4))
    assert store.order("order-1") == newer


def test_a_pulled_page_and_its_cursor_are_filed_together(store: Store) -> None:
    store.apply_pull_page(page_of([b.processing()], cursor="after-1", has_more=True))
    assert store.cursor == "after-1"
    assert store.order_count() == 1
    assert store.last_synced_at() is None  # not caught up yet
    store.finish_pull(SERVER_TIME)
    assert store.last_synced_at() == SERVER_TIME


# ---------------------------------------------------------------- notes and conflicts


def test_a_note_shows_at_once_and_once_only_after_the_server_has_it(store: Store) -> None:
    earlier = server_note("order-1", "Gift wrap")
    pull(store, b.processing(), notes={"order-1": [earlier]})
    change = act.add_note(store, "order-1", NoteKind.PACKAGING_INSTRUCTION, "Use the blue box")
    assert change.note is not None

    detail = store.order_detail("order-1")
    assert detail is not None
    assert [n.text for n in detail.notes] == ["Gift wrap", "Use the blue box"]
    assert detail.pending == [change.mutation]

    store.record_results(store.outbox_batch(10), _applied(change.mutation))
    kept = msgspec.structs.replace(change.note, created_at=SERVER_TIME + timedelta(minutes=1))
    pull(
        store,
        msgspec.structs.replace(b.processing(), version=2),
        notes={"order-1": [earlier, kept]},
    )
    detail = store.order_detail("order-1")
    assert detail is not None
    assert [n.id for n in detail.notes] == [earlier.id, change.note.id]
    assert detail.pending == []


def test_conflicts_are_kept_until_dismissed(store: Store) -> None:
    conflict = ConflictRecord(
        id="k1",
        order_id="order-1",
        kind=ConflictKind.SHIP_VS_CANCEL,
        message="Shipped on one device, cancelled on another: shipped stands.",
        at=SERVER_TIME,
    )
    pull(store, b.shipped(), conflicts={"order-1": [conflict]})
    assert store.conflicts_count() == 1
    [stored] = store.order_detail("order-1").conflicts  # type: ignore[union-attr]
    assert (stored.conflict, stored.order_number) == (conflict, "SF10001")

    store.dismiss_conflict("k1")
    pull(store, b.shipped(), conflicts={"order-1": [conflict]})  # seen again
    assert store.conflicts() == []
    assert len(store.conflicts(include_dismissed=True)) == 1


# ---------------------------------------------------------------- reads


def _fleet(store: Store) -> None:
    """Six orders: various statuses, deadlines and customers."""
    base = b.reviewed()
    day = timedelta(days=1)
    pull(
        store,
        variant(base, 1, name="Ada Lovelace", ship_by=SERVER_TIME + 2 * day),
        variant(b.processing(), 2, name="Grace Hopper", ship_by=SERVER_TIME - day),
        variant(b.ready_to_ship(), 3, name="Alan Turing", ship_by=SERVER_TIME + day),
        variant(b.shipped(), 4, name="Ada Byron", ship_by=SERVER_TIME - 3 * day),
        variant(base, 5, name="Edsger Dijkstra", ship_by=None),
        variant(b.cancelled(), 6, name="Barbara Liskov", ship_by=SERVER_TIME + day),
    )


def test_the_list_puts_the_most_urgent_first_and_unpaid_last(store: Store) -> None:
    _fleet(store)
    numbers = [o.number for o in store.list_orders().items]
    assert numbers == ["SF10004", "SF10002", "SF10003", "SF10006", "SF10001", "SF10005"]
    open_numbers = [o.number for o in store.list_orders(open_only=True).items]
    assert open_numbers == ["SF10002", "SF10003", "SF10001", "SF10005"]


def test_search_matches_any_part_of_number_or_name_in_any_case(store: Store) -> None:
    _fleet(store)
    assert [o.number for o in store.list_orders(q="ADA").items] == ["SF10004", "SF10001"]
    assert [o.number for o in store.list_orders(q="  lovelace ").items] == ["SF10001"]
    assert [o.number for o in store.list_orders(q="sf10003").items] == ["SF10003"]
    assert [o.number for o in store.list_orders(q="1000").items] != []
    assert store.list_orders(q="%").items == []
    assert store.list_orders(q="_").items == []
    assert store.list_orders(q="nobody").items == []


def test_status_filter_and_counts_follow_the_search(store: Store) -> None:
    _fleet(store)
    counts = store.counts()
    assert counts.total == 6
    assert counts.counts[OrderStatus.NEW] == 2
    assert counts.counts[OrderStatus.DELIVERED] == 0
    ada = store.counts("ada")
    assert (ada.total, ada.counts[OrderStatus.NEW], ada.counts[OrderStatus.SHIPPED]) == (2, 1, 1)
    news = store.list_orders([OrderStatus.NEW], q="ada").items
    assert [o.number for o in news] == ["SF10001"]


def test_paging_visits_every_order_once_in_order(store: Store) -> None:
    base = b.new_order()
    pull(
        store,
        *(variant(base, i, ship_by=SERVER_TIME + timedelta(hours=i % 3)) for i in range(1, 41)),
    )
    seen: list[str] = []
    page = store.list_orders(limit=7)
    while True:
        seen += [o.id for o in page.items]
        if page.next is None:
            break
        page = store.list_orders(limit=7, after=page.next)
    assert sorted(seen) == sorted(f"order-{i}" for i in range(1, 41))
    assert len(seen) == 40
    assert seen == [o.id for o in store.list_orders(limit=100).items]


def test_orders_with_changes_waiting_are_marked(store: Store) -> None:
    _fleet(store)
    act.start_processing(store, "order-1")
    marks = {o.number: o.pending for o in store.list_orders().items}
    assert marks["SF10001"] is True
    assert sum(marks.values()) == 1
    assert store.pending_order_ids() == {"order-1"}
    # The list row shows the view: the order is already Processing here.
    assert store.find_by_number("sf10001").status is OrderStatus.PROCESSING  # type: ignore[union-attr]


def test_a_scanned_slip_number_finds_its_order(store: Store) -> None:
    _fleet(store)
    found = store.find_by_number(" sf10003 ")
    assert found is not None and found.id == "order-3"
    assert store.find_by_number("SF99999") is None


def test_another_vendor_signing_in_starts_from_an_empty_store(store: Store) -> None:
    _fleet(store)
    act.start_processing(store, "order-1")
    with pytest.raises(RuntimeError, match="waiting to sync"):
        store.set_user("user-9", "Other", "vendor-2")
    store.record_results(store.outbox_batch(10), _applied(*store.outbox_batch(10)))
    store.set_user("user-9", "Other", "vendor-2")
    assert store.order_count() == 0
    assert store.cursor == ""


def test_a_conflict_settled_on_the_server_leaves_the_device(store: Store) -> None:
    conflict = ConflictRecord(
        id="k1",
        order_id="order-1",
        kind=ConflictKind.TRACKING_MISMATCH,
        message="Two labels bought: void one.",
        at=SERVER_TIME,
    )
    pull(store, b.shipped(), conflicts={"order-1": [conflict]})
    pull(store, msgspec.structs.replace(b.shipped(), version=7))  # listed no more
    assert store.conflicts(include_dismissed=True) == []
