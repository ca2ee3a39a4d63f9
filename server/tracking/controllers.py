"""HTTP routes of the tracking domain (public, each authenticated its own way)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from server.deps import AppSettings, DbSession
from server.tracking import confirm, service
from server.tracking.schemas import CarrierEventIn, CarrierEventResult

_decoder = msgspec.json.Decoder(CarrierEventIn)
Signature = Annotated[str, QueryParameter(name="sig", min_length=1, max_length=64)]


class TrackingController(Controller):
    """Carrier webhooks and the customer's delivery confirmation."""

    path = "/api"
    tags = ["tracking"]

    @post(
        "/tracking/{carrier:str}/events",
        summary="Carrier tracking event (signed webhook)",
        status_code=202,
        responses={200: ResponseSpec(CarrierEventResult, description="Seen before: not again")},
        raises=[NotAuthorizedException],
        description=(
            "Headers `X-Shipfloor-Timestamp` and `X-Shipfloor-Signature: sha256=<hex "
            "HMAC-SHA256(carrier secret, '<timestamp>.' + body)>`. Idempotent on `event_id`."
        ),
    )
    async def carrier_event(
        self,
        request: Request[Any, Any, Any],
        carrier: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[CarrierEventResult]:
        """Each event lands on the order's timeline; "delivered" moves it to Delivered."""
        body = await request.body()
        service.verify(
            settings,
            carrier.lower(),
            request.headers.get("x-shipfloor-timestamp"),
            request.headers.get("x-shipfloor-signature"),
            body,
        )
        try:
            event = _decoder.decode(body)
        except msgspec.ValidationError as exc:
            raise ValidationException(f"invalid tracking event: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise ValidationException(f"body is not valid JSON: {exc}") from exc
        result = await service.record_event(db_session, carrier.lower(), event)
        return Response(result, status_code=200 if result.duplicate else 202)

    @get(
        "/public/orders/{order_id:str}/confirm-delivery",
        summary="Delivery confirmation page (signed link)",
        media_type=MediaType.HTML,
    )
    async def confirmation_page(
        self, order_id: FromPath[str], sig: Signature, db_session: DbSession, settings: AppSettings
    ) -> str:
        """Shows a button; opening the link alone confirms nothing."""
        return await confirm.confirmation_page(db_session, settings, order_id, sig)

    @post(
        "/public/orders/{order_id:str}/confirm-delivery",
        status_code=200,
        summary="The customer confirms delivery (signed link)",
        media_type=MediaType.HTML,
    )
    async def confirm_delivery(
        self, order_id: FromPath[str], sig: Signature, db_session: DbSession, settings: AppSettings
    ) -> str:
        """Confirms once; the payout falls due."""
        return await confirm.confirm(db_session, settings, order_id, sig)
