"""The seller guide's lifecycle: every transition, every refusal and its reason code."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import structs

from shared import commands as c
from shared.commands import ACTIONS, Resolution
from shared.lifecycle import (
    StepRefused,
    allowed_actions,
    apply,
    check,
    missing_steps,
    stage_checklist,
)
from shared.types import (
    Address,
    CancelReason,
    HoldReason,
    NoteKind,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    PaymentStatus,
    Step,
)
from tests.builders import (
    BY_STATUS,
    PICK_ALL,
    PROCESS,
    REVIEW,
    UPS_TRACKING,
    at,
    cancelled,
    delivered,
    labelled,
    new_order,
    on_hold,
    processing,
    ready_to_ship,
    reviewed,
    run,
    shipped,
    step,
)

S = OrderStatus


def refused(order: Order, command: c.Command) -> StepRefused:
    """The refusal of a step that must not be allowed."""
    with pytest.raises(StepRefused) as info:
        apply(order, command, at(100))
    return info.value


# ------------------------------------------------------------------ New


def test_each_review_check_of_a_new_order_is_stamped_with_its_time() -> None:
    order = new_order()
    order = step(order, c.VerifyAvailability(), 1).order
    order = step(order, c.VerifyAddress(), 2).order
    order = step(order, c.ConfirmPayment(), 3).order
    assert (order.availability_verified_at, order.address_verified_at) == (at(1), at(2))
    assert order.payment_confirmed_at == at(3)
    assert order.status is S.NEW


def test_a_reviewed_new_order_moves_to_processing() -> None:
    outcome = step(reviewed(), c.StartProcessing())
    assert outcome.order.status is S.PROCESSING
    assert outcome.order.processing_started_at == at(100)
    assert [e.kind for e in outcome.events] == ["start_processing", "status_changed"]
    assert outcome.events[1].detail == {"from": "new", "to": "processing"}
    assert outcome.status_changed


def test_processing_cannot_start_before_the_review_names_what_is_missing() -> None:
    order = run(new_order(), c.VerifyAvailability())
    refusal = refused(order, c.StartProcessing())
    assert refusal.code == "checks_missing"
    assert "shipping address checked" in refusal.message
    assert "payment confirmed" in refusal.message
    assert "availability" not in refusal.message


def test_payment_cannot_be_confirmed_while_the_marketplace_reports_it_pending() -> None:
    refusal = refused(new_order(payment_status=PaymentStatus.PENDING), c.ConfirmPayment())
    assert refusal.code == "payment_not_received"
    assert "pending" in refusal.message


def test_an_incomplete_address_cannot_be_verified_and_the_problems_are_named() -> None:
    address = Address(name="Casey", line1="", city="Springfield", country="US")
    refusal = refused(new_order(shipping_address=address), c.VerifyAddress())
    assert refusal.code == "address_invalid"
    assert "street address is missing" in refusal.message
    assert "postal code is missing" in refusal.message


@pytest.mark.parametrize(
    "command", [c.VerifyAvailability(), c.VerifyAddress(), c.ConfirmPayment()], ids=str
)
def test_a_review_check_done_twice_is_refused_as_already_done(command: c.Command) -> None:
    assert refused(reviewed(), command).code == "already_done"


@pytest.mark.parametrize(
    "command",
    [c.VerifyAvailability(), c.VerifyAddress(), c.ConfirmPayment(), c.StartProcessing()],
    ids=lambda cmd: c.action_name(cmd),
)
def test_review_steps_are_refused_once_the_order_left_new(command: c.Command) -> None:
    refusal = refused(processing(), command)
    assert refusal.code == "wrong_status"
    assert "the order is Processing; this needs New" in refusal.message


# ------------------------------------------------------------------ Processing: pick


def test_a_pick_by_line_id_counts_units_and_records_the_delta() -> None:
    outcome = step(processing(), c.Pick(line_id="L1"))
    assert outcome.order.lines[0].picked == 1
    assert outcome.events[0].detail == {"line_id": "L1", "sku": "MUG-1", "delta": 1, "picked": 1}


def test_a_scanned_barcode_or_sku_in_any_case_finds_its_line() -> None:
    order = run(processing(), c.Pick(code="4006381333948"), c.Pick(code=" mug-1 "))
    assert [line.picked for line in order.lines] == [1, 1]


def test_a_negative_pick_puts_units_back() -> None:
    order = run(processing(), c.Pick(line_id="L1", quantity=2), c.Pick(line_id="L1", quantity=-1))
    assert order.lines[0].picked == 1


def test_picking_more_than_ordered_is_an_over_pick() -> None:
    order = run(processing(), c.Pick(line_id="L1", quantity=2))
    refusal = refused(order, c.Pick(line_id="L1"))
    assert refusal.code == "over_pick"
    assert "MUG-1: 2 of 2 already picked" in refusal.message


def test_putting_back_more_than_was_picked_is_an_under_pick() -> None:
    refusal = refused(run(processing(), c.Pick(line_id="L1")), c.Pick(line_id="L1", quantity=-2))
    assert refusal.code == "under_pick"


def test_a_scan_of_an_item_not_in_the_order_is_a_wrong_item() -> None:
    refusal = refused(processing(), c.Pick(code="9999999999999"))
    assert refusal.code == "wrong_item"
    assert "'9999999999999' is not an item of order SF10001" in refusal.message


def test_a_pick_of_a_line_the_order_does_not_have_is_an_unknown_line() -> None:
    assert refused(processing(), c.Pick(line_id="L9")).code == "unknown_line"


def test_a_pick_that_names_no_line_is_refused() -> None:
    assert refused(processing(), c.Pick()).code == "missing_field"


def test_a_blank_scan_is_refused_rather_than_counted_against_an_item_without_barcode() -> None:
    lines = [
        OrderLine(id="L1", sku="MUG-1", barcode="", quantity=1),
        OrderLine(id="L2", sku="TOTE-2", barcode="", quantity=1),
    ]
    order = run(new_order(lines=lines), *REVIEW, c.StartProcessing())
    refusal = refused(order, c.Pick(code="   "))
    assert refusal.code == "missing_field"


def test_picking_is_refused_outside_processing() -> None:
    for order in (reviewed(), ready_to_ship(), on_hold(S.PROCESSING)):
        assert refused(order, c.Pick(line_id="L1")).code == "wrong_status"


# ------------------------------------------------------------------ Processing: inspect, pack, slip


def test_inspection_needs_every_item_picked_and_says_how_many_are_left() -> None:
    refusal = refused(run(processing(), c.Pick(line_id="L1")), c.Inspect())
    assert refusal.code == "not_picked"
    assert "2 still to pick" in refusal.message


def test_inspection_is_done_once() -> None:
    order = run(processing(), *PICK_ALL, c.Inspect())
    assert order.inspected_at is not None
    assert refused(order, c.Inspect()).code == "already_done"


def test_packing_needs_the_inspection_first() -> None:
    order = run(processing(), *PICK_ALL)
    refusal = refused(order, c.Pack(package_type="box", weight_grams=100))
    assert refusal.code == "not_inspected"


def test_packing_records_the_package_type_and_weight() -> None:
    order = run(
        processing(), *PICK_ALL, c.Inspect(), c.Pack(package_type="mailer", weight_grams=420)
    )
    assert order.package == Package(package_type="mailer", weight_grams=420)
    assert order.packed_at is not None


def test_a_reprinted_slip_keeps_the_first_print_time() -> None:
    first = step(processing(), c.PrintSlip(), 1)
    again = step(first.order, c.PrintSlip(), 2)
    assert again.order.slip_printed_at == at(1)
    assert (first.events[0].detail, again.events[0].detail) == (
        {"reprint": False},
        {"reprint": True},
    )


def test_the_last_processing_check_moves_the_order_to_ready_to_ship() -> None:
    order = run(processing(), *PROCESS[:-1])
    assert order.status is S.PROCESSING
    outcome = step(order, c.PrintSlip())
    assert outcome.order.status is S.READY_TO_SHIP
    assert outcome.order.ready_at == at(100)
    assert outcome.events[-1].detail == {"from": "processing", "to": "ready_to_ship"}


def test_processing_checks_count_in_any_order_slip_first() -> None:
    order = run(processing(), c.PrintSlip(), *PICK_ALL, c.Inspect())
    assert order.status is S.PROCESSING
    order = run(order, c.Pack(package_type="box", weight_grams=100))
    assert order.status is S.READY_TO_SHIP


def test_a_ready_order_can_be_repacked_until_its_label_is_printed() -> None:
    order = run(ready_to_ship(), c.Pack(package_type="box-l", weight_grams=2000))
    assert order.status is S.READY_TO_SHIP
    assert order.package == Package(package_type="box-l", weight_grams=2000)
    order = run(order, c.PrintLabel())
    assert refused(order, c.Pack(package_type="box", weight_grams=1)).code == "label_printed"


# ------------------------------------------------------------------ Ready to ship


def test_a_label_cannot_be_printed_while_processing_is_unfinished() -> None:
    refusal = refused(run(processing(), *PICK_ALL), c.PrintLabel())
    assert refusal.code == "processing_not_done"
    assert "quality inspected, packed, packing slip printed" in refusal.message


def test_a_printed_label_records_carrier_and_normalised_tracking() -> None:
    order = run(
        ready_to_ship(),
        c.PrintLabel(carrier="UPS", service="ground", tracking_number="1z999aa1-0123456784"),
    )
    assert (order.carrier, order.service, order.tracking_number) == ("ups", "ground", UPS_TRACKING)
    assert order.label_printed_at is not None


def test_a_label_with_a_tracking_number_of_another_shape_is_refused() -> None:
    refusal = refused(ready_to_ship(), c.PrintLabel(carrier="ups", tracking_number="12345"))
    assert refusal.code == "invalid_tracking"


def test_a_label_is_attached_only_after_it_is_printed_and_only_once() -> None:
    assert refused(ready_to_ship(), c.AttachLabel()).code == "label_not_printed"
    order = run(ready_to_ship(), c.PrintLabel(), c.AttachLabel())
    assert order.label_attached_at is not None
    assert refused(order, c.AttachLabel()).code == "already_done"


def test_shipping_needs_the_label_on_the_package() -> None:
    order = run(ready_to_ship(), c.PrintLabel())
    refusal = refused(order, c.Ship(carrier="ups", tracking_number=UPS_TRACKING))
    assert refusal.code == "label_not_attached"


def test_shipping_records_carrier_and_tracking_and_moves_to_shipped() -> None:
    outcome = step(labelled(), c.Ship(carrier="UPS", tracking_number="1z 999 aa1 0123456784"))
    assert outcome.order.status is S.SHIPPED
    assert outcome.order.shipped_at == at(100)
    assert (outcome.order.carrier, outcome.order.tracking_number) == ("ups", UPS_TRACKING)
    assert outcome.events[0].detail == {"carrier": "ups", "tracking_number": UPS_TRACKING}


@pytest.mark.parametrize(
    ("carrier", "tracking", "words"),
    [
        ("ups", "ABC", "is not a valid UPS tracking number"),
        ("pigeon", UPS_TRACKING, "Unknown carrier 'pigeon'"),
        ("ups", " - ", "Tracking number is empty"),
    ],
)
def test_shipping_with_a_tracking_number_the_carrier_cannot_have_is_refused(
    carrier: str, tracking: str, words: str
) -> None:
    refusal = refused(labelled(), c.Ship(carrier=carrier, tracking_number=tracking))
    assert refusal.code == "invalid_tracking"
    assert words in refusal.message


def test_shipping_an_order_still_in_processing_says_processing_is_not_done() -> None:
    refusal = refused(processing(), c.Ship(carrier="ups", tracking_number=UPS_TRACKING))
    assert refusal.code == "processing_not_done"


def test_shipping_twice_is_refused_as_already_shipped() -> None:
    refusal = refused(shipped(), c.Ship(carrier="ups", tracking_number=UPS_TRACKING))
    assert refusal.code == "already_shipped"


# ------------------------------------------------------------------ Shipped and Delivered


def test_the_carrier_reports_a_shipped_order_delivered() -> None:
    outcome = step(shipped(), c.Deliver())
    assert outcome.order.status is S.DELIVERED
    assert outcome.order.delivered_at == at(100)
    assert outcome.order.payout_due_at is None


def test_delivery_is_reported_once() -> None:
    assert refused(delivered(), c.Deliver()).code == "already_done"
    assert refused(ready_to_ship(), c.Deliver()).code == "wrong_status"


def test_confirming_delivery_of_a_delivered_order_makes_the_payout_due() -> None:
    order = step(delivered(), c.ConfirmDelivery()).order
    assert order.delivery_confirmed_at == at(100)
    assert order.payout_due_at == at(100)
    assert order.delivered_at != at(100)  # the carrier's delivery time is kept


def test_confirming_delivery_of_a_shipped_order_delivers_it() -> None:
    outcome = step(shipped(), c.ConfirmDelivery())
    assert outcome.order.status is S.DELIVERED
    assert outcome.order.delivered_at == outcome.order.payout_due_at == at(100)
    assert refused(outcome.order, c.ConfirmDelivery()).code == "already_done"


# ------------------------------------------------------------------ On hold


@pytest.mark.parametrize("origin", [S.NEW, S.PROCESSING, S.READY_TO_SHIP])
def test_an_active_order_is_put_on_hold_remembering_where_it_was(origin: OrderStatus) -> None:
    base = BY_STATUS[origin]()
    outcome = step(base, c.Hold(reason=HoldReason.CUSTOMER_REQUEST))
    order = outcome.order
    assert order.status is S.ON_HOLD
    assert (order.held_from, order.hold_reason, order.held_at) == (
        origin,
        HoldReason.CUSTOMER_REQUEST,
        at(100),
    )
    assert outcome.events[0].detail == {"reason": "customer_request"}


@pytest.mark.parametrize(
    ("builder", "code"),
    [(on_hold, "already_done"), (shipped, "already_shipped"), (delivered, "already_shipped")],
)
def test_hold_is_refused_on_held_shipped_and_delivered_orders(builder: object, code: str) -> None:
    assert callable(builder)
    assert refused(builder(), c.Hold()).code == code


@pytest.mark.parametrize("origin", [S.NEW, S.PROCESSING, S.READY_TO_SHIP])
def test_resolving_a_hold_returns_the_order_where_it_was(origin: OrderStatus) -> None:
    outcome = step(on_hold(origin), c.Resolve())
    assert outcome.order.status is origin
    assert (outcome.order.held_at, outcome.order.held_from, outcome.order.hold_reason) == (
        None,
        None,
        None,
    )
    assert outcome.events[0].detail == {"resolution": "resume"}


def test_resolve_is_refused_when_nothing_is_on_hold() -> None:
    assert refused(processing(), c.Resolve()).code == "wrong_status"


def test_a_short_item_puts_the_order_on_hold_as_out_of_stock() -> None:
    order = run(processing(), c.Pick(line_id="L1"))
    outcome = step(order, c.MarkShort(line_id="L1"))
    assert outcome.order.status is S.ON_HOLD
    assert outcome.order.hold_reason is HoldReason.OUT_OF_STOCK
    assert outcome.order.held_from is S.PROCESSING
    assert outcome.order.lines[0].short == 1  # the unpicked unit only
    assert outcome.events[0].detail == {"line_id": "L1", "sku": "MUG-1", "missing": 1}


def test_more_short_units_than_are_left_unpicked_is_a_bad_quantity() -> None:
    order = run(processing(), c.Pick(line_id="L1"))
    assert refused(order, c.MarkShort(line_id="L1", missing=2)).code == "bad_quantity"


def test_resuming_an_out_of_stock_hold_clears_the_short_counts() -> None:
    order = run(processing(), c.MarkShort(line_id="L1"), c.Resolve(resolution=Resolution.RESUME))
    assert order.status is S.PROCESSING
    assert [line.short for line in order.lines] == [0, 0]


def test_a_substitute_replaces_the_sku_and_sends_the_order_back_through_processing() -> None:
    order = run(ready_to_ship(), c.Hold(reason=HoldReason.OUT_OF_STOCK))
    outcome = step(
        order,
        c.Resolve(
            resolution=Resolution.SUBSTITUTE,
            line_id="L2",
            substitute_sku="TOTE-3",
            substitute_barcode="4006381333962",
        ),
    )
    new = outcome.order
    assert new.status is S.PROCESSING
    assert (new.lines[1].sku, new.lines[1].name, new.lines[1].picked) == ("TOTE-3", "TOTE-3", 0)
    assert (new.inspected_at, new.packed_at, new.package, new.ready_at) == (None, None, None, None)
    assert missing_steps(new) == [Step.PICK, Step.INSPECT, Step.PACK]
    assert outcome.events[0].detail == {
        "resolution": "substitute",
        "line_id": "L2",
        "old_sku": "TOTE-2",
        "new_sku": "TOTE-3",
    }


def test_a_substitute_without_a_replacement_sku_is_refused() -> None:
    command = c.Resolve(resolution=Resolution.SUBSTITUTE, line_id="L2")
    assert refused(on_hold(S.PROCESSING), command).code == "missing_field"


def test_removing_a_short_line_drops_it_from_the_order() -> None:
    order = run(new_order(), *REVIEW, c.MarkShort(line_id="L2"))
    outcome = step(order, c.Resolve(resolution=Resolution.REMOVE_LINE, line_id="L2"))
    assert outcome.order.status is S.NEW
    assert outcome.order.lines[1].removed
    assert refused(outcome.order, c.MarkShort(line_id="L2")).code == "line_removed"


def test_the_last_line_cannot_be_removed_cancel_instead() -> None:
    lines = [OrderLine(id="L1", sku="MUG-1", quantity=1)]
    order = run(new_order(lines=lines), c.MarkShort(line_id="L1"))
    refusal = refused(order, c.Resolve(resolution=Resolution.REMOVE_LINE, line_id="L1"))
    assert refusal.code == "last_line"
    assert "cancel the order instead" in refusal.message


def test_an_order_stays_on_hold_while_another_line_is_still_short() -> None:
    order = run(new_order(), c.MarkShort(line_id="L1"), c.MarkShort(line_id="L2"))
    outcome = step(order, c.Resolve(resolution=Resolution.REMOVE_LINE, line_id="L1"))
    assert outcome.order.status is S.ON_HOLD
    assert not outcome.status_changed


def test_resolving_a_line_the_order_does_not_have_is_an_unknown_line() -> None:
    command = c.Resolve(resolution=Resolution.REMOVE_LINE, line_id="L9")
    assert refused(on_hold(), command).code == "unknown_line"


# ------------------------------------------------------------------ Cancel


@pytest.mark.parametrize("status", [S.NEW, S.PROCESSING, S.READY_TO_SHIP, S.ON_HOLD])
def test_an_order_not_yet_shipped_can_be_cancelled(status: OrderStatus) -> None:
    outcome = step(BY_STATUS[status](), c.Cancel(reason=CancelReason.CUSTOMER_REQUEST))
    assert outcome.order.status is S.CANCELLED
    assert (outcome.order.cancelled_at, outcome.order.cancel_reason) == (
        at(100),
        CancelReason.CUSTOMER_REQUEST,
    )
    assert outcome.events[-1].detail == {"from": status.value, "to": "cancelled"}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (S.SHIPPED, "already_shipped"),
        (S.DELIVERED, "already_shipped"),
        (S.CANCELLED, "already_done"),
    ],
)
def test_cancel_is_refused_once_shipped_or_cancelled(status: OrderStatus, code: str) -> None:
    refusal = refused(BY_STATUS[status](), c.Cancel())
    assert refusal.code == code


def test_a_shipped_order_is_handled_as_a_return_not_a_cancel() -> None:
    assert "handle it as a return" in refused(shipped(), c.Cancel()).message


# ------------------------------------------------------------------ Notes


@pytest.mark.parametrize("status", list(S))
def test_a_note_can_be_added_in_every_status_without_changing_the_order(
    status: OrderStatus,
) -> None:
    order = BY_STATUS[status]()
    outcome = step(order, c.AddNote(kind=NoteKind.TEAM_MESSAGE, text="Fragile!"))
    assert outcome.order == order
    assert [e.kind for e in outcome.events] == ["add_note"]


# ------------------------------------------------------------------ allowed_actions, checklists

ALLOWED = {
    S.NEW: {"verify_availability", "verify_address", "confirm_payment", "mark_short"}
    | {"print_slip", "hold", "cancel", "add_note"},
    S.PROCESSING: {"pick", "mark_short", "print_slip", "hold", "cancel", "add_note"},
    S.READY_TO_SHIP: {"pack", "print_slip", "print_label", "hold", "cancel", "add_note"},
    S.SHIPPED: {"deliver", "confirm_delivery", "add_note"},
    S.DELIVERED: {"confirm_delivery", "add_note"},
    S.ON_HOLD: {"mark_short", "print_slip", "resolve", "cancel", "add_note"},
    S.CANCELLED: {"add_note"},
}


@pytest.mark.parametrize("status", list(S))
def test_allowed_actions_enable_exactly_the_buttons_of_each_status(status: OrderStatus) -> None:
    actions = allowed_actions(BY_STATUS[status]())
    assert set(actions) == set(ACTIONS)
    assert {a for a, why in actions.items() if why is None} == ALLOWED[status]


def test_allowed_actions_say_why_a_button_is_disabled() -> None:
    actions = allowed_actions(processing())
    inspect = actions["inspect"]
    assert inspect is not None
    assert (inspect.code, inspect.message) == (
        "not_picked",
        "Pick every item first (3 still to pick).",
    )


def test_check_answers_without_applying() -> None:
    order = reviewed()
    assert check(order, c.StartProcessing()) is None
    refusal = check(order, c.Ship(carrier="ups", tracking_number=UPS_TRACKING))
    assert refusal is not None and refusal.code == "wrong_status"
    assert order.status is S.NEW


def test_the_checklist_of_each_stage_tracks_its_own_steps() -> None:
    assert stage_checklist(new_order()) == [
        (Step.AVAILABILITY, False),
        (Step.ADDRESS, False),
        (Step.PAYMENT, False),
    ]
    assert stage_checklist(run(processing(), *PICK_ALL)) == [
        (Step.PICK, True),
        (Step.INSPECT, False),
        (Step.PACK, False),
        (Step.PACKING_SLIP, False),
    ]
    assert stage_checklist(run(ready_to_ship(), c.PrintLabel())) == [
        (Step.LABEL_PRINTED, True),
        (Step.LABEL_ATTACHED, False),
        (Step.TRACKING, False),
    ]
    assert stage_checklist(delivered()) == [(Step.TRACKING, True), (Step.DELIVERY_CONFIRMED, False)]
    assert stage_checklist(cancelled()) == []


def test_a_held_order_shows_the_checklist_of_the_stage_it_was_held_in() -> None:
    assert [s for s, _ in stage_checklist(on_hold(S.PROCESSING))] == [
        Step.PICK,
        Step.INSPECT,
        Step.PACK,
        Step.PACKING_SLIP,
    ]


def test_removed_lines_need_no_picking() -> None:
    order = run(processing(), c.Pick(line_id="L1", quantity=2), c.MarkShort(line_id="L2"))
    order = run(order, c.Resolve(resolution=Resolution.REMOVE_LINE, line_id="L2"))
    assert dict(stage_checklist(order))[Step.PICK] is True


# ------------------------------------------------------------------ properties

RANK = {S.NEW: 0, S.PROCESSING: 1, S.READY_TO_SHIP: 2, S.SHIPPED: 3, S.DELIVERED: 4}
#: refusals that depend on a command's arguments rather than the order's state
ARGUMENT_CODES = {
    "over_pick",
    "under_pick",
    "wrong_item",
    "unknown_line",
    "line_removed",
    "missing_field",
    "bad_quantity",
    "invalid_tracking",
    "last_line",
}

line_ids = st.sampled_from(["L1", "L2", "L9"])
commands = st.one_of(
    st.sampled_from(
        [
            c.VerifyAvailability(),
            c.VerifyAddress(),
            c.ConfirmPayment(),
            c.StartProcessing(),
            c.Inspect(),
            c.Pack(package_type="box", weight_grams=500),
            c.PrintSlip(),
            c.PrintLabel(),
            c.PrintLabel(carrier="dhl", tracking_number="1234567890"),
            c.AttachLabel(),
            c.Ship(carrier="ups", tracking_number=UPS_TRACKING),
            c.Ship(carrier="ups", tracking_number="nope"),
            c.Deliver(),
            c.ConfirmDelivery(),
            c.Hold(),
            c.Cancel(),
            c.AddNote(kind=NoteKind.FOLLOW_UP, text="call back"),
        ]
    ),
    st.builds(c.Pick, line_id=line_ids, quantity=st.integers(-2, 3)),
    st.builds(c.Pick, code=st.sampled_from(["MUG-1", "tote-2", "4006381333948", "BOGUS", " "])),
    st.builds(c.MarkShort, line_id=line_ids, missing=st.one_of(st.none(), st.integers(1, 3))),
    st.builds(
        c.Resolve,
        resolution=st.sampled_from(list(Resolution)),
        line_id=st.one_of(st.none(), line_ids),
        substitute_sku=st.sampled_from(["", "MUG-9"]),
    ),
)
starts = st.sampled_from(
    [
        new_order(),
        new_order(payment_status=PaymentStatus.PENDING),
        new_order(shipping_address=Address(name="X", country="USA")),
        new_order(lines=[OrderLine(id="L1", sku="MUG-1", quantity=3)]),
    ]
)


def _moved_legally(before: Order, after: Order, command: c.Command) -> bool:
    if before.status is after.status:
        return True
    if before.status in (S.CANCELLED, S.DELIVERED):
        return False  # final
    if after.status is S.CANCELLED:
        return isinstance(command, c.Cancel)
    if after.status is S.ON_HOLD:
        return isinstance(command, (c.Hold, c.MarkShort))
    if before.status is S.ON_HOLD:
        assert before.held_from is not None
        return isinstance(command, c.Resolve) and RANK[after.status] <= RANK[before.held_from]
    return RANK[after.status] > RANK[before.status]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, script=st.lists(commands, max_size=40))
def test_any_command_sequence_only_moves_forward_except_through_hold_and_resolve(
    start: Order, script: list[c.Command]
) -> None:
    order = start
    for i, command in enumerate(script):
        precondition = allowed_actions(order)[c.action_name(command)]
        try:
            after = apply(order, command, at(i)).order
        except StepRefused as refusal:
            if precondition is not None:
                assert refusal.code == precondition.code
            else:
                assert refusal.code in ARGUMENT_CODES | {"out_of_stock"}, refusal.code
            continue
        assert precondition is None
        assert _moved_legally(order, after, command), (order.status, after.status, command)
        for line in after.lines:
            assert 0 <= line.picked <= line.quantity
            assert 0 <= line.short <= line.quantity - line.picked
        if after.status is S.READY_TO_SHIP:
            assert not [
                s
                for s, done in stage_checklist(structs.replace(after, status=S.PROCESSING))
                if not done
            ]
        if after.status is S.ON_HOLD:
            assert after.held_from in (S.NEW, S.PROCESSING, S.READY_TO_SHIP)
        if after.status is S.SHIPPED:
            assert after.tracking_number and after.label_attached_at is not None
        order = after
