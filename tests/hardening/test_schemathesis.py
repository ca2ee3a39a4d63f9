"""schemathesis against the OpenAPI schema of a real running server: no 5xx, no surprises.

Every operation of ``/schema/openapi.json`` is called with generated requests (valid and
invalid), signed in as the vendor's owner, against a server whose vendor has orders in
several states. Each response must be no server error and match the schema: a documented
status code, content type, headers and body.

Signed routes get real signatures: intake with the vendor's API key, carrier webhooks with
the carrier's secret, so their bodies reach the handlers' parsing, not just the 401.
``GET /api/events`` is left out: with a valid token it is an endless event stream (the
tenancy matrix and the notification tests cover it).

CI runs ``SHIPFLOOR_FUZZ_EXAMPLES`` (default 20) examples per operation, derandomized, so a run is
repeatable; ``SHIPFLOOR_FUZZ_EXAMPLES=300`` runs the long version (docs/security.md).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi import checks

from server.app import create_api
from server.signing import sign
from server.tracking import service as tracking
from tests import support
from tests.hardening.conftest import UNUSED_DATABASE, Seeded

FUZZ_EXAMPLES = int(os.environ.get("SHIPFLOOR_FUZZ_EXAMPLES", "20"))

#: the property: never a server error, and every response as the schema documents it
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _app_schema() -> dict[str, Any]:
    """The OpenAPI document the app serves, built from the app factory at collection time.

    schemathesis needs the operations before any server runs, to make one test per
    operation; :func:`test_the_fuzzed_schema_is_the_one_the_running_server_serves` checks
    it is exactly what the running server serves.
    """
    app = create_api(support.test_settings(UNUSED_DATABASE, Path(tempfile.gettempdir())))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


SCHEMA_DOCUMENT = _app_schema()

schema = schemathesis.openapi.from_dict(SCHEMA_DOCUMENT).exclude(
    # an endless event stream with a valid token (the tenancy and notification tests cover it)
    method="GET",
    path="/api/events",
)


@schemathesis.serializer("application/msgpack")
def _msgpack(ctx: Any, value: Any) -> bytes:
    """Sync push bodies in MessagePack, the app's own format, as well as JSON."""
    return msgspec.msgpack.encode(value)


def _undescribed(method: str, operation: dict[str, Any]) -> bool:
    """A GET whose 200 is a bare string, or a POST without a request body."""
    if method == "get":
        ok = operation["responses"]["200"].get("content", {}).get("application/json", {})
        return bool(ok.get("schema") == {"type": "string"})
    return "requestBody" not in operation


def test_the_sync_operations_describe_their_bodies() -> None:
    # Push and pull read and write raw bytes (server/sync/openapi.py documents them from
    # msgspec's schema); a sync route documented as a bare string could not be fuzzed.
    undescribed = {
        (method.upper(), path)
        for path, item in SCHEMA_DOCUMENT["paths"].items()
        if path.startswith("/api/sync/")
        for method, operation in item.items()
        if _undescribed(method, operation)
    }
    assert undescribed == set()
    push = SCHEMA_DOCUMENT["paths"]["/api/sync/push"]["post"]
    assert set(push["requestBody"]["content"]) == {"application/json", "application/msgpack"}
    assert "415" in push["responses"]


def _signed(secret: str, case: schemathesis.Case[Any]) -> dict[str, Any]:
    """The request's body as bytes, with the headers of a valid HMAC signature."""
    raw = b"" if isinstance(case.body, NotSet) else json.dumps(case.body).encode()
    stamp = str(int(time.time()))
    return {
        "data": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Shipfloor-Timestamp": stamp,
            "X-Shipfloor-Signature": sign(secret, stamp, raw),
        },
    }


def request_kwargs(seeded: Seeded, case: schemathesis.Case[Any]) -> dict[str, Any]:
    """How to send this case: signed in as the owner, or signed like its callers sign."""
    path = case.operation.path
    if path == "/api/intake/orders":
        return _signed(seeded.tenant.key_secret, case)
    if path == "/api/tracking/{carrier}/events":
        carrier = str((case.path_parameters or {}).get("carrier", "")).lower()
        return _signed(tracking.webhook_secret(seeded.settings, carrier), case)
    return {"headers": {"Authorization": f"Bearer {seeded.tenant.owner_token}"}}


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    case: schemathesis.Case[Any], seeded: Seeded
) -> None:
    case.call_and_validate(
        base_url=seeded.server.url, checks=CHECKS, **request_kwargs(seeded, case)
    )
