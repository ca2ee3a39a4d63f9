"""Errors as values at the boundary: every client mistake becomes a 4xx naming the problem."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import DBAPIError

from shared.lifecycle import StepRefused


class Conflict(HTTPException):
    """The request is well formed but clashes with what is stored (409)."""

    status_code = HTTP_409_CONFLICT


class BadRequest(HTTPException):
    """The request is malformed in a way the schema could not catch (400)."""

    status_code = HTTP_400_BAD_REQUEST


def not_found(what: str) -> NotFoundException:
    """A 404 that names what was not found (and never says it exists for someone else)."""
    return NotFoundException(f"{what} not found")


def _body(status: int, detail: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if extra:
        body.update(extra)
    return body


def step_refused_handler(_: Request[Any, Any, Any], exc: StepRefused) -> Response[Any]:
    """A lifecycle rule said no: 409 with the reason code and the sentence."""
    return Response(
        _body(HTTP_409_CONFLICT, exc.message, {"code": exc.code}),
        status_code=HTTP_409_CONFLICT,
        media_type=MediaType.JSON,
    )


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Malformed body or parameters: 400 listing each offending field."""
    extra: dict[str, Any] = {}
    if exc.extra:
        extra["errors"] = exc.extra
    return Response(
        _body(HTTP_400_BAD_REQUEST, str(exc.detail), extra),
        status_code=HTTP_400_BAD_REQUEST,
        media_type=MediaType.JSON,
    )


def http_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Every other HTTP error keeps its status and says what went wrong."""
    extra = exc.extra if isinstance(exc.extra, dict) else None
    detail = str(exc.detail)
    if isinstance(exc.__cause__, SerializationException):
        # Litestar passes on the JSON parser's bare words ("Input data was truncated").
        detail = f"body is not valid JSON: {detail}"
    return Response(
        _body(exc.status_code, detail, extra),
        status_code=exc.status_code,
        headers=exc.headers,
        media_type=MediaType.JSON,
    )


def undecodable_handler(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """A body or string that is not UTF-8 (the JSON parser raises this, not a decode error)."""
    return Response(
        _body(HTTP_400_BAD_REQUEST, f"body is not valid UTF-8: {exc.reason} at byte {exc.start}"),
        status_code=HTTP_400_BAD_REQUEST,
        media_type=MediaType.JSON,
    )


#: SQLSTATEs of text PostgreSQL cannot store (a NUL character, or not UTF-8)
_UNSTORABLE_TEXT = {"22021", "22P05"}


def database_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """Text the database cannot store is the client's mistake (400); anything else is ours.

    PostgreSQL refuses NUL characters in text, in values and in query parameters alike;
    SQLite stores them. Checking every string field for them would duplicate this one rule.
    """
    if getattr(exc.orig, "sqlstate", None) in _UNSTORABLE_TEXT:
        return Response(
            _body(HTTP_400_BAD_REQUEST, "text must not contain NUL (\\u0000) characters"),
            status_code=HTTP_400_BAD_REQUEST,
            media_type=MediaType.JSON,
        )
    return internal_handler(request, exc)


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug on our side: log it, answer 500 without internals."""
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        _body(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )
