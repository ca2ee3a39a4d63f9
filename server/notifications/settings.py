"""Settings of the notifications domain, read from the environment with working defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _optional_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class NotificationSettings:
    """How notifications leave this instance: dispatcher, Web Push, email, live events."""

    #: run the outbox dispatcher inside the server (off when a separate process runs it)
    dispatcher: bool = True
    #: pushes and emails in flight at once (per dispatcher)
    concurrency: int = 64
    email_concurrency: int = 4
    #: deliveries claimed per round trip to the database
    batch_size: int = 256
    #: how often an idle dispatcher looks for work it was not woken for
    poll_seconds: float = 1.0
    #: a claimed delivery returns to the queue if its dispatcher has not finished by then
    lease_seconds: float = 60.0
    max_attempts: int = 8
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    #: keep delivered outbox rows (the dashboard's replay log) this long
    retention_days: int = 14
    # Web Push
    push_ttl_seconds: int = 24 * 3600
    push_timeout_seconds: float = 10.0
    #: accept http:// push endpoints (tests, local push services); real ones are https
    push_allow_http: bool = False
    vapid_subject: str = "mailto:notifications@shipfloor.localhost"
    # Email
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_username: str = ""
    smtp_password: str = ""
    #: True requires STARTTLS, False never tries, None uses it when the server offers it
    smtp_starttls: bool | None = None
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Shipfloor <notifications@shipfloor.localhost>"
    #: where mail goes when no SMTP host is set (a Maildir); default: <data dir>/mail
    maildir: Path | None = None
    # Delays
    delay_check_seconds: float = 300.0
    #: a customer hears of a delay this long before the ship-by passes
    delay_warn_minutes: int = 120
    # Live events
    events_token_seconds: int = 120
    events_keepalive_seconds: float = 15.0
    #: a stream ends after this long, so a revoked user does not listen forever
    events_max_seconds: float = 15 * 60

    @property
    def mail_from_address(self) -> str:
        """The bare address of ``mail_from``."""
        return parseaddr(self.mail_from)[1] or "notifications@shipfloor.localhost"

    @property
    def effective_smtp_port(self) -> int:
        """The SMTP port: as set, or 587 when STARTTLS is required, else 25."""
        if self.smtp_port:
            return self.smtp_port
        return 587 if self.smtp_starttls else 25

    @classmethod
    def from_env(cls) -> NotificationSettings:
        """Read the environment (see docs/notifications.md, "Settings")."""
        env = os.environ.get
        maildir = env("MAILDIR")
        return cls(
            dispatcher=_flag("NOTIFY_DISPATCHER", True),
            concurrency=int(env("NOTIFY_CONCURRENCY", "64")),
            email_concurrency=int(env("NOTIFY_EMAIL_CONCURRENCY", "4")),
            batch_size=int(env("NOTIFY_BATCH_SIZE", "256")),
            poll_seconds=float(env("NOTIFY_POLL_SECONDS", "1.0")),
            lease_seconds=float(env("NOTIFY_LEASE_SECONDS", "60")),
            max_attempts=int(env("NOTIFY_MAX_ATTEMPTS", "8")),
            backoff_seconds=float(env("NOTIFY_BACKOFF_SECONDS", "5")),
            backoff_max_seconds=float(env("NOTIFY_BACKOFF_MAX_SECONDS", "3600")),
            retention_days=int(env("NOTIFY_RETENTION_DAYS", "14")),
            push_ttl_seconds=int(env("PUSH_TTL_SECONDS", str(24 * 3600))),
            push_timeout_seconds=float(env("PUSH_TIMEOUT_SECONDS", "10")),
            push_allow_http=_flag("PUSH_ALLOW_HTTP", False),
            vapid_subject=env("VAPID_SUBJECT")
            or "mailto:"
            + (parseaddr(env("MAIL_FROM", ""))[1] or "notifications@shipfloor.localhost"),
            smtp_host=env("SMTP_HOST", ""),
            smtp_port=int(env("SMTP_PORT", "0") or 0),
            smtp_username=env("SMTP_USERNAME", ""),
            smtp_password=env("SMTP_PASSWORD", ""),
            smtp_starttls=_optional_flag("SMTP_STARTTLS"),
            smtp_timeout_seconds=float(env("SMTP_TIMEOUT_SECONDS", "30")),
            mail_from=env("MAIL_FROM") or "Shipfloor <notifications@shipfloor.localhost>",
            maildir=Path(maildir).resolve() if maildir else None,
            delay_check_seconds=float(env("NOTIFY_DELAY_CHECK_SECONDS", "300")),
            delay_warn_minutes=int(env("NOTIFY_DELAY_WARN_MINUTES", "120")),
            events_token_seconds=int(env("EVENTS_TOKEN_SECONDS", "120")),
            events_keepalive_seconds=float(env("EVENTS_KEEPALIVE_SECONDS", "15")),
            events_max_seconds=float(env("EVENTS_MAX_SECONDS", str(15 * 60))),
        )
