"""Sign-in: server address, email, password; stays signed in across restarts."""

from __future__ import annotations

import asyncio
import logging

from mobile.api import (
    ApiClient,
    ApiError,
    NotSignedIn,
    ServerUnreachable,
    normalise_server,
    origin_of,
)
from mobile.session import Session, SessionKeeper
from mobile.viewmodels.base import Observable

log = logging.getLogger(__name__)


class SignInViewModel(Observable):
    """The sign-in form and the session it produces."""

    def __init__(self, keeper: SessionKeeper, page_url: str | None = None) -> None:
        super().__init__()
        self.keeper = keeper
        #: where the app was served from (the page's own address): the default server
        self.served_from = origin_of(page_url)
        self.server = self.served_from
        self.email = ""
        self.password = ""
        self.error: str | None = None
        self.busy = False
        self.session: Session | None = None
        #: the background check of a session resumed from what the device remembers
        self.refreshing: asyncio.Task[None] | None = None
        #: goes up whenever the view model itself changes the form's fields (not typing)
        self.form_revision = 0

    async def restore(self) -> Session | None:
        """Resume the remembered session, if any; fill the form with the last address/email."""
        self.server = await self.keeper.server() or self.served_from
        self.email = await self.keeper.email() or ""
        self.form_revision += 1
        tokens = await self.keeper.tokens()
        if tokens is None or not self.server:
            self.changed()
            return None
        account = await self.keeper.account()
        if account is not None:
            # Known on this device: open the device store at once, whatever the network
            # does. Asking the server first held every start for as long as a slow or
            # silent Wi-Fi takes to time out (the API's 15 s). The account is checked in
            # the background; a session the server has ended shows on the first sync
            # (``sign_in_required``) and the shell sends the person to sign in.
            api = await self.keeper.client(self.server, tokens)
            self.session = Session(api, account.user, account.vendor)
            self.refreshing = asyncio.ensure_future(self._refresh_account(self.session))
            self.changed()
            return self.session
        self.busy = True
        self.changed()
        api = await self.keeper.client(self.server, tokens)
        try:
            me = await api.me()
        except NotSignedIn:
            await api.aclose()
            self.error = "Your session has ended: please sign in again."
            return None
        except ServerUnreachable as exc:
            # Signed in before accounts were remembered, and the server out of reach.
            await api.aclose()
            self.error = f"Could not resume your session: {_sentence(exc)}"
            return None
        except ApiError as exc:
            # Keep the tokens: a server that fails now may be back in a minute.
            await api.aclose()
            self.error = f"Could not resume your session: {_sentence(exc)}"
            return None
        finally:
            self.busy = False
            self.changed()
        await self.keeper.remember_account(me.user, me.vendor)
        self.session = Session(api, me.user, me.vendor)
        return self.session

    async def _refresh_account(self, session: Session) -> None:
        """The resumed session's user and vendor as the server has them now (a name may
        have changed); remembered for the next start. Never fails the session itself."""
        try:
            me = await session.api.me()
        except Exception as exc:  # offline, ended (the sync shows it), or closed meanwhile
            log.debug("account not refreshed: %s", exc)
            return
        if self.session is session:
            await self.keeper.remember_account(me.user, me.vendor)
            session.user, session.vendor = me.user, me.vendor

    def problems(self) -> str | None:
        """What the form still lacks, before asking the server."""
        if not normalise_server(self.server):
            return "Enter the server address."
        if "@" not in self.email.strip():
            return "Enter your email address."
        if not self.password:
            return "Enter your password."
        return None

    async def sign_in(self) -> Session | None:
        """Sign in with the form; on failure ``error`` says why in a sentence."""
        if self.busy:
            return None
        self.error = self.problems()
        if self.error:
            self.changed()
            return None
        self.busy = True
        self.changed()
        server = normalise_server(self.server)
        email = self.email.strip()
        api: ApiClient | None = None
        try:
            api = await self.keeper.client(server)
            pair = await api.login(email, self.password)
        except ServerUnreachable:
            self.error = f"Cannot reach the server at {server}. Check the address and the network."
        except ApiError as exc:
            self.error = _sentence(exc)
        finally:
            self.busy = False
        if self.error or api is None:
            if api is not None:
                await api.aclose()
            self.changed()
            return None
        await self.keeper.remember(server, email)
        await self.keeper.remember_account(pair.user, pair.vendor)
        self.server = server
        self.password = ""
        self.form_revision += 1
        self.session = Session(api, pair.user, pair.vendor)
        self.changed()
        return self.session

    async def sign_out(self) -> None:
        """Forget the session's tokens on this device (address and email stay filled in)."""
        if self.refreshing is not None:
            self.refreshing.cancel()
            self.refreshing = None
        if self.session is not None:
            await self.session.sign_out()  # its hooks first (push), then the tokens
            await self.session.api.aclose()
        else:
            await self.keeper.forget_tokens()
        self.session = None
        self.password = ""
        self.form_revision += 1
        self.error = None
        self.changed()


def _sentence(exc: Exception) -> str:
    text = exc.detail if isinstance(exc, ApiError) else str(exc)
    text = text.strip() or "unknown error"
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
