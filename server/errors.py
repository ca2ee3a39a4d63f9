"""Errors as values at the boundary: every client mistake becomes a 4xx naming the problem."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from msgspec import Struct
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


#: the largest ``offset`` a paged list takes: beyond a 64-bit integer the databases fail
#: (SQLite's driver raises OverflowError, PostgreSQL a bigint error), and no list is that long
MAX_OFFSET = 1_000_000_000

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
    if exc.connection_invalidated:
        # The database dropped the connection (restarted, failed over, killed an idle
        # backend). SQLAlchemy has already thrown the pool's connections away, so the same
        # request made again gets a fresh one; the transaction was rolled back, nothing of
        # it is stored. Devices retry a sync on their own; Retry-After says how soon.
        request.logger.warning(
            "database connection lost on %s %s", request.method, request.url.path
        )
        return Response(
            _body(HTTP_503_SERVICE_UNAVAILABLE, "the database connection was lost; try again"),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            media_type=MediaType.JSON,
            headers={"Retry-After": "1"},
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


class ErrorBody(Struct):
    """What every error answer carries (handlers may add fields, such as ``code``)."""

    status_code: int
    detail: str
    #: each offending field of a malformed request (400)
    errors: list[dict[str, Any]] = []


#: the answers any route may give, by what the route is (see :func:`document_errors`)
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed body or parameters; `detail` and `errors` name the fields",
    401: "No valid credentials (bearer token, or the route's own signature)",
    403: "Signed in, but only the vendor's owner may do this",
    404: "Nothing with this id for the caller's vendor",
    413: "The body is larger than the server accepts (MAX_BODY_BYTES)",
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _error_spec(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ErrorBody,
        description=ERROR_DESCRIPTIONS[status],
        generate_examples=False,
    )


def _is_guarded_by(handler: HTTPRouteHandler, guard: object) -> bool:
    return any(guard in (layer.guards or []) for layer in handler.ownership_layers)


def document_errors(app: Litestar, public_paths: list[str], owner_guard: object) -> None:
    """Declare in the OpenAPI schema the error answers the app's machinery gives every route.

    Which errors a route can give follows from what it is: a route behind the bearer-token
    middleware can answer 401; one with the owner guard, 403; one with a path parameter,
    404; one taking a body, 400 and 413. Public routes are marked as needing no bearer
    token. What a handler declares itself (``responses=``, ``raises=``) is kept.
    """
    public = [re.compile(p) for p in public_paths]
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        is_public = any(p.search(route.path) for p in public)
        for handler in route.route_handlers:
            methods = set(handler.http_methods) - {"OPTIONS", "HEAD"}
            if not methods:
                continue
            statuses: set[int] = set()
            if not is_public:
                statuses.add(401)
            elif handler.security is None:
                handler.security = [{}]  # OpenAPI: no bearer token needed
            if _is_guarded_by(handler, owner_guard):
                statuses.add(403)
            if route.path_parameters:
                statuses |= {400, 404}
            if methods & _BODY_METHODS:
                statuses |= {400, 413}
            declared = dict(handler.responses or {})
            raised = {exc.status_code for exc in handler.raises or []}
            handler.responses = {
                **{s: _error_spec(s) for s in sorted(statuses - raised)},
                **declared,
            }
