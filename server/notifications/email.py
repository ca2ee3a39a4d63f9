"""Email: build a two-part message and hand it to SMTP (aiosmtplib) or a local Maildir.

With ``SMTP_HOST`` unset the message lands in a Maildir under the data directory, so the
demo needs no mail server and a developer can read what customers would get (``mutt -f
var/mail`` or any Maildir reader; each file is one message).

The ``Message-ID`` is derived from the delivery's idempotency key, so a message sent again
after a crash between the server's "250 OK" and our bookkeeping carries the same id, and
mail systems that de-duplicate on it show it once.
"""

from __future__ import annotations

import asyncio
import hashlib
import mailbox
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

import aiosmtplib

from server.notifications.settings import NotificationSettings
from server.notifications.templates import Rendered


def message_id(key: str, domain: str) -> str:
    """A stable ``Message-ID`` for one delivery."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(rendered: Rendered, sender: tuple[str, str], to: str, key: str) -> EmailMessage:
    """A ``multipart/alternative`` message: plain text first, HTML preferred by clients."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = formataddr(sender)
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender[1].rsplit("@", 1)[-1] or "shipfloor.localhost"
    msg["Message-ID"] = message_id(key, domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


@dataclass(frozen=True)
class MailResult:
    """What the mail server said: sent, try later (temporary), or never (permanent)."""

    outcome: str  # "sent", "retry", "failed"
    code: int | None
    detail: str


class Mailer:
    """Sends messages over SMTP, or files them in a Maildir when no SMTP host is set."""

    def __init__(self, settings: NotificationSettings, maildir: Path) -> None:
        self.settings = settings
        self.maildir = maildir

    async def send(self, msg: EmailMessage, recipient: str) -> MailResult:
        """Deliver one message to one recipient; never raises for what the server answers."""
        if not self.settings.smtp_host:
            await asyncio.to_thread(self._file, msg)
            return MailResult("sent", None, f"maildir {self.maildir}")
        s = self.settings
        try:
            await aiosmtplib.send(
                msg,
                sender=s.mail_from_address,
                recipients=[recipient],
                hostname=s.smtp_host,
                port=s.effective_smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [e.code for e in exc.recipients]
            permanent = all(c >= 500 for c in codes)
            return MailResult(
                "failed" if permanent else "retry", codes[0] if codes else None, str(exc)[:500]
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word; 4xx (greylisting, busy) means "later".
            return MailResult("failed" if exc.code >= 500 else "retry", exc.code, exc.message[:500])
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return MailResult("retry", None, f"{type(exc).__name__}: {exc}"[:500])
        return MailResult("sent", 250, "")

    def _file(self, msg: EmailMessage) -> None:
        # The Maildir's folders made here with exist_ok: ``Maildir(create=True)`` checks,
        # then mkdirs, and the dispatcher files several messages at once in threads (or two
        # instances share the folder), so the first deliveries raced to FileExistsError.
        for sub in ("tmp", "new", "cur"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.maildir, create=False).add(msg)
