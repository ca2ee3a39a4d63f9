"""No response body and no log line ever carries a secret.

A scripted session against a server of its own — sign-ins right and wrong, refresh and
refresh-token reuse, a new user, a new intake key and signed intake posts (good and bad),
push subscription, sync, payouts — with every log record of the process captured at DEBUG
(uvicorn's access log included, as in production) and every response kept. Afterwards
none of them may contain a password, a password hash, a refresh token's stored hash, the
token-signing secret, the VAPID private key, an intake secret (except in the one response
that creates it) or a carrier's webhook secret; logs may not contain access or refresh
tokens either.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from server.signing import sign
from server.tracking import service as tracking
from tests.hardening.conftest import Seeded
from tests.support import PASSWORD, db_value, intake_order, post_intake

NEW_PASSWORD = "a-brand-new-password-4711"
WRONG_PASSWORD = "not-the-password-0815"


class Captured(logging.Handler):
    """Every log record of the process, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Captured]:
    """Capture every logger at DEBUG, the ones that do not propagate too, then restore."""
    handler = Captured()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


class Session:
    """A client that keeps every response it got."""

    def __init__(self, base_url: str) -> None:
        self.responses: list[httpx.Response] = []
        self.client = httpx.Client(
            base_url=base_url,
            timeout=30,
            event_hooks={"response": [self._keep]},
        )

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def call(self, method: str, path: str, token: str = "", **kw: Any) -> httpx.Response:
        """One request, signed in with ``token`` if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        return self.client.request(method, path, headers=headers, **kw)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def scripted_session(seeded: Seeded, s: Session) -> dict[str, Any]:
    """Everything a vendor's people and marketplace do; returns what was made on the way."""
    t = seeded.tenant
    login = {"email": t.owner_email, "password": WRONG_PASSWORD}
    assert s.call("POST", "/api/auth/login", json=login).status_code == 401
    first = s.call("POST", "/api/auth/login", json={**login, "password": PASSWORD}).json()
    owner = first["access_token"]
    second = s.call("POST", "/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reuse = s.call("POST", "/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    user = {
        "email": f"new-{uuid.uuid4().hex[:6]}@example.com",
        "name": "N",
        "password": NEW_PASSWORD,
    }
    assert s.call("POST", "/api/users", owner, json=user).status_code == 201
    staff = s.call(
        "POST", "/api/auth/login", json={"email": user["email"], "password": NEW_PASSWORD}
    )
    assert staff.status_code == 200
    assert s.call("GET", "/api/users", owner).status_code == 200
    key = s.call("POST", "/api/api-keys", owner, json={"name": "Etsy", "marketplace": "etsy"})
    assert key.status_code == 201
    assert s.call("GET", "/api/api-keys", owner).status_code == 200
    # the marketplace posts orders with its new key, and once with a forged signature
    body = json.dumps(intake_order()).encode()
    made = post_intake(t.base_url, key.json()["id"], key.json()["secret"], body)
    assert made.status_code == 201, made.text
    s.responses.append(made)
    forged = post_intake(t.base_url, key.json()["id"], "guessed", body)
    assert forged.status_code == 401
    s.responses.append(forged)
    # a carrier webhook, signed and forged
    event = json.dumps({"event_id": "e1", "tracking_number": "1Z999", "status": "in_transit",
                        "occurred_at": datetime.now(UTC).isoformat()}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    carrier_secret = tracking.webhook_secret(seeded.settings, "ups")
    for signature in (sign(carrier_secret, stamp, event), "sha256=" + "0" * 64):
        headers = {"X-Shipfloor-Timestamp": stamp, "X-Shipfloor-Signature": signature}
        s.call("POST", "/api/tracking/ups/events", content=event, headers=headers)
    # a phone subscribes to push, syncs, works an order; the owner looks at money
    vapid = s.call("GET", "/api/push/vapid-public-key").json()
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    subscription = {
        "endpoint": f"https://push.invalid/{uuid.uuid4().hex}",
        "keys": {"p256dh": _b64(point), "auth": _b64(uuid.uuid4().bytes)},
        "key_id": vapid["key_id"],
    }
    assert s.call("POST", "/api/push/subscriptions", owner, json=subscription).status_code == 201
    pull = s.call("GET", "/api/sync/pull", owner)
    assert pull.status_code == 200
    mutation = {
        "mutation_id": f"m-{uuid.uuid4()}",
        "device_id": "phone",
        "order_id": seeded.orders["new"],
        "command": {"action": "start_processing"},
        "client_time": datetime.now(UTC).isoformat(),
    }
    push = s.call(
        "POST", "/api/sync/push", owner, json={"device_id": "phone", "mutations": [mutation]}
    )
    assert push.status_code == 200
    assert s.call("GET", "/api/payouts", owner).status_code == 200
    assert s.call("GET", "/api/payouts/export.csv", owner).status_code == 200
    assert s.call("GET", "/api/me", staff.json()["access_token"]).status_code == 200
    return {
        "key": key,
        "carrier_secret": carrier_secret,
        "tokens": [first, second.json(), staff.json()],
    }


def _secrets(seeded: Seeded, made: dict[str, Any]) -> dict[str, list[str]]:
    """What must never show, by name, read from the settings and the database itself."""
    url = seeded.database_url
    hashes = [
        db_value(url, "SELECT password_hash FROM users WHERE email = :e", e=email)
        for email in (seeded.tenant.owner_email, made["tokens"][2]["user"]["email"])
    ]
    vapid_pem: str = db_value(url, "SELECT private_key_pem FROM vapid_keys LIMIT 1")
    vapid_lines = [line for line in vapid_pem.splitlines() if line and "-----" not in line]
    refresh_hashes = [
        db_value(url, "SELECT token_hash FROM refresh_tokens ORDER BY created_at LIMIT 1"),
    ]
    return {
        "password": [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD],
        "password hash": [*hashes, "$argon2"],
        "refresh token hash": refresh_hashes,
        "token-signing secret": [seeded.settings.secret_key],
        "VAPID private key": [vapid_pem, *vapid_lines],
        "intake secret": [made["key"].json()["secret"], seeded.tenant.key_secret],
        "carrier webhook secret": [made["carrier_secret"]],
    }


def test_no_response_and_no_log_line_carries_a_secret(seeded: Seeded, logs: Captured) -> None:
    s = Session(seeded.server.url)
    made = scripted_session(seeded, s)
    secrets = _secrets(seeded, made)
    creation = made["key"]
    for r in s.responses:
        shown = r.text + json.dumps(dict(r.headers))
        for what, values in secrets.items():
            for value in values:
                if what == "intake secret" and r is creation and value == creation.json()["secret"]:
                    continue  # shown once, on purpose, when the key is made
                assert value not in shown, f"{what} in {r.request.method} {r.request.url}"
    tokens = [
        token for pair in made["tokens"] for token in (pair["access_token"], pair["refresh_token"])
    ]
    logged = "\n".join(logs.lines)
    assert "POST /api/auth/login" in logged  # the access log was captured
    for what, values in {**secrets, "token": tokens}.items():
        for value in values:
            assert value not in logged, f"{what} in the logs"
