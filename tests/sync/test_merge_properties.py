"""Convergence of the merge rules, as properties over random concurrent work (hypothesis).

The claim these tests make is the one ``docs/sync.md`` states under "What converges".
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.merge import TRUE_CONFLICTS, rebase
from shared.sync import ConflictKind, Mutation
from shared.types import Order
from tests.sync.histories import History, histories, interleavings, strip, with_duplicates
from tests.sync.replica import NOW, Replica

# A quick run by default; SYNC_EXAMPLES=5000 searches much harder (done before changing rules).
EXAMPLES = int(os.environ.get("SYNC_EXAMPLES", "100"))
deep = settings(max_examples=EXAMPLES, deadline=None)


def run(history: History, arrivals: list[Mutation]) -> Replica:
    """The server after these arrivals."""
    server = Replica(dict(history.base))
    for mutation in arrivals:
        server.deliver(mutation)
    return server


def converging_part(server: Replica) -> dict[str, Any]:
    """What every arrival order agrees on (``docs/sync.md``, "What converges")."""
    out: dict[str, Any] = {}
    for oid, order in server.orders.items():
        kinds = {k.kind for k in server.conflicts.get(oid, {}).values()}
        out[oid] = {
            "status": order.status,
            "lines": [(ln.id, ln.picked, ln.short) for ln in order.lines],
            "notes": sorted(server.notes.get(oid, {})),
            "needs_a_person": bool(kinds & TRUE_CONFLICTS),
            "over_pick": ConflictKind.OVER_PICK in kinds,
            "tracking_mismatch": ConflictKind.TRACKING_MISMATCH in kinds,
        }
    return out


@deep
@given(st.data())
def test_duplicated_deliveries_change_nothing(data: st.DataObject) -> None:
    history = data.draw(histories(undo=True))
    arrivals = data.draw(interleavings(history))
    once = run(history, arrivals)
    again = run(history, data.draw(with_duplicates(arrivals)))
    assert again.state() == once.state()


@deep
@given(st.data())
def test_every_arrival_order_converges(data: st.DataObject) -> None:
    history = data.draw(histories())
    first = run(history, data.draw(with_duplicates(data.draw(interleavings(history)))))
    second = run(history, data.draw(with_duplicates(data.draw(interleavings(history)))))
    assert converging_part(first) == converging_part(second)


@deep
@given(st.data())
def test_a_shipped_orders_tracking_number_converges_unless_a_mismatch_is_recorded(
    data: st.DataObject,
) -> None:
    history = data.draw(histories())
    first = run(history, data.draw(interleavings(history)))
    second = run(history, data.draw(interleavings(history)))
    for oid in history.base:
        if first.orders[oid].shipped_at is None:
            continue  # a label on an order that never left: moot (and it may be cancelled)
        clash = any(
            k.kind is ConflictKind.TRACKING_MISMATCH
            for run_ in (first, second)
            for k in run_.conflicts.get(oid, {}).values()
        )
        if not clash:
            assert first.orders[oid].tracking_number == second.orders[oid].tracking_number


@deep
@given(st.data())
def test_rebased_view_equals_server_state_once_outbox_is_empty(data: st.DataObject) -> None:
    """Devices run sync cycles in random turns, as the client does: push a batch, and only
    if its answer arrives, drop it from the outbox and pull. The view is always the last
    pulled state with the outbox replayed on top; with an empty outbox it is the server's.
    """
    history = data.draw(histories(undo=True))
    server = Replica(dict(history.base))
    outbox = [list(box) for box in history.outboxes]
    pulled = [dict(history.base) for _ in outbox]

    def view(d: int) -> dict[str, Order]:
        return {oid: rebase(order, outbox[d], NOW) for oid, order in pulled[d].items()}

    def cycle(d: int, size: int, answered: bool) -> None:
        for mutation in outbox[d][:size]:
            server.deliver(mutation)
        if not answered:
            return  # the response was lost: the batch stays queued, no pull this time
        del outbox[d][:size]
        pulled[d] = dict(server.orders)
        if not outbox[d]:
            assert view(d) == server.orders

    for _ in range(data.draw(st.integers(0, 12))):
        d = data.draw(st.integers(0, len(outbox) - 1))
        cycle(d, data.draw(st.integers(0, 4)), data.draw(st.booleans()))
    for d in range(len(outbox)):  # the network heals: every device completes a cycle
        cycle(d, len(outbox[d]), answered=True)
    for d in range(len(outbox)):  # ...and pulls what the others did after it
        pulled[d] = dict(server.orders)
        assert view(d) == server.orders


@deep
@given(st.data())
def test_device_predicts_the_server_state_when_nobody_else_pushes(data: st.DataObject) -> None:
    """The optimistic view (pulled state + pending replayed) is what the server then stores."""
    history = data.draw(histories(devices=(1, 3), undo=True))
    server = Replica(dict(history.base))
    for box in history.outboxes[1:]:  # other devices got in first
        for mutation in box:
            server.deliver(mutation)
    mine = history.outboxes[0]
    shown = {oid: rebase(order, mine, NOW) for oid, order in server.orders.items()}
    for mutation in mine:
        server.deliver(mutation)
    assert {oid: strip(o) for oid, o in shown.items()} == {
        oid: strip(o) for oid, o in server.orders.items()
    }
