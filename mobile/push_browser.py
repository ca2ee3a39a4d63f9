"""Web Push for Python in the browser (the PWA): a :class:`~mobile.push.PushPort` over a bridge.

flet-web runs the app's Python (Pyodide) in a module **web worker**
(``python-worker.js``), not in the page. ``Notification.requestPermission()`` exists only
in the window (and needs the person's tap just before it), and the PWA's service worker
registration — with its ``pushManager`` — is the window's. So the page does the work and
Python asks it:

- ``pwa/page.js`` names the Python worker ``shipfloor-push:<random id of this tab>``
  (it wraps ``window.Worker`` for ``python-worker.js`` only) and listens on a
  ``BroadcastChannel`` of that name;
- this port opens the channel named by its worker's ``self.name`` and posts requests
  (JSON text ``{"from": "app", "id", "op", ...}``); the page answers with
  ``{"from": "page", "id", "ok", "result" | "error"}``.

The channel's name is unique to the tab, so another tab of the app never answers (nor
prompts). Only JSON text crosses: no ``eval``, nothing the app's Content-Security-Policy
forbids. Operations: ``state`` (permission, or why push is unsupported), ``request``
(the prompt), ``subscribe`` (``pushManager.subscribe`` with the server's key, reusing a
subscription made with the same key), ``unsubscribe``.

The tap reaches the page as a Flutter event, goes to the worker, and the request comes
back within milliseconds: well inside the browser's transient user activation (about
5 s in Chromium and Firefox), which the permission prompt needs.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, cast

from mobile.push import (
    BROWSER_REASONS,
    NO_BRIDGE_REASON,
    BrowserSubscription,
    Permission,
    PushError,
)

#: the prefix of the worker name (and channel) that ``pwa/page.js`` gives the Python worker
CHANNEL_PREFIX = "shipfloor-push:"

#: seconds to wait for the page, per operation; the prompt waits for the person
TIMEOUTS = {"state": 10.0, "request": 600.0, "subscribe": 60.0, "unsubscribe": 20.0}

PERMISSIONS = ("granted", "denied", "default", "unsupported")


def bridge_channel() -> str:
    """The bridge's channel name (this worker's name), or "" when the page set none."""
    import js

    name = str(getattr(js, "name", "") or "")
    return name if name.startswith(CHANNEL_PREFIX) else ""


class BrowserPushPort:
    """:class:`~mobile.push.PushPort` through the page (``pwa/page.js``)."""

    def __init__(self, channel_name: str | None = None) -> None:
        self.unsupported_reason = ""
        self.name = bridge_channel() if channel_name is None else channel_name
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._channel: Any = None
        self._listener: Any = None

    def _open(self) -> Any:
        if self._channel is None:
            import js
            from pyodide.ffi import create_proxy

            self._channel = js.BroadcastChannel.new(self.name)
            self._listener = create_proxy(self._received)
            self._channel.addEventListener("message", self._listener)
        return self._channel

    def _received(self, event: Any) -> None:
        data = event.data
        if not isinstance(data, str):
            return
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("from") != "page":
            return
        waiting = self._waiting.pop(str(message.get("id")), None)
        if waiting is not None and not waiting.done():
            waiting.set_result(message)

    async def _call(self, op: str, **args: Any) -> dict[str, Any]:
        """One request to the page; its ``result`` (a :class:`PushError` for its error)."""
        if not self.name:
            raise PushError("NotSupportedError", NO_BRIDGE_REASON)
        channel = self._open()
        ident = uuid.uuid4().hex
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = answer
        channel.postMessage(json.dumps({"from": "app", "id": ident, "op": op, **args}))
        try:
            message = await asyncio.wait_for(answer, TIMEOUTS[op])
        except TimeoutError:
            raise PushError("TimeoutError", f"no answer to {op!r} from the page") from None
        finally:
            self._waiting.pop(ident, None)
        if not message.get("ok"):
            error = message.get("error") or {}
            raise PushError(str(error.get("name") or "Error"), str(error.get("message") or ""))
        result = message.get("result")
        return cast(dict[str, Any], result) if isinstance(result, dict) else {}

    def _permission(self, result: dict[str, Any]) -> Permission:
        value = str(result.get("permission") or "unsupported")
        if value == "unsupported" or value not in PERMISSIONS:
            reason = str(result.get("reason") or "no-push")
            self.unsupported_reason = BROWSER_REASONS.get(reason, BROWSER_REASONS["no-push"])
            return "unsupported"
        self.unsupported_reason = ""
        return cast(Permission, value)

    async def permission(self) -> Permission:
        """``Notification.permission`` (or why this browser has no push)."""
        try:
            return self._permission(await self._call("state"))
        except PushError as exc:
            if exc.name == "TimeoutError" or exc.name == "NotSupportedError":
                # No page answered: an old page without the bridge, or none at all.
                self.unsupported_reason = NO_BRIDGE_REASON
                return "unsupported"
            raise

    async def request_permission(self) -> Permission:
        """``Notification.requestPermission()`` in the page (the browser's prompt)."""
        return self._permission(await self._call("request"))

    async def subscribe(self, public_key: str) -> BrowserSubscription:
        """``pushManager.subscribe({userVisibleOnly: true, applicationServerKey})``."""
        result = await self._call("subscribe", key=public_key)
        return BrowserSubscription.from_json(json.dumps(result.get("subscription")))

    async def unsubscribe(self) -> bool:
        """Drop the browser's subscription, if any."""
        result = await self._call("unsubscribe")
        return bool(result.get("done"))

    def close(self) -> None:
        """Close the channel; pending requests fail."""
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(PushError("AbortError", "the app closed the bridge"))
        self._waiting.clear()
        if self._channel is not None:
            self._channel.removeEventListener("message", self._listener)
            self._channel.close()
            self._listener.destroy()
            self._channel = self._listener = None
