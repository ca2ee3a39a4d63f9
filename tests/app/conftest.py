"""Fixtures of the app's view-model tests: a real server on 127.0.0.1, a real sign-in, and
a real device store file synced with that server (no Flutter client, no mocks).

Each test signs in as a fresh vendor, so counts and searches see only that test's orders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from mobile.prefs import MemoryPreferences
from mobile.session import Session, SessionKeeper
from mobile.storage import store_path
from mobile.sync import TokenSource
from mobile.transport_httpx import HttpxTransport
from mobile.viewmodels.signin import SignInViewModel
from mobile.workspace import Workspace
from tests.support import ServerThread, Tenant

#: scheduling of the workspaces under test: quick, so a test never waits long
QUICK = {"interval": 30.0, "debounce": 0.05, "max_debounce": 0.2}


def page_url(api: ServerThread) -> str:
    """What Flet reports as the page URL when the app is served by ``api``."""
    return f"ws://127.0.0.1:{api.port}"


@pytest.fixture
def prefs() -> MemoryPreferences:
    """The app's preferences (the browser's local storage when served)."""
    return MemoryPreferences()


@pytest.fixture
async def session(
    api: ServerThread, tenant: Tenant, prefs: MemoryPreferences
) -> AsyncIterator[Session]:
    """The tenant's owner, signed in through the sign-in view model."""
    vm = SignInViewModel(SessionKeeper(prefs), page_url=page_url(api))
    vm.email, vm.password = tenant.owner_email, tenant.password
    signed_in = await vm.sign_in()
    assert signed_in is not None, vm.error
    yield signed_in
    await signed_in.api.aclose()


WorkspaceFactory = Callable[..., Workspace]


@pytest.fixture
async def open_workspace(
    session: Session, api: ServerThread, tmp_path: Path
) -> AsyncIterator[WorkspaceFactory]:
    """Opens the signed-in person's device store (a file under ``tmp_path``), as the shell does.

    ``url`` points the sync client elsewhere (a dead port: offline), ``tokens`` is another
    sign-in's token owner; options go to :class:`Workspace`. Every workspace opened is closed at the end.
    """
    opened: list[Workspace] = []

    def make(
        url: str | None = None, tokens: TokenSource | None = None, **options: Any
    ) -> Workspace:
        path = store_path(tmp_path / "devices", session.device_id, session.user.id)
        workspace = Workspace.open(
            path,
            device_id=session.device_id,
            user=session.user,
            transport=HttpxTransport(url or api.url, timeout=5.0),
            tokens=tokens or session.tokens,
            **{**QUICK, **options},
        )
        opened.append(workspace)
        return workspace

    yield make
    for workspace in opened:
        await workspace.close()


@pytest.fixture
async def workspace(open_workspace: WorkspaceFactory) -> Workspace:
    """The signed-in person's device store, not syncing until a test says so."""
    return open_workspace()
