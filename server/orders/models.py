"""Tables of the orders domain.

An order is stored as its ``shared.types.Order`` document (``doc``) plus the columns that
lists, search, sync and metrics filter or sort on. The columns are always derived from the
document in one function (:func:`server.orders.store.columns_of`), never written apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime


class OrderRow(Base):
    """One order of one vendor."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("vendor_id", "number", name="uq_orders_vendor_number"),
        UniqueConstraint(
            "vendor_id", "marketplace", "external_id", name="uq_orders_vendor_external"
        ),
        UniqueConstraint("vendor_id", "seq", name="uq_orders_vendor_seq"),
        # List orders by deadline; ``search`` rides along so a search filters in the index.
        Index("ix_orders_vendor_due", "vendor_id", "due_key", "id", "search"),
        Index("ix_orders_vendor_status_due", "vendor_id", "status", "due_key", "id", "search"),
        Index("ix_orders_vendor_created", "vendor_id", "created_at", "id"),
        Index("ix_orders_vendor_number", "vendor_id", "number_key"),
        # Search is a substring match (LIKE '%text%') that no B-tree can seek. SQLite filters
        # inside the covering indexes above; PostgreSQL reads the table row before filtering,
        # so it gets a trigram index LIKE can use (pg_trgm; the migration installs it).
        Index(
            "ix_orders_search_trgm",
            "search",
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # Carrier webhooks find the order by its tracking number, across vendors.
        Index("ix_orders_carrier_tracking", "carrier", "tracking_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(64))
    #: lower-cased order number (scanned or typed numbers match case-insensitively)
    number_key: Mapped[str] = mapped_column(String(64))
    marketplace: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    customer_name: Mapped[str] = mapped_column(String(500))
    #: lower-cased "number customer name" for case-insensitive partial search
    search: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: ship-by, or the far future while unpaid: a non-null key for deadline order and paging
    due_key: Mapped[datetime] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    item_count: Mapped[int] = mapped_column(Integer)
    carrier: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str] = mapped_column(String(64))
    #: vendor change sequence value of the last change (sync pulls by it)
    seq: Mapped[int] = mapped_column(BigInteger)
    doc: Mapped[str] = mapped_column(Text)


# The trigram index needs pg_trgm; the migration installs it, and so does ``create_all``.
event.listen(
    OrderRow.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)


class OrderNote(Base):
    """An internal note; rows are only ever inserted.

    Devices choose note ids (so a retried note is not a second note); the key is the pair
    (vendor, id), so one vendor's ids never clash with, or reveal, another's.
    """

    __tablename__ = "order_notes"
    __table_args__ = (Index("ix_order_notes_order", "order_id", "created_at"),)

    vendor_id: Mapped[str] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OrderEvent(Base):
    """One line of an order's timeline: what happened, when, by whom, from which device."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    source: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(36), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
