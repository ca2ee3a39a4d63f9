"""The app's document opener against the real server: signed links opened like a new tab.

``launch`` here fetches the URL it is given with no token and no cookies — what a browser
tab opened by ``launch_url`` does — so each test sees the PDF a person would see.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from pypdf import PdfReader

from mobile.prefs import MemoryPreferences
from mobile.session import Session, SessionKeeper
from mobile.viewmodels.documents import ServerDocumentOpener
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.steps.printing import Document, DocumentOpener, DocumentUnavailable
from tests.support import ServerThread, Tenant, free_port


class Tab:
    """A browser tab: opens each URL without credentials and keeps what it got."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.pdfs: list[bytes] = []

    async def launch(self, url: str) -> None:
        """Open ``url`` as a new tab would."""
        async with httpx.AsyncClient(timeout=30) as client:
            r = await client.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        self.opened.append(url)
        self.pdfs.append(r.content)

    def pages(self) -> list[str]:
        """The text of each page of the last PDF."""
        return [p.extract_text() for p in PdfReader(io.BytesIO(self.pdfs[-1])).pages]


@pytest.fixture
async def session(api: ServerThread, tenant: Tenant) -> AsyncIterator[Session]:
    """The tenant's staff member, signed in through the sign-in view model."""
    vm = SignInViewModel(SessionKeeper(MemoryPreferences()), page_url=f"ws://127.0.0.1:{api.port}")
    vm.email, vm.password = tenant.staff_email, tenant.password
    signed_in = await vm.sign_in()
    assert signed_in is not None, vm.error
    yield signed_in
    await signed_in.api.aclose()


async def test_a_packing_slip_opens_in_a_tab_through_a_signed_link(
    api: ServerThread, tenant: Tenant, session: Session
) -> None:
    order_id = tenant.order(number="OPEN-1001")
    tab = Tab()
    opener: DocumentOpener = ServerDocumentOpener(session.api, tab.launch)
    assert opener.online
    await opener.open_packing_slip(order_id)
    (url,) = tab.opened
    assert url.startswith(f"{api.url}/api/documents/signed/packing-slips.pdf?")
    assert "token" not in url
    (page,) = tab.pages()
    assert "OPEN-1001" in page and "PACKING SLIP" in page


async def test_a_label_opens_once_printed_and_after_the_pending_steps_went_up(
    tenant: Tenant, session: Session
) -> None:
    order_id = tenant.order("ready_to_ship", number="OPEN-2001")
    pushed: list[str] = []

    async def push_pending_steps() -> None:
        pushed.append("pushed")

    tab = Tab()
    opener = ServerDocumentOpener(session.api, tab.launch, before_label=push_pending_steps)
    with pytest.raises(DocumentUnavailable, match="no shipping label yet for order OPEN-2001"):
        await opener.open_label(order_id)
    assert opener.message is not None and opener.message.startswith(
        "Cannot open the shipping label: no shipping label yet"
    )
    assert tab.opened == [] and pushed == ["pushed"]

    with tenant.client() as c:
        printed = c.post("/api/documents/print", json={"kind": "label", "order_ids": [order_id]})
        assert printed.json()["printed"] == 1, printed.text
    await opener.open_label(order_id)
    assert pushed == ["pushed", "pushed"]
    (url,) = tab.opened
    assert "/api/documents/signed/labels.pdf?" in url
    assert "OPEN-2001" in tab.pages()[0]
    assert opener.message == "Opened the shipping label."


async def test_bulk_opens_one_pdf_with_a_page_per_order(tenant: Tenant, session: Session) -> None:
    first, second = tenant.order(number="OPEN-3001"), tenant.order(number="OPEN-3002")
    tab = Tab()
    opener = ServerDocumentOpener(session.api, tab.launch)
    await opener.open_bulk([second, first, second], Document.PACKING_SLIP)
    pages = tab.pages()
    assert len(pages) == 2
    assert "OPEN-3002" in pages[0] and "OPEN-3001" in pages[1]
    assert opener.message == "Opened the 2 packing slips."


async def test_offline_is_said_plainly_and_nothing_is_opened(
    tenant: Tenant, session: Session
) -> None:
    tab = Tab()
    heard: list[str | None] = []
    opener = ServerDocumentOpener(session.api, tab.launch, connected=lambda: False)
    opener.subscribe(lambda: heard.append(opener.message))
    assert not opener.online
    with pytest.raises(DocumentUnavailable) as refused:
        await opener.open_packing_slip(tenant.order())
    said = "Offline: the packing slip will open when the device is back online."
    assert str(refused.value) == said
    assert heard == [said] and tab.opened == []


async def test_an_unreachable_server_marks_the_opener_offline_until_it_answers(
    api: ServerThread, tenant: Tenant, session: Session
) -> None:
    order_id = tenant.order(number="OPEN-4001")
    tab = Tab()
    opener = ServerDocumentOpener(session.api, tab.launch)
    session.api.base_url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    with pytest.raises(DocumentUnavailable, match="Cannot reach the server"):
        await opener.open_packing_slip(order_id)
    assert not opener.online and tab.opened == []

    session.api.base_url = api.url  # back online: the next try goes through
    await opener.open_bulk([order_id], Document.PACKING_SLIP)
    assert opener.online and len(tab.opened) == 1


async def test_another_vendors_order_cannot_be_opened(
    other_tenant: Tenant, session: Session
) -> None:
    theirs = other_tenant.order(number="OPEN-THEIRS")
    tab = Tab()
    opener = ServerDocumentOpener(session.api, tab.launch)
    with pytest.raises(DocumentUnavailable, match=f"order '{theirs}' not found"):
        await opener.open_packing_slip(theirs)
    assert tab.opened == []
