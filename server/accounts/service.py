"""Accounts: vendors, users, sign-in with rotating refresh tokens, intake API keys."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from litestar.exceptions import NotAuthorizedException
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import throttle
from server.accounts.models import ApiKey, RefreshToken, User, Vendor
from server.accounts.schemas import ApiKeyOut, Me, TokenPair, UserOut, VendorOut
from server.accounts.security import (
    DUMMY_HASH,
    Actor,
    hash_password,
    issue_access_token,
    verify_password,
)
from server.db import begin_write
from server.errors import Conflict
from server.ids import new_id, utcnow
from server.settings import Settings


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_out(user: User) -> UserOut:
    """The public view of a user."""
    return UserOut(user.id, user.email, user.name, user.role, user.vendor_id)


def vendor_out(vendor: Vendor) -> VendorOut:
    """The public view of a vendor."""
    return VendorOut(vendor.id, vendor.name, vendor.timezone, vendor.country, vendor.subdivision)


async def create_vendor(
    session: AsyncSession,
    name: str,
    timezone: str = "UTC",
    country: str = "US",
    subdivision: str | None = None,
) -> Vendor:
    """A new vendor (not committed)."""
    vendor = Vendor(
        id=new_id(), name=name, timezone=timezone, country=country, subdivision=subdivision
    )
    vendor.change_seq = 0
    vendor.order_counter = 10000
    session.add(vendor)
    await session.flush()
    return vendor


async def create_user(
    session: AsyncSession, vendor_id: str, email: str, name: str, password: str, role: str
) -> User:
    """A new user of a vendor (not committed); email addresses are unique across vendors."""
    user = User(
        id=new_id(),
        vendor_id=vendor_id,
        email=email.strip().lower(),
        name=name,
        role=role,
        password_hash=await asyncio.to_thread(hash_password, password),
        disabled=False,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"email {email!r} is already in use") from exc
    return user


async def create_api_key(
    session: AsyncSession, vendor_id: str, name: str, marketplace: str
) -> ApiKeyOut:
    """A new intake key (not committed); the secret is returned this once."""
    key = ApiKey(
        id="sfk_" + secrets.token_hex(12),
        vendor_id=vendor_id,
        name=name,
        marketplace=marketplace,
        secret=secrets.token_urlsafe(32),
        created_at=utcnow(),
    )
    session.add(key)
    await session.flush()
    return ApiKeyOut(key.id, key.name, key.marketplace, key.created_at, key.secret)


async def issue_tokens(
    session: AsyncSession, user: User, family_id: str, settings: Settings
) -> TokenPair:
    """A new access token and refresh token (of ``family_id``) for an authenticated user.

    Commits; the caller starts the transaction as a writer (:func:`server.db.begin_write`).
    """
    vendor = await session.get_one(Vendor, user.vendor_id)
    actor = Actor(user.id, user.vendor_id, user.role, user.name)
    access, access_exp = issue_access_token(
        actor, settings.secret_key, settings.access_token_minutes
    )
    refresh = secrets.token_urlsafe(32)
    refresh_exp = utcnow() + timedelta(days=settings.refresh_token_days)
    session.add(
        RefreshToken(
            id=new_id(),
            user_id=user.id,
            family_id=family_id,
            token_hash=_token_hash(refresh),
            expires_at=refresh_exp,
            created_at=utcnow(),
        )
    )
    await session.commit()
    return TokenPair(access, access_exp, refresh, refresh_exp, user_out(user), vendor_out(vendor))


async def login(
    session: AsyncSession, email: str, password: str, settings: Settings, address: str = ""
) -> TokenPair:
    """Check the password and start a new token family; 429 after too many failures.

    ``address`` is the client's IP; failures count against it and against the account.
    """
    email, address = email.strip().lower(), address[:254]
    limits = settings.login_limits
    await throttle.check(session, limits, email, address)
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    # Argon2 takes ~0.1 s of CPU on purpose: run it off the event loop so other requests
    # keep flowing, and against a dummy hash for unknown emails so both take as long.
    stored = DUMMY_HASH if user is None else user.password_hash
    matches = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not matches or user.disabled:
        await throttle.record_failure(session, limits, email, address)
        raise NotAuthorizedException("wrong email or password")
    # Write only now: the slow password check must not hold SQLite's write lock.
    await begin_write(session)
    await throttle.forget_account(session, email)
    return await issue_tokens(session, user, new_id(), settings)


async def refresh(session: AsyncSession, token: str, settings: Settings) -> TokenPair:
    """Swap a refresh token for a new pair; a reused token revokes its whole family."""
    await begin_write(session)
    row = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token))
        )
    ).scalar_one_or_none()
    now = utcnow()
    if row is None:
        raise NotAuthorizedException("unknown refresh token: sign in again")
    if row.revoked_at is not None:
        raise NotAuthorizedException("refresh token revoked: sign in again")
    if row.used_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await session.commit()
        raise NotAuthorizedException(
            "refresh token already used: every session of this sign-in is revoked, sign in again"
        )
    if row.expires_at <= now:
        raise NotAuthorizedException("refresh token expired: sign in again")
    # Mark used only if nobody else did in between (two instances, two tabs).
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise NotAuthorizedException("refresh token already used: sign in again")
    user = await session.get_one(User, row.user_id)
    if user.disabled:
        await session.commit()
        raise NotAuthorizedException("account disabled")
    return await issue_tokens(session, user, row.family_id, settings)


async def me(session: AsyncSession, actor: Actor) -> Me:
    """The caller and their vendor."""
    user = await session.get_one(User, actor.user_id)
    vendor = await session.get_one(Vendor, actor.vendor_id)
    return Me(user_out(user), vendor_out(vendor))


async def list_users(session: AsyncSession, actor: Actor) -> list[UserOut]:
    """The vendor's users."""
    rows = await session.scalars(
        select(User).where(User.vendor_id == actor.vendor_id).order_by(User.email)
    )
    return [user_out(u) for u in rows]


async def list_api_keys(session: AsyncSession, actor: Actor) -> list[ApiKeyOut]:
    """The vendor's intake keys, without secrets."""
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.vendor_id == actor.vendor_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at)
    )
    return [ApiKeyOut(k.id, k.name, k.marketplace, k.created_at) for k in rows]
