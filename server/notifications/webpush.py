"""Web Push: the server's VAPID keys, what a push says, and sending one with pywebpush.

pywebpush encrypts (RFC 8291, aes128gcm) and posts; everything else is our policy, since
pywebpush retries nothing, raises on any status above 202 and sends ``TTL: 0`` unless told:
TTL, ``Urgency: high``, one ``Topic`` per order, reading 404/410/413/429/5xx, and the
timeout. We call its async path (``WebPusher.send_async``) with one shared aiohttp session,
so sending never blocks the event loop, and read the status ourselves instead of catching
``WebPushException``.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.ids import new_id, utcnow
from server.notifications.models import VapidKey
from server.notifications.schemas import Kind, OrderSnapshot

#: VAPID tokens are reused until this close to their expiry (RFC 8292 allows up to 24 h)
_TOKEN_LIFETIME = 12 * 3600
_TOKEN_RENEW_BEFORE = 3600


# ---------------------------------------------------------------- keys


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_key_pair() -> tuple[str, str]:
    """A fresh P-256 key pair: (PKCS#8 PEM private key, base64url uncompressed public point)."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, _b64url(public)


async def current_key(session: AsyncSession) -> VapidKey | None:
    """The key new subscriptions use: the newest one not retired."""
    return await session.scalar(
        select(VapidKey)
        .where(VapidKey.retired_at.is_(None))
        .order_by(VapidKey.created_at.desc(), VapidKey.id)
        .limit(1)
    )


async def _lock_keys(session: AsyncSession) -> None:
    """Serialise key creation between instances (SQLite: BEGIN IMMEDIATE already does)."""
    await begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(b"shipfloor.vapid").digest()[:8], "big", signed=True)
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def ensure_key(session: AsyncSession) -> VapidKey:
    """The current key, created on first use (once, even with several instances starting)."""
    key = await current_key(session)
    if key is not None:
        return key
    await _lock_keys(session)
    key = await current_key(session)
    if key is None:
        pem, public = new_key_pair()
        key = VapidKey(id=new_id(), private_key_pem=pem, public_key=public, created_at=utcnow())
        session.add(key)
    await session.commit()
    return key


async def rotate_key(session: AsyncSession) -> VapidKey:
    """Make a new current key; the old ones stay to sign pushes to their subscriptions."""
    await _lock_keys(session)
    now = utcnow()
    for old in await session.scalars(select(VapidKey).where(VapidKey.retired_at.is_(None))):
        old.retired_at = now
    pem, public = new_key_pair()
    key = VapidKey(id=new_id(), private_key_pem=pem, public_key=public, created_at=now)
    session.add(key)
    await session.commit()
    return key


# ---------------------------------------------------------------- what a push says


@lru_cache(maxsize=1024)
def topic_for(order_id: str) -> str:
    """The ``Topic`` of an order's pushes: a newer one replaces an undelivered older one.

    RFC 8030 allows at most 32 characters of the URL-safe base64 alphabet.
    """
    return _b64url(hashlib.sha256(f"order:{order_id}".encode()).digest()[:24])


def money(minor: int, currency: str) -> str:
    """An amount as a seller reads it: ``$59.99``, ``€12.00``, ``¥1200``."""
    symbols = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
    digits = 0 if currency in {"JPY", "KRW", "VND", "CLP", "ISK"} else 2
    value = minor / 10**digits
    text = f"{value:,.{digits}f}"
    symbol = symbols.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def local_day(moment: datetime, timezone: str) -> str:
    """A date as a seller reads it in their time zone: ``Tue 24 Nov``."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %d %b").replace(" 0", " ")


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def push_message(kind: str, snap: OrderSnapshot, timezone: str) -> tuple[str, str]:
    """Title and body of a push."""
    if kind == Kind.NEW_ORDER:
        parts = [_items(snap.item_count), money(snap.total_minor, snap.currency)]
        parts.append(
            f"ship by {local_day(snap.ship_by, timezone)}" if snap.ship_by else "awaiting payment"
        )
        return f"New order {snap.number}", " · ".join(parts)
    if kind == Kind.ORDER_DELAYED:
        due = f"was due {local_day(snap.ship_by, timezone)}" if snap.ship_by else "is late"
        return f"Order {snap.number} is late", f"Ship-by {due}; not shipped yet."
    if kind == Kind.CONFLICT:
        return f"Conflict on order {snap.number}", snap.message or "Two devices disagree."
    return f"Order {snap.number}", snap.status.replace("_", " ").capitalize()


def push_payload(
    kind: str, snap: OrderSnapshot, timezone: str, item_id: int, short: bool = False
) -> bytes:
    """The JSON the service worker gets: title, body, tag and the deep link in ``data``.

    ``short`` drops everything but the title and the link (after a 413 from the service).
    """
    title, body = push_message(kind, snap, timezone)
    url = f"/orders/{snap.order_id}"
    if short:
        return msgspec.json.encode({"title": title, "data": {"url": url}})
    return msgspec.json.encode(
        {
            "title": title,
            "body": body,
            # The same tag replaces a shown notification instead of stacking a second one.
            "tag": f"order-{snap.order_id}",
            "data": {
                "url": url,
                "order_id": snap.order_id,
                "number": snap.number,
                "kind": kind,
                "id": item_id,
            },
        }
    )


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class PushTarget:
    """Where a push goes: a subscription's endpoint and keys, and the VAPID key to sign with."""

    endpoint: str
    p256dh: str
    auth: str
    vapid_key_id: str


@dataclass(frozen=True)
class PushResult:
    """What the push service answered (status 0: no answer — network error or timeout)."""

    status: int
    retry_after: float | None
    detail: str


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@lru_cache(maxsize=4096)
def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _signer(key: VapidKey) -> Vapid:
    private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    return Vapid(private_key=private)


class PushSender:
    """Sends pushes over one shared aiohttp session, signing with cached VAPID tokens."""

    def __init__(
        self,
        keys: dict[str, VapidKey],
        subject: str,
        ttl: int,
        timeout: float,
        connections: int,
    ) -> None:
        self.subject = subject
        self.ttl = ttl
        self.timeout = timeout
        self._vapid = {k.id: _signer(k) for k in keys.values()}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PushSender:
        connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
        # Push services set no cookies worth keeping and send tiny bodies.
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def add_key(self, key: VapidKey) -> None:
        """Sign with this key too (rotated in while running)."""
        if key.id not in self._vapid:
            self._vapid[key.id] = _signer(key)

    def knows(self, key_id: str) -> bool:
        """Whether pushes for subscriptions made with this key can be signed."""
        return key_id in self._vapid

    def authorization(self, key_id: str, endpoint: str) -> str:
        """The ``Authorization: vapid t=…, k=…`` header for the endpoint's origin.

        Signing is an ECDSA operation per call; one token per push service origin, reused
        for 11 hours, saves it on every push of a fan-out.
        """
        audience = _origin(endpoint)
        now = time.time()
        cached = self._tokens.get((key_id, audience))
        if cached is not None and cached[1] - now > _TOKEN_RENEW_BEFORE:
            return cached[0]
        expires = int(now) + _TOKEN_LIFETIME
        claims = {"aud": audience, "exp": expires, "sub": self.subject}
        header: str = self._vapid[key_id].sign(claims)["Authorization"]
        self._tokens[(key_id, audience)] = (header, float(expires))
        return header

    async def send(self, target: PushTarget, payload: bytes, topic: str) -> PushResult:
        """Post one encrypted push; never raises for what the service answers."""
        assert self._session is not None, "use PushSender as an async context manager"
        headers: dict[str, str] = {
            "Authorization": self.authorization(target.vapid_key_id, target.endpoint),
            "Urgency": "high",
            "Topic": topic,
        }
        subscription: dict[str, Any] = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": target.p256dh, "auth": target.auth},
        }
        pusher = WebPusher(subscription, aiohttp_session=self._session)
        try:
            response = await pusher.send_async(
                payload, headers, ttl=self.ttl, content_encoding="aes128gcm", timeout=self.timeout
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return PushResult(0, None, f"{type(exc).__name__}: {exc}"[:500])
        status = int(response.status)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return PushResult(status, retry_after, "" if status < 300 else (response.reason or ""))
