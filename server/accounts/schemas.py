"""Wire types of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
#: as typed at sign-in: phone keyboards add a space after a suggested address (trimmed later)
TypedEmail = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\s*$")]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
Role = Literal["owner", "staff"]


class LoginRequest(Struct, forbid_unknown_fields=True):
    """Email and password of a staff user."""

    email: TypedEmail
    password: Password


class RefreshRequest(Struct, forbid_unknown_fields=True):
    """A refresh token from the last login or refresh."""

    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class UserOut(Struct):
    """A user as others may see them (never the password hash)."""

    id: str
    email: str
    name: str
    role: str
    vendor_id: str


class VendorOut(Struct):
    """A vendor and its working calendar (time zone, holidays)."""

    id: str
    name: str
    timezone: str
    country: str
    subdivision: str | None


class TokenPair(Struct):
    """What a login or refresh returns."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: UserOut
    vendor: VendorOut
    token_type: str = "bearer"


class Me(Struct):
    """The signed-in user and their vendor."""

    user: UserOut
    vendor: VendorOut


class NewUser(Struct, forbid_unknown_fields=True):
    """An owner adds a staff member (or another owner)."""

    email: Email
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    password: Annotated[str, Meta(min_length=8, max_length=1024)]
    role: Role = "staff"


class NewApiKey(Struct, forbid_unknown_fields=True):
    """An owner creates an intake key for a marketplace."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    marketplace: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")]


class ApiKeyOut(Struct):
    """An intake key; ``secret`` is only ever shown once, when the key is created."""

    id: str
    name: str
    marketplace: str
    created_at: datetime
    secret: str | None = None
