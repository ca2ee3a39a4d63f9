"""An in-memory server for the merge rules: orders, notes, conflicts and the idempotency record.

It does what ``server/sync/service.py`` does around :func:`shared.merge.merge` (answer a seen
``(device_id, mutation_id)`` from its record, otherwise merge and keep what changed), minus
the database, so hypothesis can try thousands of deliveries a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from msgspec import structs

from shared.merge import merge
from shared.sync import ConflictRecord, Mutation, MutationResult
from shared.types import Address, Customer, Note, Order, OrderLine, PaymentStatus

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TRACKING = ("SFD0000000001", "SFD0000000002")


def make_order(order_id: str = "o1", quantities: tuple[int, ...] = (2, 1, 3)) -> Order:
    """A paid, reviewed New order (stock reserved) with one line per quantity."""
    lines = [
        OrderLine(
            id=f"{order_id}-l{i}",
            sku=f"SKU-{i}",
            name=f"Item {i}",
            barcode=f"400638133393{i}",
            quantity=q,
            bin_location=f"A-0{i}",
        )
        for i, q in enumerate(quantities)
    ]
    created = NOW - timedelta(days=1)
    return Order(
        id=order_id,
        number=f"SF-{order_id}",
        customer=Customer(name="Casey Customer"),
        shipping_address=Address(
            name="Casey", line1="12 Elm St", city="Springfield", postal_code="62701", country="US"
        ),
        lines=lines,
        payment_status=PaymentStatus.PAID,
        created_at=created,
        paid_at=created,
        ship_by=NOW + timedelta(days=1),
        availability_verified_at=created,
        address_verified_at=created,
        payment_confirmed_at=created,
    )


@dataclass
class Replica:
    """The server's state for a set of orders, changed only through the merge rules."""

    orders: dict[str, Order]
    notes: dict[str, dict[str, Note]] = field(default_factory=dict)
    conflicts: dict[str, dict[str, ConflictRecord]] = field(default_factory=dict)
    results: dict[tuple[str, str], MutationResult] = field(default_factory=dict)
    seq: int = 0

    def deliver(self, mutation: Mutation) -> MutationResult:
        """Apply a pushed mutation once; a seen one gets its recorded result."""
        key = (mutation.device_id, mutation.mutation_id)
        if key in self.results:
            return self.results[key]
        order = self.orders[mutation.order_id]
        notes = self.notes.setdefault(order.id, {})
        outcome = merge(order, mutation, NOW, known_notes=notes.keys())
        version = 0
        if outcome.changed:
            self.seq += 1
            version = self.seq
            self.orders[order.id] = structs.replace(outcome.order, version=version)
            if outcome.note is not None:
                notes[outcome.note.id] = outcome.note
            for conflict in outcome.conflicts:
                self.conflicts.setdefault(order.id, {})[conflict.id] = conflict
        result = MutationResult(
            mutation_id=mutation.mutation_id,
            status=outcome.status,
            code=outcome.code,
            message=outcome.message,
            version=version,
        )
        self.results[key] = result
        return result

    def state(self) -> tuple[object, ...]:
        """Everything the server holds, for exact comparison (change numbers left out)."""
        return (
            {oid: structs.replace(o, version=0) for oid, o in self.orders.items()},
            self.notes,
            self.conflicts,
            {k: structs.replace(r, version=0) for k, r in self.results.items()},
        )
