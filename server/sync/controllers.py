"""HTTP routes of the sync domain, in JSON or MessagePack.

The request body is read raw and decoded here with msgspec by its ``Content-Type``
(``application/json``, or ``application/msgpack`` / ``application/x-msgpack``); the response
format follows ``Accept``. Errors stay JSON, like every other error of the API. Each
response carries ``Server-Timing: app;dur=<ms>``, the time spent in the handler.
"""

from __future__ import annotations

from datetime import datetime
from time import perf_counter
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

from server.deps import CurrentActor, DbSession
from server.sync.pull import DEFAULT_PULL_LIMIT, PullPage
from server.sync.service import SyncService
from shared.sync import (
    MAX_PULL_LIMIT,
    ConflictRecord,
    OrderChange,
    PullResponse,
    PushRequest,
    PushResponse,
)
from shared.types import Note, Order

MSGPACK = "application/msgpack"
MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack"})

T = TypeVar("T")

_json = msgspec.json.Encoder()
_msgpack = msgspec.msgpack.Encoder()
_push_json = msgspec.json.Decoder(PushRequest)
_push_msgpack = msgspec.msgpack.Decoder(PushRequest)
_order_json = msgspec.json.Decoder(Order)


class UnsupportedMediaType(HTTPException):
    """The body is in a format this route does not read (415)."""

    status_code = HTTP_415_UNSUPPORTED_MEDIA_TYPE


class _RawChange(msgspec.Struct):
    """:class:`shared.sync.OrderChange` with the order as its stored JSON, not re-encoded."""

    order: msgspec.Raw
    notes: list[Note]
    conflicts: list[ConflictRecord]


class _RawPull(msgspec.Struct):
    """:class:`shared.sync.PullResponse` for JSON: the same fields, stored documents as is."""

    changes: list[_RawChange]
    cursor: str
    has_more: bool
    server_time: datetime


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    """How a conflict was settled, for the timeline."""

    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


def provide_sync(db_session: DbSession, actor: CurrentActor) -> SyncService:
    """Sync for the caller's vendor."""
    return SyncService(db_session, actor)


Sync = NamedDependency[SyncService]


def decode_push(content_type: str, body: bytes) -> PushRequest:
    """The push batch in the body; 415 for another format, 400 naming the bad field."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == MediaType.JSON:
        decoder: msgspec.json.Decoder[PushRequest] | msgspec.msgpack.Decoder[PushRequest]
        decoder, name = _push_json, "JSON"
    elif kind in MSGPACK_TYPES:
        decoder, name = _push_msgpack, "MessagePack"
    else:
        raise UnsupportedMediaType(
            f"Content-Type {kind or '(none)'!r}: send application/json or application/msgpack"
        )
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        # msgspec says where: "Expected `int`, got `str` - at `$.mutations[0].command...`"
        raise ValidationException(f"invalid push: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ValidationException(f"body is not valid {name}: {exc}") from exc


def wants_msgpack(request: Request[Any, Any, Any]) -> bool:
    """Whether the caller's ``Accept`` prefers MessagePack to JSON."""
    best = request.accept.best_match([MediaType.JSON, MSGPACK, "application/x-msgpack"])
    return best in MSGPACK_TYPES


def encode_pull(page: PullPage, msgpack: bool) -> bytes:
    """A pull page; in JSON each order goes out as stored, without decoding it."""
    if msgpack:
        changes = [
            OrderChange(
                order=_order_json.decode(o.doc),  # stored with its version (store())
                notes=page.notes.get(o.id, []),
                conflicts=page.conflicts.get(o.id, []),
            )
            for o in page.orders
        ]
        return _msgpack.encode(
            PullResponse(
                changes=changes,
                cursor=page.cursor,
                has_more=page.has_more,
                server_time=page.server_time,
            )
        )
    raw = [
        _RawChange(
            order=msgspec.Raw(o.doc.encode()),
            notes=page.notes.get(o.id, []),
            conflicts=page.conflicts.get(o.id, []),
        )
        for o in page.orders
    ]
    return _json.encode(_RawPull(raw, page.cursor, page.has_more, page.server_time))


def _respond(content: bytes, msgpack: bool, started: float) -> Response[bytes]:
    elapsed = (perf_counter() - started) * 1000
    return Response(
        content,
        media_type=MSGPACK if msgpack else MediaType.JSON,
        headers={"Server-Timing": f"app;dur={elapsed:.2f}"},
    )


class SyncController(Controller):
    """Devices push the mutations they recorded, then pull what changed."""

    path = "/api/sync"
    tags = ["sync"]
    dependencies = {"sync": Provide(provide_sync, sync_to_thread=False)}

    @post(
        "/push",
        status_code=200,
        summary="Push a batch of mutations (idempotent per device and mutation id)",
        description=(
            "Body: a `PushRequest` as `application/json` or `application/msgpack`. "
            "One result per mutation, in the order sent: applied, merged or rejected with a "
            "reason code and text. A mutation id seen before gets its recorded result and is "
            "not applied again. See docs/sync.md."
        ),
    )
    async def push(self, request: Request[Any, Any, Any], sync: Sync) -> Response[bytes]:
        """Apply the batch in one transaction; answer in the format ``Accept`` asks for."""
        started = perf_counter()
        batch = decode_push(request.headers.get("content-type", ""), await request.body())
        result: PushResponse = await sync.push(batch)
        msgpack = wants_msgpack(request)
        content = _msgpack.encode(result) if msgpack else _json.encode(result)
        return _respond(content, msgpack, started)

    @post(
        "/conflicts/{conflict_id:str}/resolve",
        status_code=200,
        summary="Mark a conflict settled (it leaves the order and the devices)",
    )
    async def resolve(
        self, sync: Sync, conflict_id: FromPath[str], data: JSONBody[Resolution]
    ) -> ConflictRecord:
        """A person has dealt with it (intercepted the parcel, voided a label, …)."""
        return await sync.resolve_conflict(conflict_id, data.note)

    @get(
        "/pull",
        summary="Pull changed orders after a cursor (bounded pages)",
        description=(
            "An empty cursor starts a first sync: open work (soonest ship-by first), then "
            "history, then live changes. Pass back `cursor` until `has_more` is false. "
            "JSON or MessagePack by `Accept`. See docs/sync.md."
        ),
    )
    async def pull(
        self,
        request: Request[Any, Any, Any],
        sync: Sync,
        cursor: Annotated[str, QueryParameter(max_length=1000)] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    ) -> Response[bytes]:
        """One page of changes; asking again with the same cursor gives the same page."""
        started = perf_counter()
        page = await sync.pull(cursor, limit)
        msgpack = wants_msgpack(request)
        return _respond(encode_pull(page, msgpack), msgpack, started)
