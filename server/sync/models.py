"""Tables of the sync domain: what each pushed mutation got, and conflicts on orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime


class SyncMutation(Base):
    """The recorded result of one pushed mutation: a retry gets this answer, nothing more.

    Keyed by ``(vendor_id, device_id, mutation_id)``; this row is what makes a push
    idempotent, so it is written in the same transaction as the mutation's effects.
    """

    __tablename__ = "sync_mutations"

    vendor_id: Mapped[str] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mutation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    #: the order's change sequence after the push that applied it (0 when nothing changed)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    #: no foreign key: a mutation for an order that does not exist is recorded as rejected
    order_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(36))
    client_time: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderConflict(Base):
    """A true conflict between devices on an order, settled by a rule and shown to people."""

    __tablename__ = "order_conflicts"
    __table_args__ = (Index("ix_order_conflicts_order", "order_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    mutation_id: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(36), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
