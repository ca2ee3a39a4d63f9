"""Passwords, access tokens and the authentication middleware.

Passwords are hashed with Argon2id (argon2-cffi, the OWASP-recommended algorithm). Access
tokens are short-lived HS256 JWTs (PyJWT) carrying the user's vendor and role, so a request
is authorised without a database round trip. Refresh tokens are random, stored hashed and
rotated on every use (see ``service.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from msgspec import Struct

from server.ids import utcnow

_hasher = PasswordHasher()

#: Routes that need no bearer token, in one place. Intake authenticates by API key and
#: signature instead; the app shell and its assets are served to anyone.
PUBLIC_PATHS: list[str] = [
    "^/api/auth/login$",
    "^/api/auth/refresh$",
    "^/api/intake/",
    "^/api/tracking/",  # carriers sign their webhook bodies
    "^/api/public/",  # signed links sent to customers
    # short-lived signed PDF links (server/documents/links.py): the link is the credential
    "^/api/documents/signed/(packing-slips|labels)\\.pdf$",
    "^/api/push/vapid-public-key$",  # a public key, needed before subscribing
    "^/api/events$",  # SSE: checks a bearer header or a short-lived ?token= itself
    "^/schema",
    "^/health/",
]

ALGORITHM = "HS256"
AUDIENCE = "shipfloor"


class Actor(Struct, frozen=True):
    """Who is calling: the signed-in user, their vendor and role."""

    user_id: str
    vendor_id: str
    role: str
    name: str

    @property
    def is_owner(self) -> bool:
        """Owners manage users, API keys and payouts."""
        return self.role == "owner"


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A valid hash to verify against when the account does not exist, so a login for an
# unknown email takes as long as one with a wrong password.
DUMMY_HASH = hash_password("not-a-real-password")


def issue_token(
    actor: Actor, secret: str, lifetime: timedelta, audience: str = AUDIENCE
) -> tuple[str, datetime]:
    """A signed token for the actor, good for ``audience`` only, and when it expires."""
    now = utcnow()
    expires = now + lifetime
    claims = {
        "sub": actor.user_id,
        "vid": actor.vendor_id,
        "role": actor.role,
        "name": actor.name,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def decode_token(
    token: str,
    secret: str,
    audience: str = AUDIENCE,
    kind: str = "access token",
    renew_at: str = "POST /api/auth/refresh",
) -> Actor:
    """The actor of a valid token; ``NotAuthorizedException`` saying what is wrong otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthorizedException(f"{kind} expired: get a new one from {renew_at}") from exc
    except jwt.InvalidTokenError as exc:
        raise NotAuthorizedException(f"invalid {kind}: {exc}") from exc
    try:
        return Actor(
            user_id=str(claims["sub"]),
            vendor_id=str(claims["vid"]),
            role=str(claims["role"]),
            name=str(claims.get("name", "")),
        )
    except KeyError as exc:
        raise NotAuthorizedException(f"invalid {kind}: no {exc.args[0]} claim") from exc


def issue_access_token(actor: Actor, secret: str, minutes: int) -> tuple[str, datetime]:
    """A signed access token for the actor and the moment it expires."""
    return issue_token(actor, secret, timedelta(minutes=minutes))


def decode_access_token(token: str, secret: str) -> Actor:
    """The actor of a valid access token (401 saying what is wrong otherwise)."""
    return decode_token(token, secret)


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Require ``Authorization: Bearer <access token>`` on every non-public route."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise NotAuthorizedException("missing Authorization header (Bearer access token)")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("Authorization header must be 'Bearer <access token>'")
        secret: str = connection.app.state.settings.secret_key
        actor = decode_access_token(token.strip(), secret)
        return AuthenticationResult(user=actor, auth=token)


def owner_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: only the vendor's owner may do this.

    ``OPTIONS`` passes: it only lists the allowed methods, and the authentication middleware
    does not run for it (a controller's guard applies to its OPTIONS handler too).
    """
    if connection.scope.get("method") == "OPTIONS":
        return
    actor = connection.scope.get("user")
    if not isinstance(actor, Actor) or not actor.is_owner:
        raise PermissionDeniedException("only the vendor's owner may do this")
