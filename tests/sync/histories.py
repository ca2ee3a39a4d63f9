"""Hypothesis strategies: devices working shared orders offline, and how the network delivers.

Each device starts from the same server state and records only what its own screen allows
(a mutation its optimistic view rejects is never recorded, as the UI would not offer it).
That is the realistic case: concurrent work from a common base, in any order, duplicated.
"""

from __future__ import annotations

from hypothesis import strategies as st
from msgspec import structs

from shared import commands as c
from shared.lifecycle import PRECONDITIONS
from shared.merge import merge
from shared.sync import Mutation, MutationStatus
from shared.types import HoldReason, NoteKind, Order
from tests.sync.replica import NOW, TRACKING, make_order


class History:
    """The shared starting orders and each device's outbox, oldest first."""

    # Not a dataclass: hypothesis prints dataclasses field by field, ignoring __repr__.
    def __init__(self, base: dict[str, Order], outboxes: list[list[Mutation]]) -> None:
        self.base = base
        self.outboxes = outboxes

    @property
    def mutations(self) -> list[Mutation]:
        """Every recorded mutation."""
        return [m for box in self.outboxes for m in box]

    def __repr__(self) -> str:
        base = {
            oid: (o.status.value, [(ln.quantity, ln.picked, ln.short) for ln in o.lines])
            for oid, o in self.base.items()
        }
        boxes = "\n  ".join(" ".join(short(m) for m in box) or "-" for box in self.outboxes)
        return f"History(base={base}\n  {boxes})"


def short(m: Mutation) -> str:
    """A mutation in a few characters, for failure reports."""
    fields = {k: v for k, v in structs.asdict(m.command).items() if v not in (None, "")}
    args = ",".join(f"{v}" for v in fields.values())
    return f"{m.order_id}:{c.action_name(m.command)}({args})"


def _commands(order: Order, draw: st.DrawFn, *, undo: bool) -> c.Command:
    """One thing a person might do on this order (the local view decides if it is allowed)."""
    # Plain integer draws: building strategies per draw made hypothesis 10x slower.
    line = order.lines[draw(st.integers(0, len(order.lines) - 1))]
    tracking = TRACKING[draw(st.integers(0, 1))]
    kinds = 18 if undo else 16
    match draw(st.integers(0, kinds - 1)):
        case 0:
            return c.Pick(line_id=line.id, quantity=draw(st.integers(1, 2)))
        case 1:
            return c.Pick(code=line.barcode)
        case 2:
            return c.MarkShort(line_id=line.id, missing=draw(st.sampled_from([None, 1])))
        case 3:
            return c.StartProcessing()
        case 4:
            return c.Inspect()
        case 5:
            weight = draw(st.sampled_from([300, 800]))
            return c.Pack(package_type="box" if weight > 500 else "mailer", weight_grams=weight)
        case 6:
            return c.PrintSlip()
        case 7:
            return c.PrintLabel()
        case 8:
            return c.PrintLabel(carrier="demo", tracking_number=tracking)
        case 9:
            return c.AttachLabel()
        case 10:
            return c.Ship(carrier="demo", tracking_number=tracking)
        case 11:
            return c.Deliver()
        case 12:
            return c.ConfirmDelivery()
        case 13:
            return c.Cancel()
        case 14:
            return c.Hold(reason=draw(st.sampled_from(list(HoldReason))))
        case 15:
            return c.AddNote(kind=NoteKind.TEAM_MESSAGE, text="fragile")
        case 16:
            # Undoing kinds (outside the arrival-order claim): a put-back and settling a hold.
            return c.Pick(line_id=line.id, quantity=-1)
        case _:
            return c.Resolve()


@st.composite
def bases(draw: st.DrawFn, n_orders: int = 1) -> dict[str, Order]:
    """Orders as the server holds them when the devices last synced: somewhere along the way."""
    orders: dict[str, Order] = {}
    for i in range(n_orders):
        quantities = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        order = make_order(f"o{i}", quantities)
        # Walk a random prefix of the happy path so the devices start at different stages.
        steps = draw(st.integers(0, 3))
        if steps >= 1:
            order = merge(order, _local(order, c.StartProcessing(), "base", i), NOW).order
        if steps >= 2:
            for line in order.lines:
                pick = c.Pick(line_id=line.id, quantity=line.quantity)
                order = merge(order, _local(order, pick, "base", i), NOW).order
        if steps >= 3:
            for cmd in (c.Inspect(), c.Pack(package_type="box", weight_grams=500), c.PrintSlip()):
                order = merge(order, _local(order, cmd, "base", i), NOW).order
        orders[order.id] = order
    return orders


def _local(order: Order, command: c.Command, device: str, n: int) -> Mutation:
    return Mutation(
        mutation_id=f"{device}-m{n}",
        device_id=device,
        user_id=f"user-{device}",
        order_id=order.id,
        command=command,
        client_time=NOW,
    )


@st.composite
def histories(
    draw: st.DrawFn, *, devices: tuple[int, int] = (2, 4), steps: int = 8, undo: bool = False
) -> History:
    """Several devices each recording up to ``steps`` mutations from the same base, offline."""
    base = draw(bases(n_orders=draw(st.integers(1, 2))))
    outboxes: list[list[Mutation]] = []
    for d in range(draw(st.integers(*devices))):
        device = f"dev{d}"
        view = dict(base)
        box: list[Mutation] = []
        for n in range(draw(st.integers(0, steps))):
            order = view[draw(st.sampled_from(sorted(view)))]
            command = _commands(order, draw, undo=undo)
            mutation = _local(order, command, device, n)
            if PRECONDITIONS[c.action_name(command)](order) is not None:
                continue  # the screen does not offer it
            outcome = merge(order, mutation, NOW)
            if outcome.status is MutationStatus.REJECTED:
                continue  # nor with these arguments
            view[order.id] = outcome.order
            box.append(mutation)
        outboxes.append(box)
    return History(base, outboxes)


class Arrivals(list[Mutation]):
    """Mutations in the order the server receives them."""

    def __repr__(self) -> str:
        return "Arrivals(" + " ".join(f"{m.device_id}/{short(m)}" for m in self) + ")"


@st.composite
def interleavings(draw: st.DrawFn, history: History) -> list[Mutation]:
    """One arrival order at the server: devices interleaved, each device's outbox in order."""
    turns = [d for d, box in enumerate(history.outboxes) for _ in box]
    turns = draw(st.permutations(turns))
    queues = [list(box) for box in history.outboxes]
    return Arrivals(queues[d].pop(0) for d in turns)


@st.composite
def with_duplicates(draw: st.DrawFn, arrivals: list[Mutation]) -> list[Mutation]:
    """The same arrivals plus re-deliveries: retried batches, delayed copies, repeats."""
    out = Arrivals(arrivals)
    if not out:
        return out
    for _ in range(draw(st.integers(0, 6))):
        source = draw(st.integers(0, len(out) - 1))
        size = draw(st.integers(1, 5))  # a whole retried batch, not just one mutation
        at = draw(st.integers(source + 1, len(out)))
        out[at:at] = out[source : source + size]
    return out


def strip(order: Order) -> Order:
    """An order without its change number (which the server, not the rules, assigns)."""
    return structs.replace(order, version=0)
