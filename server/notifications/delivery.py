"""One try at one delivery, and what follows from the answer (the delivery policy).

Web Push:

- 2xx: sent.
- 404, 410: the subscription is gone; it is deleted and nothing is retried.
- 413: tried again at once with the title and link only; a second 413 is final.
- 429, 5xx, no answer (network error, timeout): later, after ``Retry-After`` when the
  service sent one, else after an exponential backoff with jitter; given up after
  ``NOTIFY_MAX_ATTEMPTS`` tries or once the push's TTL has passed.
- anything else (400, 401, 403): final — repeating the same request cannot help.

Email: accepted is sent; a 5xx reply is final; 4xx replies and connection trouble are
tried again with the same backoff.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.ids import utcnow
from server.notifications.email import Mailer, build_message
from server.notifications.schemas import Kind, OrderSnapshot
from server.notifications.templates import Mail, render
from server.notifications.webpush import PushSender, PushTarget, push_payload, topic_for
from server.settings import Settings


@dataclass
class Job:
    """A claimed delivery with what sending it needs."""

    id: int
    outbox_id: int
    channel: str
    target: str
    user_id: str | None
    attempts: int
    expires_at: datetime | None
    short: bool
    kind: str
    snap: OrderSnapshot
    vendor_name: str
    timezone: str
    push: PushTarget | None = None


@dataclass
class Result:
    """How a job ended this time, and the attempt rows it made."""

    job: Job
    status: str  # sent, pending (try later), gone, failed, expired
    next_attempt_at: datetime | None = None
    code: int | None = None
    error: str = ""
    attempts: list[dict[str, Any]] = field(default_factory=list)


class Courier:
    """Tries jobs: a push through the push sender, an email through the mailer."""

    def __init__(self, settings: Settings, name: str, push: PushSender, mailer: Mailer) -> None:
        self.settings = settings
        self.ns = settings.notifications
        self.name = name
        self.push = push
        self.mailer = mailer
        # Every device of a fan-out gets the same bytes: build them once per item.
        self._payloads: dict[tuple[int, bool], bytes] = {}

    def attempt(
        self,
        job: Job,
        outcome: str,
        started: float,
        code: int | None = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> dict[str, Any]:
        """A row of ``notification_attempts``."""
        return {
            "delivery_id": job.id,
            "at": utcnow(),
            "dispatcher": self.name,
            "outcome": outcome,
            "status_code": code,
            "retry_after": retry_after,
            "duration_ms": int((time.monotonic() - started) * 1000),
            "detail": detail[:500],
        }

    def later(self, job: Job, retry_after: float | None) -> tuple[str, datetime | None]:
        """The next state of a delivery that failed for now: a later try, or the end."""
        if job.attempts >= self.ns.max_attempts:
            return "failed", None
        if retry_after is not None:
            delay = retry_after  # the service said when; sooner would only be refused again
        else:
            base = self.ns.backoff_seconds * 2 ** (job.attempts - 1)
            # Jitter, so deliveries refused together do not come back together.
            delay = min(self.ns.backoff_max_seconds, base) * random.uniform(0.8, 1.2)
        when = utcnow() + timedelta(seconds=delay)
        if job.expires_at is not None and when > job.expires_at:
            return "expired", None
        return "pending", when

    def crashed(self, job: Job, exc: Exception) -> Result:
        """The result of a try that raised instead of getting an answer."""
        detail = f"{type(exc).__name__}: {exc}"[:500]
        status, when = self.later(job, None)
        outcome = "retry" if status == "pending" else status
        row = self.attempt(job, outcome, time.monotonic(), detail=detail)
        return Result(job, status, when, None, detail, [row])

    async def send(self, job: Job) -> Result:
        """Try the job once (a push may take two requests: see 413)."""
        if job.channel == "push":
            return await self.send_push(job)
        return await self.send_mail(job)

    async def send_push(self, job: Job) -> Result:
        """One push, following the policy in this module's docstring."""
        started = time.monotonic()
        if job.push is None:  # unsubscribed, or found gone, after the fan-out
            return Result(job, "gone", error="subscription removed")
        if job.expires_at is not None and utcnow() > job.expires_at:
            why = "past the push TTL"
            return Result(
                job,
                "expired",
                error=why,
                attempts=[self.attempt(job, "expired", started, detail=why)],
            )
        if not self.push.knows(job.push.vapid_key_id):
            why = "the subscription's VAPID key was purged"
            return Result(
                job,
                "failed",
                error=why,
                attempts=[self.attempt(job, "failed", started, detail=why)],
            )
        topic = topic_for(job.snap.order_id)
        attempts: list[dict[str, Any]] = []
        while True:
            res = await self.push.send(job.push, self._payload(job), topic)
            if 200 <= res.status < 300:
                attempts.append(self.attempt(job, "sent", started, res.status))
                return Result(job, "sent", code=res.status, attempts=attempts)
            if res.status in (404, 410):
                attempts.append(self.attempt(job, "gone", started, res.status, detail=res.detail))
                return Result(job, "gone", code=res.status, error=res.detail, attempts=attempts)
            if res.status == 413 and not job.short:
                attempts.append(self.attempt(job, "too_large", started, 413, detail="shortening"))
                job.short = True
                started = time.monotonic()
                continue
            if res.status == 429 or res.status >= 500 or res.status == 0:
                code = res.status or None
                status, when = self.later(job, res.retry_after)
                outcome = "retry" if status == "pending" else status
                attempts.append(
                    self.attempt(job, outcome, started, code, res.retry_after, res.detail)
                )
                return Result(job, status, when, code, res.detail, attempts)
            attempts.append(self.attempt(job, "failed", started, res.status, detail=res.detail))
            return Result(job, "failed", code=res.status, error=res.detail, attempts=attempts)

    def _payload(self, job: Job) -> bytes:
        key = (job.outbox_id, job.short)
        payload = self._payloads.get(key)
        if payload is None:
            if len(self._payloads) > 1000:
                self._payloads.clear()
            payload = push_payload(job.kind, job.snap, job.timezone, job.outbox_id, job.short)
            self._payloads[key] = payload
        return payload

    async def send_mail(self, job: Job) -> Result:
        """One email: to a seller (the delivery has a user) or to the customer."""
        started = time.monotonic()
        to_customer = job.user_id is None
        confirm = ""
        if job.kind == Kind.ORDER_DELIVERED:
            from server.tracking.confirm import confirmation_url

            confirm = confirmation_url(self.settings, job.snap.order_id)
        mail = Mail(job.snap, job.vendor_name, job.timezone, self.settings.public_url, confirm)
        sender = (job.vendor_name if to_customer else "Shipfloor", self.ns.mail_from_address)
        key = f"{job.outbox_id}:email:{job.target}"
        msg = build_message(render(job.kind, to_customer, mail), sender, job.target, key)
        res = await self.mailer.send(msg, job.target)
        if res.outcome in ("sent", "failed"):
            row = self.attempt(job, res.outcome, started, res.code, detail=res.detail)
            error = res.detail if res.outcome == "failed" else ""
            return Result(job, res.outcome, code=res.code, error=error, attempts=[row])
        status, when = self.later(job, None)
        outcome = "retry" if status == "pending" else status
        row = self.attempt(job, outcome, started, res.code, detail=res.detail)
        return Result(job, status, when, res.code, res.detail, [row])
