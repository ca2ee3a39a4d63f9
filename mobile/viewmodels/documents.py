"""Opening the server's slips and labels: a signed link, then the platform opens it.

A new browser tab (``UrlLauncher.launch_url``) or a phone's share sheet fetches the PDF
with a bare GET that carries no token. So the opener first asks the server for a
short-lived signed link (``POST /api/documents/links``, signed in) and hands that URL to
the injected ``launch``. It fits the steps' :class:`~mobile.viewmodels.steps.printing.
DocumentOpener`: ``online``, ``open_packing_slip``, ``open_label``; a document that cannot
be opened now raises :class:`~mobile.viewmodels.steps.printing.DocumentUnavailable` with
a sentence saying why (and the print stays on the waiting list).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn, Protocol, TypeVar

import msgspec
from msgspec import Struct

from mobile.api import ApiError, NotSignedIn, Params, ServerUnreachable
from mobile.viewmodels.base import Observable
from mobile.viewmodels.steps.printing import Document, DocumentUnavailable

T = TypeVar("T")

#: opens a URL: a new browser tab, the system's PDF viewer or share sheet
Launch = Callable[[str], Awaitable[Any]]


class SignedLink(Struct):
    """What ``POST /api/documents/links`` answers: a path and query that work without a token."""

    url: str
    expires_at: datetime
    kind: str
    order_ids: list[str]


class LinkApi(Protocol):
    """What the opener needs of :class:`mobile.api.ApiClient`: its address and JSON calls."""

    base_url: str

    async def request(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        params: Params = (),
        body: bytes | None = None,
    ) -> T:
        """A signed-in JSON call decoded into ``into``."""
        ...


async def request_link(api: LinkApi, kind: Document, order_ids: Sequence[str]) -> SignedLink:
    """Ask the server for a signed link to these orders' slips or labels (one PDF)."""
    body = msgspec.json.encode({"kind": kind.value, "order_ids": list(order_ids)})
    return await api.request("POST", "/api/documents/links", SignedLink, body=body)


class ServerDocumentOpener(Observable):
    """Opens slips and labels from the server through signed links.

    ``connected`` (optional) says whether the device has a network now, e.g. the sync
    scheduler's view; without it the opener goes by how its last request went.
    ``before_label`` (optional) runs before a label is asked for: the device's pending
    steps (the label's print step among them) must reach the server first.
    """

    def __init__(
        self,
        api: LinkApi,
        launch: Launch,
        connected: Callable[[], bool] | None = None,
        before_label: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self.api = api
        self.launch = launch
        self.connected = connected
        self.before_label = before_label
        self._reachable = True
        #: what the last attempt came to, for a snackbar ("Opened the packing slip.")
        self.message: str | None = None
        #: the last link opened (absolute URL)
        self.last_url: str | None = None

    @property
    def online(self) -> bool:
        """Whether the server can be reached now (as far as the device knows)."""
        if self.connected is not None:
            return self.connected()
        return self._reachable

    async def open_packing_slip(self, order_id: str) -> None:
        """Open one order's packing slip."""
        await self.open_bulk([order_id], Document.PACKING_SLIP)

    async def open_label(self, order_id: str) -> None:
        """Open one order's 4×6 shipping label (its label must have been printed)."""
        await self.open_bulk([order_id], Document.LABEL)

    async def open_bulk(self, order_ids: Sequence[str], kind: Document) -> None:
        """Open one PDF of slips or labels for these orders, in the order given."""
        ids = list(dict.fromkeys(order_ids))
        if not ids:
            raise ValueError("open_bulk needs at least one order id")
        what = _name(kind, len(ids))
        # Known to be offline: say so without waiting for a request to time out. (Without
        # ``connected``, always try: the last failure says nothing about now.)
        if self.connected is not None and not self.connected():
            self._fail(f"Offline: the {what} will open when the device is back online.")
        if kind is Document.LABEL and self.before_label is not None:
            await self.before_label()
        try:
            link = await request_link(self.api, kind, ids)
        except ServerUnreachable:
            self._reachable = False
            self._fail(f"Cannot reach the server: the {what} will open once it is back.")
        except NotSignedIn:
            self._fail(f"Your session has ended: sign in again to open the {what}.")
        except ApiError as exc:
            self._fail(f"Cannot open the {what}: {exc.detail}")
        self._reachable = True
        self.last_url = self.api.base_url + link.url
        await self.launch(self.last_url)
        self.message = f"Opened the {what}."
        self.changed()

    def _fail(self, message: str) -> NoReturn:
        self.message = message
        self.changed()
        raise DocumentUnavailable(message)


def _name(kind: Document, count: int) -> str:
    if kind is Document.PACKING_SLIP:
        return "packing slip" if count == 1 else f"{count} packing slips"
    return "shipping label" if count == 1 else f"{count} shipping labels"
