"""Signed webhook bodies (marketplace intake, carrier events): one scheme, checked in one place.

The sender puts Unix seconds in ``X-Shipfloor-Timestamp`` and
``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` in ``X-Shipfloor-Signature``.
Signing the timestamp with the body lets the receiver refuse replays outside a clock window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from litestar.exceptions import NotAuthorizedException

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature of a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def check_headers(timestamp: str | None, signature: str | None) -> tuple[str, str]:
    """Both headers, or 401 naming the missing one."""
    if not timestamp or not signature:
        raise NotAuthorizedException(
            "missing X-Shipfloor-Timestamp or X-Shipfloor-Signature header"
        )
    return timestamp, signature


def verify(secret: str, timestamp: str, signature: str, body: bytes, skew_seconds: int) -> None:
    """401 unless ``body`` was signed with ``secret`` within ``skew_seconds`` of now."""
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise NotAuthorizedException("X-Shipfloor-Timestamp must be Unix seconds") from exc
    if abs(time.time() - sent) > skew_seconds:
        raise NotAuthorizedException(
            f"X-Shipfloor-Timestamp is more than {skew_seconds} s from the server's clock"
        )
    # Bytes: compare_digest refuses non-ASCII text with a TypeError (a 500, not a 401).
    expected = sign(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, signature.strip().encode()):
        raise NotAuthorizedException("signature does not match the body (HMAC-SHA256)")
