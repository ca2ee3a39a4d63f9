"""Tables of the payouts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime


class Payout(Base):
    """The seller's payout for one delivered order; at most one per order (unique order_id)."""

    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_vendor_created", "vendor_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    order_number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    order_total_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_bp: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="initiated")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
