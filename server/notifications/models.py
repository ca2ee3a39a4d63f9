"""Tables of the notifications domain.

``notification_outbox`` holds what happened (one row per notifying change, written in the
change's transaction); ``notification_deliveries`` one row per item and target (the
idempotency key); ``notification_attempts`` every try. Push subscriptions, the VAPID key
pair and each user's preferences live here too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime

#: an integer key that autoincrements on both engines
AutoId = BigInteger().with_variant(Integer, "sqlite")


class OutboxItem(Base):
    """Something that happened and must reach people: a new order, a shipment, a conflict.

    ``payload`` is a snapshot of what the messages show, taken in the change's transaction,
    so a message says what was true when it happened. Rows that only feed the dashboard are
    written as ``done``; the rest wait ``pending`` until a dispatcher fans them out.
    The rows double as the dashboard's replay log (``GET /api/events`` with Last-Event-ID).
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index("ix_notification_outbox_status", "status", "available_at"),
        Index("ix_notification_outbox_vendor", "vendor_id", "id"),
        UniqueConstraint("dedupe_key", name="uq_notification_outbox_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    #: pending → fanned_out, or done for rows with nobody to deliver to
    status: Mapped[str] = mapped_column(String(16))
    #: one notification of this kind per order ("delayed:<order id>"), whoever enqueues it
    dedupe_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Delivery(Base):
    """One outbox item to one target: a push subscription or an email address.

    ``(outbox_id, channel, target)`` is unique: the idempotency key of the delivery. While a
    dispatcher holds it (``sending``), ``next_attempt_at`` is the end of its lease, so a
    delivery whose dispatcher died becomes due again by itself.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "channel", "target", name="uq_notification_deliveries_key"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_outbox", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notification_outbox.id", ondelete="CASCADE"))
    vendor_id: Mapped[str] = mapped_column(String(36))
    #: "push" or "email"
    channel: Mapped[str] = mapped_column(String(8))
    #: push: the subscription id; email: the address
    target: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: pending, sending, sent, gone (subscription removed), failed, expired
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: past this moment a push is pointless (the seller has long seen the order)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    #: send the short payload (the push service answered 413 to the full one)
    short_payload: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class DeliveryAttempt(Base):
    """One try to deliver: when, by which dispatcher, what the other side answered."""

    __tablename__ = "notification_attempts"
    __table_args__ = (Index("ix_notification_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notification_deliveries.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatcher: Mapped[str] = mapped_column(String(64))
    #: sent, retry, gone, too_large, failed, expired
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retry_after: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(String(500), default="")


class PushSubscription(Base):
    """A browser's push subscription for one user on one device."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        UniqueConstraint("endpoint", name="uq_push_subscriptions_endpoint"),
        Index("ix_push_subscriptions_vendor_user", "vendor_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    endpoint: Mapped[str] = mapped_column(String(1000))
    #: the browser's ECDH public key and auth secret (RFC 8291), base64url
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    #: the VAPID key the browser subscribed with: pushes are signed with that one
    vapid_key_id: Mapped[str] = mapped_column(String(36))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class VapidKey(Base):
    """The server's VAPID key pair (RFC 8292), shared by every instance through the database.

    The newest key without ``retired_at`` is current; retired keys stay to sign pushes to
    subscriptions made with them, until those subscribe again or are purged.
    """

    __tablename__ = "vapid_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: PKCS#8 PEM; never leaves the server (no route returns it)
    private_key_pem: Mapped[str] = mapped_column(Text)
    #: uncompressed P-256 point, base64url: the browser's applicationServerKey
    public_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationPreference(Base):
    """A user's choice of what reaches them on which channel, and their quiet hours."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    #: ``schemas.Preferences`` as JSON
    doc: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
