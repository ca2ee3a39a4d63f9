"""Bytes of the sync protocol: media types, encoding, decoding and error mapping.

Shared by every transport. MessagePack is the default both ways (smaller and faster to
decode than JSON); a pulled page decodes straight into :class:`PulledPage`, which keeps
each order as the MessagePack bytes the store files. If a server answers JSON instead,
the page is decoded fully and re-encoded, so the store always gets MessagePack.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec import Struct

from mobile.store.records import PulledChange, PulledPage
from mobile.sync.errors import (
    AccessExpired,
    RequestRefused,
    ServerError,
    SignInRequired,
)
from shared.sync import PullResponse, PushRequest, PushResponse

MSGPACK = "application/msgpack"
JSON = "application/json"

PUSH_PATH = "/api/sync/push"
PULL_PATH = "/api/sync/pull"
REFRESH_PATH = "/api/auth/refresh"


class Tokens(Struct, kw_only=True):
    """A session's tokens as login and refresh return them (other fields ignored)."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


class _ErrorBody(Struct):
    detail: str = ""
    code: str | None = None


_msgpack_encode = msgspec.msgpack.Encoder().encode
_json_encode = msgspec.json.Encoder().encode
_push_msgpack = msgspec.msgpack.Decoder(PushResponse)
_push_json = msgspec.json.Decoder(PushResponse)
_pull_msgpack = msgspec.msgpack.Decoder(PulledPage)
_pull_json = msgspec.json.Decoder(PullResponse)
_tokens_json = msgspec.json.Decoder(Tokens)


def is_msgpack(content_type: str) -> bool:
    """Whether a Content-Type names MessagePack (``application/msgpack``, ``x-msgpack``…)."""
    return "msgpack" in content_type.lower()


def encode_push(request: PushRequest, media_type: str) -> bytes:
    """The body of a push."""
    return _msgpack_encode(request) if is_msgpack(media_type) else _json_encode(request)


def decode_push(body: bytes, content_type: str) -> PushResponse:
    """A push answer, in whichever format the server chose."""
    try:
        if is_msgpack(content_type):
            return _push_msgpack.decode(body)
        return _push_json.decode(body)
    except msgspec.DecodeError as exc:
        raise ServerError(f"unreadable push answer: {exc}") from exc


def decode_pull(body: bytes, content_type: str) -> PulledPage:
    """A pull page, with each order kept as MessagePack bytes for the store."""
    try:
        if is_msgpack(content_type):
            return _pull_msgpack.decode(body)
        page = _pull_json.decode(body)
    except msgspec.DecodeError as exc:
        raise ServerError(f"unreadable pull answer: {exc}") from exc
    return PulledPage(
        changes=[
            PulledChange(
                order=msgspec.Raw(_msgpack_encode(change.order)),
                notes=msgspec.Raw(_msgpack_encode(change.notes)),
                conflicts=change.conflicts,
            )
            for change in page.changes
        ],
        cursor=page.cursor,
        has_more=page.has_more,
        server_time=page.server_time,
    )


def encode_refresh(refresh_token: str) -> bytes:
    """The JSON body of ``POST /api/auth/refresh``."""
    return _json_encode({"refresh_token": refresh_token})


def decode_tokens(body: bytes) -> Tokens:
    """The token pair of a login or refresh answer."""
    try:
        return _tokens_json.decode(body)
    except msgspec.DecodeError as exc:
        raise ServerError(f"unreadable token answer: {exc}") from exc


def error_for(status: int, body: bytes, content_type: str = JSON) -> Exception:
    """The exception for an HTTP error answer (see :mod:`mobile.sync.errors`)."""
    detail = _detail_of(body, content_type) or f"HTTP {status}"
    if status == 401:
        # The server says which 401 it is: only an expired token is cured by a refresh.
        if "expired" in detail.lower():
            return AccessExpired(detail)
        return SignInRequired(detail)
    if status >= 500 or status in (408, 425, 429):
        return ServerError(f"{status}: {detail}")
    return RequestRefused(status, detail)


def _detail_of(body: bytes, content_type: str) -> str:
    try:
        if is_msgpack(content_type):
            return msgspec.msgpack.decode(body, type=_ErrorBody).detail
        return msgspec.json.decode(body, type=_ErrorBody).detail
    except (msgspec.DecodeError, msgspec.ValidationError):
        return body[:200].decode(errors="replace")
