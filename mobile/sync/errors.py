"""What can go wrong talking to the server, as the sync client needs to tell it apart."""

from __future__ import annotations


class SyncError(Exception):
    """Base of what can go wrong talking to the server; ``retry`` says whether to try later."""

    retry = True


class Unreachable(SyncError):
    """No (complete) answer: offline, connection refused or reset, timeout, cut-off body."""


class ServerError(SyncError):
    """The server answered 5xx (or something unreadable): try again later."""


class AccessExpired(SyncError):
    """The access token has run out (401 saying so): refresh and send the same request."""


class SignInRequired(SyncError):
    """No usable session (refresh refused, token invalid): the person must sign in again."""

    retry = False


class RequestRefused(SyncError):
    """The server refused the request itself (4xx other than 401): it will not work as sent."""

    retry = False

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
