"""Tables of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime
from server.ids import new_id, utcnow


class Vendor(Base):
    """A seller's business: the unit every other row belongs to."""

    __tablename__ = "vendors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str] = mapped_column(String(2), default="US")
    subdivision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: last value of the vendor's change sequence (every order change takes the next one)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: counter for order numbers the server assigns when the marketplace gives none
    order_counter: Mapped[int] = mapped_column(BigInteger, default=10000)
    #: the return address on slips and labels (a ``shared.types.Address`` as JSON)
    ship_from: Mapped[str] = mapped_column(Text, default="{}")
    #: the marketplace's fee in basis points of the order total (1000 = 10 %), for payouts
    marketplace_fee_bp: Mapped[int] = mapped_column(Integer, default=1000)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A person who signs in: the vendor's owner or a staff member."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RefreshToken(Base):
    """A refresh token, stored only as its hash; used once, then replaced (rotation).

    Tokens of one sign-in share a ``family_id``: presenting a used token again revokes the
    whole family, since it means the token was stolen.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiKey(Base):
    """A marketplace's key for order intake: a public id and an HMAC signing secret."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_vendor", "vendor_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    marketplace: Mapped[str] = mapped_column(String(64))
    #: the HMAC secret itself: verifying a signature needs it (unlike a password)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginFailure(Base):
    """One failed sign-in, counted against the account (email) and the client address.

    Kept in the database, not in memory, so every server instance sees the same counts;
    rows older than the counting window are pruned (see ``throttle.py``).
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_subject", "scope", "subject", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: ``account`` (subject is the normalised email) or ``address`` (the client's IP)
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(254))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
