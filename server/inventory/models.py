"""Tables of the inventory domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime
from server.ids import new_id


class InventoryRow(Base):
    """One SKU of one vendor."""

    __tablename__ = "inventory"
    __table_args__ = (
        UniqueConstraint("vendor_id", "sku", name="uq_inventory_vendor_sku"),
        Index("ix_inventory_vendor_barcode", "vendor_id", "barcode"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500), default="")
    barcode: Mapped[str] = mapped_column(String(64), default="")
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    bin_location: Mapped[str] = mapped_column(String(32), default="")
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
