"""Random but plausible floor work: what a person might do next to an order on a device.

Mostly scans (the bulk of real traffic), then the steps of the order's stage, a few holds,
shortages, notes and the odd cancellation — enough to make devices clash on shared orders.
"""

from __future__ import annotations

import random

from mobile.store import Store
from mobile.store.records import LocalChange
from shared import commands as c
from shared.lifecycle import StepRefused
from shared.types import HoldReason, NoteKind, Order, OrderStatus

S = OrderStatus


def tracking(rng: random.Random) -> str:
    """A valid UPS tracking number (1Z + 16)."""
    return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))


def next_command(order: Order, rng: random.Random) -> c.Command:
    """A command a person might plausibly take on this order now (it may still be refused)."""
    roll = rng.random()
    if roll < 0.08:
        return c.AddNote(kind=rng.choice(list(NoteKind)), text=f"note {rng.randrange(10**6)}")
    if roll < 0.10:
        return c.Hold(reason=rng.choice(list(HoldReason)))
    if roll < 0.11:
        return c.Cancel()
    status = order.status
    if status is S.NEW:
        return c.StartProcessing()
    if status is S.ON_HOLD:
        return c.Resolve()
    if status is S.PROCESSING:
        todo = [ln for ln in order.lines if not ln.removed and ln.picked < ln.quantity - ln.short]
        if todo and rng.random() < 0.85:
            line = rng.choice(todo)
            if rng.random() < 0.04:
                return c.MarkShort(line_id=line.id, missing=1)
            if rng.random() < 0.05 and line.picked:
                return c.Pick(line_id=line.id, quantity=-1)
            return c.Pick(code=rng.choice([line.barcode or line.sku, line.sku]), quantity=1)
        steps: list[c.Command] = [
            c.Inspect(),
            c.Pack(package_type="box-s", weight_grams=rng.randint(100, 5000)),
            c.PrintSlip(),
        ]
        return rng.choice(steps)
    if status is S.READY_TO_SHIP:
        if order.label_printed_at is None:
            return c.PrintLabel()
        if order.label_attached_at is None:
            return c.AttachLabel()
        return c.Ship(carrier="ups", tracking_number=tracking(rng))
    if status is S.SHIPPED:
        return c.ConfirmDelivery()
    return c.AddNote(kind=NoteKind.FOLLOW_UP, text=f"after the fact {rng.randrange(10**6)}")


def act_randomly(
    store: Store, order_ids: list[str], rng: random.Random, home: list[str] | None = None
) -> LocalChange:
    """Record one random action that the device's own view allows (a note as the fallback).

    With ``home`` orders (the picker's zone), four actions in five are on those and the
    rest on any order: devices share orders without all scanning the same lines at once.
    """
    for _ in range(20):
        pool = home if home and rng.random() < 0.8 else order_ids
        order_id = rng.choice(pool)
        order = store.order(order_id)
        if order is None:
            continue
        try:
            return store.record(order_id, next_command(order, rng))
        except StepRefused:
            continue
    return store.record(
        rng.choice(order_ids), c.AddNote(kind=NoteKind.TEAM_MESSAGE, text="nothing else to do")
    )
