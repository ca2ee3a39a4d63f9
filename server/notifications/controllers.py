"""HTTP routes of the notifications domain: push subscriptions, preferences, live events."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent

from server.accounts.security import Actor, decode_access_token
from server.deps import AppSettings, CurrentActor, DbSession
from server.errors import not_found
from server.notifications import events, preferences, subscriptions
from server.notifications.runtime import NotificationRuntime
from server.notifications.schemas import (
    EventsToken,
    NewSubscription,
    Preferences,
    SubscriptionOut,
    VapidPublicKey,
)
from server.notifications.webpush import current_key


class PushController(Controller):
    """Web Push: the server's public key and each device's subscription."""

    path = "/api/push"
    tags = ["notifications"]

    @get("/vapid-public-key", summary="The applicationServerKey to subscribe with (public)")
    async def vapid_public_key(self, db_session: DbSession) -> VapidPublicKey:
        """Pass ``public_key`` to ``pushManager.subscribe`` and ``key_id`` back on subscribe."""
        key = await current_key(db_session)
        if key is None:
            raise not_found("VAPID key (push is not set up yet)")
        return VapidPublicKey(key.public_key, key.id)

    @get("/subscriptions", summary="The signed-in user's push subscriptions")
    async def list_subscriptions(
        self, db_session: DbSession, actor: CurrentActor
    ) -> list[SubscriptionOut]:
        """One per device the user turned notifications on."""
        return await subscriptions.list_for(db_session, actor)

    @post("/subscriptions", status_code=201, summary="Register this device for push")
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[NewSubscription],
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> SubscriptionOut:
        """The body is ``PushSubscription.toJSON()``; a device subscribing again replaces
        its old subscription (``X-Device-Id`` or ``device_id`` names the device)."""
        return await subscriptions.subscribe(
            db_session,
            actor,
            data,
            request.headers.get("x-device-id", "")[:64],
            request.headers.get("user-agent", ""),
            settings.notifications.push_allow_http,
        )

    @delete("/subscriptions/{subscription_id:str}", status_code=204, summary="Stop push here")
    async def unsubscribe(
        self, subscription_id: FromPath[str], db_session: DbSession, actor: CurrentActor
    ) -> None:
        """Sign-out or the settings switch turned off: no more pushes to that device."""
        await subscriptions.unsubscribe(db_session, actor, subscription_id)


class PreferencesController(Controller):
    """What reaches each user, on which channel, and their quiet hours."""

    path = "/api/notifications"
    tags = ["notifications"]

    @get("/preferences", summary="The signed-in user's notification preferences")
    async def get_preferences(self, db_session: DbSession, actor: CurrentActor) -> Preferences:
        """Defaults until the user chooses: push of new orders, delays and conflicts."""
        return await preferences.get(db_session, actor)

    @put("/preferences", summary="Replace the signed-in user's notification preferences")
    async def put_preferences(
        self, data: JSONBody[Preferences], db_session: DbSession, actor: CurrentActor
    ) -> Preferences:
        """Lists of topics per channel; quiet hours hold pushes until they end."""
        return await preferences.put(db_session, actor, data)


class EventsController(Controller):
    """Live dashboard alerts over Server-Sent Events."""

    path = "/api/events"
    tags = ["notifications"]

    @post("/token", status_code=200, summary="A short-lived token for EventSource")
    async def token(self, actor: CurrentActor, settings: AppSettings) -> EventsToken:
        """Browsers' EventSource cannot send headers: open ``/api/events?token=…`` instead.

        The token only opens the stream and expires in ``EVENTS_TOKEN_SECONDS``; take a new
        one for every (re)connection.
        """
        token, expires = events.issue_events_token(
            actor, settings.secret_key, settings.notifications.events_token_seconds
        )
        return EventsToken(token, expires)

    @get(
        "/",
        summary="The vendor's live events (new order, order changed, conflict)",
        description=(
            "Server-Sent Events. Authenticate with `Authorization: Bearer <access token>` or "
            "`?token=` from `POST /api/events/token`. Each message has `event:` (its type), "
            "`id:` and `data:` (JSON). Reconnect with `Last-Event-ID` to get what was missed."
        ),
        security=[{"BearerToken": []}],
        media_type="text/event-stream",
        raises=[NotAuthorizedException],
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        token: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        last_event_id: Annotated[
            str | None, HeaderParameter(name="Last-Event-ID", max_length=20)
        ] = None,
    ) -> ServerSentEvent:
        """Stays open; a comment every ``EVENTS_KEEPALIVE_SECONDS`` keeps proxies from closing it."""
        actor = _authenticate(request, token, settings.secret_key)
        runtime: NotificationRuntime = request.app.state.notifications
        prefs = await preferences.read(runtime.factory, actor)
        since = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
        ns = settings.notifications
        return ServerSentEvent(
            events.stream(
                runtime.broker,
                runtime.factory,
                actor.vendor_id,
                frozenset(prefs.dashboard),
                since,
                ns.events_keepalive_seconds,
                ns.events_max_seconds,
            )
        )


def _authenticate(request: Request[Any, Any, Any], token: str | None, secret: str) -> Actor:
    """The caller of the (otherwise public) stream route: bearer header or events token."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthorizedException("Authorization header must be 'Bearer <access token>'")
        return decode_access_token(value.strip(), secret)
    if token:
        return events.decode_events_token(token, secret)
    raise NotAuthorizedException(
        "missing Authorization header or ?token= (get one from POST /api/events/token)"
    )
