"""Small key-value settings that survive restarts (server address, the session's tokens).

Each platform supplies its own :class:`Preferences`: Flet's ``SharedPreferences`` in the
app (the browser's local storage when served to a browser), a dict in tests.
"""

from __future__ import annotations

from typing import Protocol


class Preferences(Protocol):
    """Text values by key."""

    async def get(self, key: str) -> str | None:
        """The value, or None when it was never set."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store a value."""
        ...

    async def remove(self, key: str) -> None:
        """Forget a value (no error if it was not set)."""
        ...


class MemoryPreferences:
    """:class:`Preferences` in a dict: for tests and for runs that should forget."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(values or {})

    async def get(self, key: str) -> str | None:
        """The value, or None."""
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        """Store a value."""
        self.values[key] = value

    async def remove(self, key: str) -> None:
        """Forget a value."""
        self.values.pop(key, None)
