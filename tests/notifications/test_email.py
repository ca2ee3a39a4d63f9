"""Email to sellers and customers, over a real SMTP server, and the developer's Maildir."""

from __future__ import annotations

import asyncio
import dataclasses
import mailbox
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server.notifications.email import Mailer, build_message
from server.notifications.service import enqueue_delays
from server.notifications.settings import NotificationSettings
from server.notifications.templates import Rendered
from tests.notifications.conftest import SmtpSink
from tests.notifications.helpers import eventually
from tests.support import Tenant, db_value, intake_order

#: the tracking number ``Tenant.order("shipped")`` ships with (a valid UPS shape)
UPS_TRACKING = "1Z999AA10123456784"


def _order_number(tenant: Tenant, order_id: str) -> str:
    return str(tenant.get(f"/api/orders/{order_id}").json()["order"]["number"])


def test_the_seller_gets_an_email_of_a_new_order(shop: Tenant, smtp: SmtpSink) -> None:
    r = shop.intake(intake_order())
    number = r.json()["number"]

    (mail,) = smtp.wait_for(shop.owner_email)
    assert mail.recipients == [shop.owner_email]
    assert mail.subject.startswith(f"New order {number}: 3 items, $59.99, ship by ")
    assert f"/orders/{r.json()['order_id']}" in mail.part("plain")
    assert "<a href=" in mail.part("html")
    assert mail.message["Message-ID"].endswith("@shipfloor.localhost>")
    # Staff do not get new-order email unless they ask for it.
    assert smtp.to(shop.staff_email) == []


def test_the_customer_gets_carrier_tracking_number_and_link_when_shipped(
    shop: Tenant, smtp: SmtpSink
) -> None:
    customer = f"shipped-{uuid.uuid4().hex[:8]}@example.com"
    order_id = shop.order("shipped", customer={"name": "Casey Customer", "email": customer})
    number = _order_number(shop, order_id)

    (mail,) = smtp.wait_for(customer)
    assert mail.recipients == [customer]
    assert mail.subject == f"Your order {number} has shipped"
    link = f"https://www.ups.com/track?tracknum={UPS_TRACKING}"
    text, html = mail.part("plain"), mail.part("html")
    assert "Carrier: UPS" in text and f"Tracking number: {UPS_TRACKING}" in text
    assert link in text and f'href="{link}"' in html
    assert "Vendor" in str(mail.message["From"])  # from the shop, not from "Shipfloor"


def test_the_customer_gets_an_email_when_delivered(shop: Tenant, smtp: SmtpSink) -> None:
    customer = f"delivered-{uuid.uuid4().hex[:8]}@example.com"
    order_id = shop.order("delivered", customer={"name": "Dana", "email": customer})
    number = _order_number(shop, order_id)

    mails = eventually(lambda: len(smtp.to(customer)) >= 2 and smtp.to(customer))
    subjects = sorted(m.subject for m in mails)
    assert subjects == [f"Your order {number} has shipped", f"Your order {number} was delivered"]
    delivered = next(m for m in mails if "delivered" in m.subject)
    assert f"/api/public/orders/{order_id}/confirm-delivery?sig=" in delivered.part("plain")


def test_a_late_order_tells_its_customer_once(shop: Tenant, smtp: SmtpSink, notify_db: str) -> None:
    customer = f"late-{uuid.uuid4().hex[:8]}@example.com"
    paid = (datetime.now(UTC) - timedelta(days=6)).isoformat()
    r = shop.intake(intake_order(customer={"name": "Lee", "email": customer}, paid_at=paid))
    order_id, number = r.json()["order_id"], r.json()["number"]

    (mail,) = smtp.wait_for(customer)
    assert mail.subject == f"Your order {number} is running late"
    assert "We now expect to ship it by " in mail.part("plain")
    # The periodic check runs on and on; the unique key keeps it to one notice.
    assert asyncio.run(_check_delays(notify_db)) == 0
    count = db_value(
        notify_db,
        "SELECT count(*) FROM notification_outbox WHERE dedupe_key = :k",
        k=f"delayed:{order_id}",
    )
    assert count == 1
    assert len(smtp.to(customer)) == 1


async def _check_delays(database_url: str) -> int:
    from server.db import create_engine, session_factory

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await enqueue_delays(session, warn_minutes=120)
    finally:
        await engine.dispose()


def test_without_an_smtp_host_mail_lands_in_a_maildir(tmp_path: Path) -> None:
    settings = dataclasses.replace(NotificationSettings(), smtp_host="")
    mailer = Mailer(settings, tmp_path / "mail")
    rendered = Rendered("Hello", "plain words\n", "<p>html words</p>")
    msg = build_message(rendered, ("Shop", "shop@example.com"), "someone@example.com", "k1")

    result = asyncio.run(mailer.send(msg, "someone@example.com"))
    assert result.outcome == "sent"
    (stored,) = list(mailbox.Maildir(tmp_path / "mail"))
    assert stored["Subject"] == "Hello" and stored["To"] == "someone@example.com"
    assert stored["Message-ID"] == msg["Message-ID"]


def test_messages_filed_at_once_into_a_new_maildir_all_land(tmp_path: Path) -> None:
    # The dispatcher files several messages concurrently (one thread each); the first ones
    # create the Maildir and must not trip over each other doing it.
    settings = dataclasses.replace(NotificationSettings(), smtp_host="")
    rendered = Rendered("Hello", "plain words\n", "<p>html words</p>")

    async def file_all(mailers: list[Mailer]) -> list[str]:
        results = await asyncio.gather(
            *(
                m.send(
                    build_message(rendered, ("Shop", "s@example.com"), "c@example.com", f"k{i}"),
                    "c@example.com",
                )
                for i, m in enumerate(mailers)
            )
        )
        return [r.outcome for r in results]

    for attempt in range(5):
        box = tmp_path / f"box{attempt}" / "mail"
        outcomes = asyncio.run(file_all([Mailer(settings, box) for _ in range(16)]))
        assert outcomes == ["sent"] * 16
        assert len(mailbox.Maildir(box)) == 16
