"""Every step of the lifecycle can be recorded on the device, offline, as one mutation each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mobile.store import Store
from mobile.store import actions as act
from shared import commands as c
from shared.lifecycle import StepRefused
from shared.types import CancelReason, HoldReason, NoteKind, OrderStatus
from tests import builders as b
from tests.mobile.helpers import SERVER_TIME, pull


def _actions(store: Store) -> list[str]:
    return [c.action_name(m.command) for m in store.outbox_batch(100)]


def test_an_order_is_worked_from_new_to_delivered_offline(store: Store) -> None:
    pull(store, b.new_order())
    oid = "order-1"
    act.verify_availability(store, oid)
    act.verify_address(store, oid)
    act.confirm_payment(store, oid)
    assert act.start_processing(store, oid).order.status is OrderStatus.PROCESSING
    act.scan_item(store, oid, "4006381333931")
    act.scan_item(store, oid, "mug-1")  # the SKU typed in any case counts as well
    act.pick_line(store, oid, "L2")
    act.inspect(store, oid)
    act.pack(store, oid, "box-s", 900)
    ready = act.print_slip(store, oid).order
    assert ready.status is OrderStatus.READY_TO_SHIP
    act.print_label(store, oid)
    act.attach_label(store, oid)
    shipped = act.mark_shipped(store, oid, "UPS", b.UPS_TRACKING).order
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == (
        OrderStatus.SHIPPED,
        "ups",
        b.UPS_TRACKING,
    )
    delivered = act.confirm_delivery(store, oid).order
    assert delivered.status is OrderStatus.DELIVERED
    assert delivered.payout_due_at is not None

    assert _actions(store) == [
        "verify_availability",
        "verify_address",
        "confirm_payment",
        "start_processing",
        "pick",
        "pick",
        "pick",
        "inspect",
        "pack",
        "print_slip",
        "print_label",
        "attach_label",
        "ship",
        "confirm_delivery",
    ]
    assert store.list_orders().items[0].status is OrderStatus.DELIVERED
    assert store.base_order(oid).status is OrderStatus.NEW  # type: ignore[union-attr]
    mutation_ids = {m.mutation_id for m in store.outbox_batch(100)}
    assert len(mutation_ids) == 14


def test_a_short_line_puts_the_order_on_hold_until_resolved(store: Store) -> None:
    pull(store, b.processing())
    held = act.mark_short(store, "order-1", "L2").order
    assert (held.status, held.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.OUT_OF_STOCK)
    with pytest.raises(StepRefused):
        act.scan_item(store, "order-1", "TOTE-2")
    resumed = act.resolve(
        store, "order-1", c.Resolution.SUBSTITUTE, line_id="L2", substitute_sku="TOTE-3"
    ).order
    assert resumed.status is OrderStatus.PROCESSING
    assert resumed.lines[1].sku == "TOTE-3"
    assert _actions(store) == ["mark_short", "resolve"]


def test_hold_and_cancel_are_recorded_with_their_reasons(store: Store) -> None:
    pull(store, b.processing())
    act.hold(store, "order-1", HoldReason.CUSTOMER_REQUEST)
    cancelled = act.cancel(store, "order-1", CancelReason.CUSTOMER_REQUEST).order
    assert cancelled.status is OrderStatus.CANCELLED
    [hold, cancel] = store.outbox_batch(10)
    assert hold.command == c.Hold(reason=HoldReason.CUSTOMER_REQUEST)
    assert cancel.command == c.Cancel(reason=CancelReason.CUSTOMER_REQUEST)


def test_a_note_is_recorded_with_an_id_chosen_on_the_device(store: Store) -> None:
    pull(store, b.shipped())
    due = SERVER_TIME + timedelta(days=2)
    change = act.add_note(store, "order-1", NoteKind.FOLLOW_UP, "Call about the return", due)
    command = change.mutation.command
    assert isinstance(command, c.AddNote)
    assert command.note_id and change.note is not None and change.note.id == command.note_id
    assert (change.note.author_name, change.note.due_at) == ("Sid Staff", due)
    assert change.order.status is OrderStatus.SHIPPED


def test_a_label_with_its_tracking_number_fills_the_ship_step(store: Store) -> None:
    pull(store, b.ready_to_ship())
    labelled = act.print_label(store, "order-1", "ups", "Ground", b.UPS_TRACKING).order
    assert labelled.tracking_number == b.UPS_TRACKING
    with pytest.raises(StepRefused) as refused:
        act.mark_shipped(store, "order-1", "ups", "not-a-number")
    assert refused.value.code in ("label_not_attached", "invalid_tracking")
