"""Fixtures of the notification tests: a push service, an SMTP server, a server wired to both.

The notification tests get a database of their own (per backend): a dispatcher of another
test suite's server on a shared database would deliver our outbox with its own settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from server.app import create_app
from server.migrate import upgrade_sync
from server.notifications.settings import NotificationSettings
from server.settings import Settings
from tests.notifications.push_service import PushClient, PushServiceThread
from tests.support import ServerThread, Tenant, free_port, fresh_database, make_tenant
from tests.support import test_settings as base_settings


@dataclass
class Mail:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The decoded subject."""
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """The text of the ``text/plain`` or ``text/html`` part."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message."""

    port: int
    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        """Accept and keep the message."""
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        msg = message_from_bytes(content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        """Messages for this recipient."""
        return [m for m in self.mails if address in m.recipients]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[Mail]:
        """Poll until ``count`` messages reached ``address`` (fewer after ``timeout``)."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(address)


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    """The SMTP server every test server sends to."""
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def push() -> Iterator[PushClient]:
    """The test push service, in a thread on 127.0.0.1."""
    service = PushServiceThread(free_port()).start()
    client = PushClient(service.url)
    yield client
    client.close()
    service.stop()


def notify_settings(smtp: SmtpSink, **overrides: Any) -> NotificationSettings:
    """Fast retries and polling, http push endpoints allowed, mail to the test SMTP server."""
    base = NotificationSettings(
        poll_seconds=0.2,
        lease_seconds=3,
        backoff_seconds=0.3,
        backoff_max_seconds=2,
        push_timeout_seconds=5,
        push_allow_http=True,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        delay_check_seconds=0.5,
        events_keepalive_seconds=1,
    )
    return dataclasses.replace(base, **overrides)


def server_settings(database_url: str, data_dir: Path, smtp: SmtpSink, **notify: Any) -> Settings:
    """Test server settings with notifications set up for the test services."""
    return base_settings(database_url, data_dir, notifications=notify_settings(smtp, **notify))


@pytest.fixture(scope="session")
def notify_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the notification tests, migrated to head."""
    with fresh_database(backend, tmp_path_factory.mktemp(f"notify-{backend}")) as url:
        upgrade_sync(url)
        yield url


@pytest.fixture(scope="session")
def server(
    notify_db: str, smtp: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerThread]:
    """A server with its dispatcher running, delivering to the test push and SMTP services."""
    settings = server_settings(notify_db, tmp_path_factory.mktemp("notify-data"), smtp)
    thread = ServerThread(create_app(settings), settings=settings).start()
    yield thread
    thread.stop()


@pytest.fixture
def shop(server: ServerThread, notify_db: str) -> Tenant:
    """A vendor on the notification test server."""
    return make_tenant(server.url, notify_db, settings=server.settings)


@pytest.fixture
def other_shop(server: ServerThread, notify_db: str) -> Tenant:
    """An unrelated vendor on the same server."""
    return make_tenant(server.url, notify_db, label="Other", settings=server.settings)


def run(coro: Any) -> Any:
    """Run a coroutine from a synchronous test."""
    return asyncio.run(coro)
