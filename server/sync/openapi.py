"""The OpenAPI entries of sync push and pull: their bodies, as msgspec reads and writes them.

The handlers take and give raw bytes (JSON or MessagePack, chosen by ``Content-Type`` and
``Accept``, decoded and encoded by msgspec in ``controllers.py``), so Litestar cannot see
their types and documented the bodies as a bare string. Here the generated document gets
msgspec's own JSON Schema of ``PushRequest``, ``PushResponse`` and ``PullResponse``: the
schema of exactly the decoder and encoder in use, tagged command union included. Its
components are prefixed ``Sync`` so they never meet Litestar's own (``Order`` is also a
REST response there, with a shape of its own).
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference, RequestBody, Schema

from server.sync.controllers import MSGPACK
from shared.sync import PullResponse, PushRequest, PushResponse

_PREFIX = "Sync"
_FORMATS = ("application/json", MSGPACK)


def _content(ref: dict[str, str]) -> dict[str, OpenAPIMediaType]:
    return {kind: OpenAPIMediaType(schema=Reference(ref=ref["$ref"])) for kind in _FORMATS}


def document_sync_bodies(app: Litestar) -> None:
    """Describe the push and pull bodies in the app's (cached) OpenAPI document."""
    document = app.openapi_schema
    refs, components = msgspec.json.schema_components(
        [PushRequest, PushResponse, PullResponse],
        ref_template=f"#/components/schemas/{_PREFIX}{{name}}",
    )
    push_request, push_response, pull_response = refs
    schemas = document.components.schemas
    if schemas is None:
        schemas = document.components.schemas = {}
    for name, schema in components.items():
        # JSON Schema 2020-12 as msgspec writes it, which OpenAPI 3.1 takes as it is;
        # the document's serialiser passes plain dicts through.
        schemas[f"{_PREFIX}{name}"] = cast(Schema, cast(Any, schema))

    paths = document.paths or {}
    push = paths["/api/sync/push"].post
    pull = paths["/api/sync/pull"].get
    assert push is not None and pull is not None and push.responses and pull.responses
    push.request_body = RequestBody(required=True, content=_content(push_request))
    push.responses["200"] = OpenAPIResponse(
        description="One result per mutation, in the order sent",
        content=_content(push_response),
    )
    error = push.responses["400"]
    assert isinstance(error, OpenAPIResponse)
    push.responses["415"] = OpenAPIResponse(
        description="Content-Type is neither application/json nor application/msgpack",
        content=error.content,
    )
    pull.responses["200"] = OpenAPIResponse(
        description="A page of changed orders, the cursor to continue from and has_more",
        content=_content(pull_response),
    )
