"""The conflict table of docs/sync.md, one rule per test."""

from __future__ import annotations

from shared import commands as c
from shared.merge import MergeOutcome, merge, rebase
from shared.sync import ConflictKind, Mutation, MutationStatus
from shared.types import NoteKind, Order, OrderStatus
from tests.sync.replica import NOW, TRACKING, make_order

APPLIED, MERGED, REJECTED = MutationStatus.APPLIED, MutationStatus.MERGED, MutationStatus.REJECTED
_n = iter(range(10**6))


def m(command: c.Command, order: Order, device: str = "dev-a") -> Mutation:
    """A mutation of ``command`` on ``order`` from ``device``."""
    return Mutation(
        mutation_id=f"m{next(_n)}",
        device_id=device,
        user_id="u1",
        order_id=order.id,
        command=command,
        client_time=NOW,
    )


def run(order: Order, *commands: c.Command) -> Order:
    """The order after commands that must all be taken."""
    for command in commands:
        outcome = merge(order, m(command, order), NOW)
        assert outcome.status is not REJECTED, outcome
        order = outcome.order
    return order


def kinds(outcome: MergeOutcome) -> list[ConflictKind]:
    return [k.kind for k in outcome.conflicts]


def processing() -> Order:
    return run(make_order(quantities=(2, 1)), c.StartProcessing())


def ready() -> Order:
    order = processing()
    picks = [c.Pick(line_id=ln.id, quantity=ln.quantity) for ln in order.lines]
    return run(
        order, *picks, c.Inspect(), c.Pack(package_type="box", weight_grams=500), c.PrintSlip()
    )


def labelled() -> Order:
    return run(ready(), c.PrintLabel(), c.AttachLabel())


def shipped() -> Order:
    return run(labelled(), c.Ship(carrier="demo", tracking_number=TRACKING[0]))


def test_a_step_already_done_on_the_server_is_merged_and_not_repeated() -> None:
    order = ready()
    outcome = merge(order, m(c.Inspect(), order), NOW)
    assert (outcome.status, outcome.code) == (MERGED, "already_done")
    assert outcome.order is order and outcome.events == [] and not outcome.changed


def test_a_step_no_longer_allowed_is_rejected_with_the_lifecycles_reason() -> None:
    held = run(processing(), c.Hold())
    outcome = merge(held, m(c.Inspect(), held), NOW)
    assert (outcome.status, outcome.code) == (REJECTED, "wrong_status")
    assert "On hold" in outcome.message


def test_scans_are_summed_and_capped_and_the_excess_is_reported() -> None:
    order = processing()
    line = order.lines[0]  # two ordered
    order = run(order, c.Pick(line_id=line.id))
    outcome = merge(order, m(c.Pick(code=line.barcode, quantity=3), order), NOW)
    assert (outcome.status, outcome.code) == (MERGED, "over_pick")
    assert outcome.order.lines[0].picked == 2
    assert kinds(outcome) == [ConflictKind.OVER_PICK]
    assert "put 2 back at SKU-0 (A-00)" in outcome.message


def test_a_scan_counts_on_an_order_cancelled_meanwhile_but_not_on_one_never_started() -> None:
    cancelled = run(processing(), c.Cancel())
    outcome = merge(cancelled, m(c.Pick(line_id=cancelled.lines[0].id), cancelled), NOW)
    assert outcome.status is APPLIED
    assert outcome.order.lines[0].picked == 1 and outcome.order.status is OrderStatus.CANCELLED
    new = make_order()
    assert merge(new, m(c.Pick(line_id=new.lines[0].id), new), NOW).status is REJECTED


def test_a_scan_takes_back_a_shortage_and_clearing_it_is_a_conflict() -> None:
    order = run(processing(), c.MarkShort(line_id="o1-l0"))
    assert order.lines[0].short == 2 and order.status is OrderStatus.ON_HOLD
    once = merge(order, m(c.Pick(line_id="o1-l0"), order), NOW)
    assert once.status is APPLIED and once.order.lines[0].short == 1 and not once.conflicts
    twice = merge(once.order, m(c.Pick(line_id="o1-l0"), once.order), NOW)
    assert twice.order.lines[0].short == 0
    assert kinds(twice) == [ConflictKind.SHORT_VS_PICKED]
    assert twice.order.status is OrderStatus.ON_HOLD  # a person settles the hold


def test_out_of_stock_on_a_fully_picked_line_holds_the_order_and_records_a_conflict() -> None:
    order = ready()
    outcome = merge(order, m(c.MarkShort(line_id="o1-l1"), order), NOW)
    assert (outcome.status, outcome.code) == (MERGED, "short_vs_picked")
    assert outcome.order.status is OrderStatus.ON_HOLD
    assert outcome.order.lines[1].short == 0
    assert kinds(outcome) == [ConflictKind.SHORT_VS_PICKED]
    gone = shipped()
    late = merge(gone, m(c.MarkShort(line_id="o1-l1"), gone), NOW)
    assert late.status is REJECTED and kinds(late) == [ConflictKind.SHORT_VS_PICKED]


def test_a_ship_arriving_after_a_cancel_is_taken_and_recorded() -> None:
    order = run(labelled(), c.Cancel())
    outcome = merge(order, m(c.Ship(carrier="demo", tracking_number=TRACKING[0]), order), NOW)
    assert (outcome.status, outcome.code) == (MERGED, "ship_vs_cancel")
    assert outcome.order.status is OrderStatus.SHIPPED
    assert outcome.order.cancelled_at is None and outcome.order.tracking_number == TRACKING[0]
    assert kinds(outcome) == [ConflictKind.SHIP_VS_CANCEL]
    assert [e.kind for e in outcome.events][-1] == "conflict"


def test_a_cancel_arriving_after_the_ship_is_rejected_and_recorded() -> None:
    order = shipped()
    outcome = merge(order, m(c.Cancel(), order), NOW)
    assert (outcome.status, outcome.code) == (REJECTED, "ship_vs_cancel")
    assert outcome.order is order
    assert kinds(outcome) == [ConflictKind.SHIP_VS_CANCEL]
    assert outcome.changed  # the conflict must be stored and pulled


def test_a_ship_over_a_hold_is_taken_and_a_hold_after_the_ship_is_not() -> None:
    held = run(labelled(), c.Hold())
    over = merge(held, m(c.Ship(carrier="demo", tracking_number=TRACKING[0]), held), NOW)
    assert over.order.status is OrderStatus.SHIPPED and over.order.held_at is None
    assert kinds(over) == [ConflictKind.SHIP_VS_HOLD]
    late = merge(shipped(), m(c.Hold(), shipped()), NOW)
    assert late.status is REJECTED and kinds(late) == [ConflictKind.SHIP_VS_HOLD]


def test_a_second_tracking_number_is_rejected_and_the_first_stands() -> None:
    order = shipped()
    same = merge(order, m(c.Ship(carrier="demo", tracking_number=TRACKING[0]), order), NOW)
    assert (same.status, same.code, same.conflicts) == (MERGED, "already_done", [])
    other = merge(order, m(c.Ship(carrier="demo", tracking_number=TRACKING[1]), order), NOW)
    assert (other.status, other.code) == (REJECTED, "tracking_mismatch")
    assert other.order.tracking_number == TRACKING[0]
    label = merge(order, m(c.PrintLabel(carrier="demo", tracking_number=TRACKING[1]), order), NOW)
    assert label.status is REJECTED and kinds(label) == [ConflictKind.TRACKING_MISMATCH]


def test_delivery_and_cancel_clash_either_way_round() -> None:
    delivered = run(shipped(), c.Deliver())
    late_cancel = merge(delivered, m(c.Cancel(), delivered), NOW)
    assert late_cancel.status is REJECTED
    assert kinds(late_cancel) == [ConflictKind.DELIVERY_VS_CANCEL]
    cancelled = run(processing(), c.Cancel())
    late_delivery = merge(cancelled, m(c.ConfirmDelivery(), cancelled), NOW)
    assert late_delivery.order.status is OrderStatus.DELIVERED
    assert late_delivery.order.payout_due_at == NOW
    assert kinds(late_delivery) == [ConflictKind.DELIVERY_VS_CANCEL]


def test_notes_are_appended_once_per_note_id() -> None:
    order = processing()
    note = c.AddNote(note_id="n1", kind=NoteKind.FOLLOW_UP, text="call back")
    first = merge(order, m(note, order), NOW)
    assert first.status is APPLIED and first.note is not None and first.note.id == "n1"
    again = merge(order, m(note, order, device="dev-b"), NOW, known_notes={"n1"})
    assert again.status is MERGED and again.note is None


def test_ids_of_what_a_mutation_creates_are_the_same_on_every_replay() -> None:
    order = shipped()
    mutation = m(c.Cancel(), order)
    assert merge(order, mutation, NOW).conflicts == merge(order, mutation, NOW).conflicts
    note = m(c.AddNote(kind=NoteKind.TEAM_MESSAGE, text="hi"), order)
    first, second = merge(order, note, NOW).note, merge(order, note, NOW).note
    assert first is not None and second is not None and first.id == second.id


def test_rebase_replays_the_pending_mutations_of_that_order_only() -> None:
    server = processing()
    pending = [
        m(c.Pick(line_id="o1-l0", quantity=2), server),
        m(c.Pick(line_id="o1-l1"), server),
        Mutation(
            mutation_id="elsewhere",
            device_id="dev-a",
            order_id="another-order",
            command=c.Cancel(),
            client_time=NOW,
        ),
    ]
    shown = rebase(server, pending, NOW)
    assert [ln.picked for ln in shown.lines] == [2, 1]
    assert shown.status is OrderStatus.PROCESSING
    assert rebase(server, [], NOW) is server
