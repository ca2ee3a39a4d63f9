"""Identifiers and clocks used across the server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """A random identifier for a new row (UUID4, 36 characters)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)
