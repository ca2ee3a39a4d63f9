"""HTTP route of the intake domain."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from server.deps import AppSettings, DbSession
from server.intake import service
from server.intake.schemas import IntakeOrder, IntakeResult

_decoder = msgspec.json.Decoder(IntakeOrder)


class IntakeController(Controller):
    """The marketplace posts orders here."""

    path = "/api/intake"
    tags = ["intake"]

    @post(
        "/orders",
        summary="Receive a marketplace order (signed with an API key)",
        description=(
            "Headers: `X-Shipfloor-Key` (key id), `X-Shipfloor-Timestamp` (Unix seconds), "
            "`X-Shipfloor-Signature: sha256=<hex HMAC-SHA256 of '<timestamp>.' + body>`. "
            "Idempotent on `external_id`: a re-sent order returns 200 with `created: false`."
        ),
        status_code=201,
        responses={200: ResponseSpec(IntakeResult, description="Already received: not again")},
        raises=[NotAuthorizedException],
    )
    async def receive(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[IntakeResult]:
        """Verify the signature, then create the order once and run the New-stage checks."""
        body = await request.body()
        key = await service.authenticate(
            db_session,
            request.headers.get("x-shipfloor-key"),
            request.headers.get("x-shipfloor-timestamp"),
            request.headers.get("x-shipfloor-signature"),
            body,
            settings.intake_clock_skew_seconds,
        )
        try:
            data = _decoder.decode(body)
        except msgspec.ValidationError as exc:
            raise ValidationException(f"invalid order: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise ValidationException(f"body is not valid JSON: {exc}") from exc
        result, created = await service.receive(db_session, key, data)
        return Response(result, status_code=201 if created else 200)
