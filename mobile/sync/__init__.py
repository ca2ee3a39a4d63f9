"""The device's sync client: push the outbox, pull changes, rebase, on a schedule.

Plain Python with no HTTP library of its own: the platform brings a
:class:`~mobile.sync.transport.Transport` (httpx natively, ``pyfetch`` in the browser).
"""

from mobile.sync.client import SyncClient, SyncReport, SyncStatus
from mobile.sync.scheduler import Backoff, SyncScheduler
from mobile.sync.tokens import StoredTokens, TokenSource
from mobile.sync.transport import (
    AccessExpired,
    RequestRefused,
    ServerError,
    SignInRequired,
    SyncError,
    Transport,
    Unreachable,
)
from mobile.sync.wire import Tokens

__all__ = [
    "AccessExpired",
    "Backoff",
    "RequestRefused",
    "ServerError",
    "SignInRequired",
    "StoredTokens",
    "SyncClient",
    "SyncError",
    "SyncReport",
    "SyncScheduler",
    "SyncStatus",
    "TokenSource",
    "Tokens",
    "Transport",
    "Unreachable",
]
