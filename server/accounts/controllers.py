"""HTTP routes of the accounts domain."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from server.accounts import service
from server.accounts.schemas import (
    ApiKeyOut,
    LoginRequest,
    Me,
    NewApiKey,
    NewUser,
    RefreshRequest,
    TokenPair,
    UserOut,
)
from server.accounts.security import owner_only
from server.accounts.throttle import TooManyFailures
from server.deps import AppSettings, CurrentActor, DbSession
from server.errors import Conflict


class AuthController(Controller):
    """Sign-in and token refresh (public)."""

    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/login",
        status_code=200,
        summary="Sign in with email and password",
        raises=[NotAuthorizedException, TooManyFailures],
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        db_session: DbSession,
        settings: AppSettings,
    ) -> TokenPair:
        """Returns a short-lived access token and a rotating refresh token.

        Failed sign-ins are limited per account and per client address (429, Retry-After).
        """
        address = request.client.host if request.client else ""
        return await service.login(db_session, data.email, data.password, settings, address)

    @post(
        "/refresh",
        status_code=200,
        summary="Swap a refresh token for a new pair",
        raises=[NotAuthorizedException],
    )
    async def refresh(
        self, data: JSONBody[RefreshRequest], db_session: DbSession, settings: AppSettings
    ) -> TokenPair:
        """Each refresh token works once; reusing one signs the whole family out."""
        return await service.refresh(db_session, data.refresh_token, settings)


class AccountController(Controller):
    """The signed-in user, the vendor's users and intake keys."""

    path = "/api"
    tags = ["accounts"]

    @get("/me", summary="The signed-in user and their vendor")
    async def me(self, db_session: DbSession, actor: CurrentActor) -> Me:
        """Who am I, and for which vendor."""
        return await service.me(db_session, actor)

    @get("/users", guards=[owner_only], summary="The vendor's users (owner only)")
    async def users(self, db_session: DbSession, actor: CurrentActor) -> list[UserOut]:
        """Everyone who can sign in for this vendor."""
        return await service.list_users(db_session, actor)

    @post("/users", guards=[owner_only], summary="Add a user (owner only)", raises=[Conflict])
    async def add_user(
        self, data: JSONBody[NewUser], db_session: DbSession, actor: CurrentActor
    ) -> UserOut:
        """Create a staff member (or another owner)."""
        user = await service.create_user(
            db_session, actor.vendor_id, data.email, data.name, data.password, data.role
        )
        await db_session.commit()
        return service.user_out(user)

    @get("/api-keys", guards=[owner_only], summary="Intake API keys (owner only)")
    async def api_keys(self, db_session: DbSession, actor: CurrentActor) -> list[ApiKeyOut]:
        """The vendor's keys, without their secrets."""
        return await service.list_api_keys(db_session, actor)

    @post("/api-keys", guards=[owner_only], summary="Create an intake API key (owner only)")
    async def add_api_key(
        self, data: JSONBody[NewApiKey], db_session: DbSession, actor: CurrentActor
    ) -> ApiKeyOut:
        """The secret is in this response only; store it in the marketplace's settings."""
        key = await service.create_api_key(db_session, actor.vendor_id, data.name, data.marketplace)
        await db_session.commit()
        return key
