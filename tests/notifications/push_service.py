"""A Web Push service on 127.0.0.1 for tests and the benchmark (an aiohttp app).

It plays browser and push service at once: it makes subscriptions (a P-256 key pair and
an auth secret each, as a browser would), and for every push it

- checks the VAPID ``Authorization: vapid t=…, k=…`` (RFC 8292): ``k`` is the key the
  subscription was made with, the JWT is ES256-signed by it, ``aud`` is this service's
  origin, ``exp`` is in the future and at most 24 h away, ``sub`` is a mailto: or https: URL;
- checks ``TTL``, ``Urgency``, ``Topic`` and ``Content-Encoding: aes128gcm`` (RFC 8030);
- decrypts the body with the subscription's private key (RFC 8291, via ``http_ece``);
- records it, and keeps each subscription's undelivered messages as a phone that is
  offline would find them: a message with the ``Topic`` of an earlier one replaces it
  (RFC 8030 §5.4).

Tests script answers per subscription (410, 429 with Retry-After, 413, 500), add a delay,
and read what arrived through a small admin API under ``/_admin/``.

Run alone (the benchmark does): ``python -m tests.notifications.push_service --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
import httpx
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_PAYLOAD = 4096  # RFC 8030: a push service must take at least this many bytes
_TOPIC = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    """One "browser": its keys and the VAPID key it subscribed with."""

    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str
    #: scripted answers, used one per push before the default 201
    script: list[dict[str, Any]] = field(default_factory=list)
    #: answer 413 to bodies larger than this (a service with a small limit)
    max_body: int = MAX_PAYLOAD
    delay: float = 0.0

    @property
    def p256dh(self) -> str:
        """The public key, as ``PushSubscription.toJSON().keys.p256dh``."""
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


class PushService:
    """The aiohttp application and everything it recorded."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.subs: dict[str, Subscription] = {}
        #: every push request and its answer
        self.log: list[dict[str, Any]] = []
        #: accepted pushes, decrypted
        self.received: list[dict[str, Any]] = []
        #: per subscription: undelivered messages after topic replacement
        self.inbox: dict[str, list[dict[str, Any]]] = {}
        self._verified: dict[tuple[str, str], dict[str, Any]] = {}
        self.app = web.Application(client_max_size=64 * 1024)
        self.app.add_routes(
            [
                web.post("/push/{sid}", self.push),
                web.post("/_admin/subscriptions", self.make_subscriptions),
                web.post("/_admin/script", self.script),
                web.get("/_admin/received", self.get_received),
                web.get("/_admin/count", self.get_count),
                web.get("/_admin/log", self.get_log),
                web.get("/_admin/inbox", self.get_inbox),
                web.post("/_admin/reset", self.reset),
            ]
        )

    # ------------------------------------------------------------ admin

    async def make_subscriptions(self, request: web.Request) -> web.Response:
        """``{"count": n, "application_server_key": k}`` → subscription JSON for each."""
        body = await request.json()
        out = []
        for _ in range(int(body.get("count", 1))):
            sub = Subscription(
                id=secrets.token_urlsafe(12),
                private_key=ec.generate_private_key(ec.SECP256R1()),
                auth=os.urandom(16),
                application_server_key=body["application_server_key"],
            )
            self.subs[sub.id] = sub
            self.inbox[sub.id] = []
            out.append(
                {
                    "id": sub.id,
                    "endpoint": f"{self.origin}/push/{sub.id}",
                    "keys": {"p256dh": sub.p256dh, "auth": b64url(sub.auth)},
                }
            )
        return web.json_response(out)

    async def script(self, request: web.Request) -> web.Response:
        """``{"subscription": id, "responses": [{"status", "headers"}], "max_body", "delay"}``."""
        body = await request.json()
        ids = [body["subscription"]] if body.get("subscription") else list(self.subs)
        for sid in ids:
            sub = self.subs[sid]
            sub.script.extend(body.get("responses", []))
            if "max_body" in body:
                sub.max_body = int(body["max_body"])
            if "delay" in body:
                sub.delay = float(body["delay"])
        return web.json_response({"ok": True})

    async def get_received(self, _request: web.Request) -> web.Response:
        """Every accepted push, decrypted."""
        return web.json_response(self.received)

    async def get_count(self, _request: web.Request) -> web.Response:
        """How many pushes were accepted (cheap to poll)."""
        return web.json_response({"received": len(self.received), "requests": len(self.log)})

    async def get_log(self, _request: web.Request) -> web.Response:
        """Every push request and the status it got."""
        return web.json_response(self.log)

    async def get_inbox(self, _request: web.Request) -> web.Response:
        """What each offline device would receive (topic replacement applied)."""
        return web.json_response(self.inbox)

    async def reset(self, _request: web.Request) -> web.Response:
        """Forget subscriptions and records."""
        self.subs.clear()
        self.log.clear()
        self.received.clear()
        self.inbox.clear()
        return web.json_response({"ok": True})

    # ------------------------------------------------------------ the push endpoint

    def _answer(self, sid: str, status: int, reason: str, **headers: str) -> web.Response:
        self.log.append(
            {"subscription": sid, "status": status, "reason": reason, "at": time.time()}
        )
        return web.Response(status=status, text=reason, headers=headers)

    def _check_vapid(self, sub: Subscription, header: str) -> tuple[int, str, dict[str, Any]]:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            return 401, "Authorization must use the vapid scheme (RFC 8292)", {}
        values = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = values.get("t", ""), values.get("k", "")
        if key != sub.application_server_key:
            return 403, "k is not the key this subscription was made with", {}
        # A sender reuses its token for hours, as RFC 8292 intends; like a real service,
        # verify the signature of each token once (its expiry is checked on every push).
        claims = self._verified.get((token, key))
        if claims is None:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            try:
                claims = jwt.decode(
                    token,
                    public,
                    algorithms=["ES256"],
                    audience=self.origin,
                    options={"require": ["exp", "aud", "sub"]},
                )
            except jwt.InvalidTokenError as exc:
                return 403, f"invalid VAPID token: {exc}", {}
            self._verified[(token, key)] = claims
        if claims["exp"] <= time.time():
            return 403, "VAPID token expired", {}
        if claims["exp"] > time.time() + 24 * 3600:
            return 403, "exp is more than 24 hours away", {}
        if not str(claims["sub"]).startswith(("mailto:", "https:")):
            return 403, "sub must be a mailto: or https: URL", {}
        return 0, "", claims

    async def push(self, request: web.Request) -> web.Response:
        """Receive one push message."""
        sid = request.match_info["sid"]
        sub = self.subs.get(sid)
        body = await request.read()
        if sub is None:
            return self._answer(sid, 404, "no such subscription")
        if sub.delay:
            await asyncio.sleep(sub.delay)
        status, reason, claims = self._check_vapid(sub, request.headers.get("Authorization", ""))
        if status:
            return self._answer(sid, status, reason)
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            return self._answer(sid, 400, "TTL header missing or not a number")
        urgency = request.headers.get("Urgency", "normal")
        if urgency not in ("very-low", "low", "normal", "high"):
            return self._answer(sid, 400, "bad Urgency")
        topic = request.headers.get("Topic")
        if topic is not None and not _TOPIC.match(topic):
            return self._answer(sid, 400, "Topic must be at most 32 base64url characters")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._answer(sid, 400, "Content-Encoding must be aes128gcm")
        if sub.script:
            scripted = sub.script.pop(0)
            return self._answer(
                sid, int(scripted["status"]), "scripted", **scripted.get("headers", {})
            )
        if len(body) > sub.max_body:
            return self._answer(sid, 413, f"payload over {sub.max_body} bytes")
        try:
            plain = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
            )
            message = json.loads(plain)
        except Exception as exc:  # any failure to decrypt is the sender's fault: 400
            return self._answer(sid, 400, f"cannot decrypt: {type(exc).__name__}")
        record = {
            "subscription": sid,
            "message": message,
            "ttl": int(ttl),
            "urgency": urgency,
            "topic": topic,
            "claims": claims,
            "bytes": len(body),
            "at": time.time(),
        }
        self.received.append(record)
        inbox = self.inbox.setdefault(sid, [])
        if topic is not None:
            inbox[:] = [m for m in inbox if m["topic"] != topic]
        inbox.append(record)
        response = self._answer(sid, 201, "Created")
        response.headers["Location"] = f"{self.origin}/message/{len(self.received)}"
        return response


class PushServiceThread:
    """The push service on 127.0.0.1, in a thread with its own event loop."""

    def __init__(self, port: int) -> None:
        self.service = PushService(port)
        self.url = self.service.origin
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> PushServiceThread:
        """Listen and return once it does."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.service.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.service.port).start()

    def stop(self) -> None:
        """Close the server and the loop."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class PushClient:
    """The admin API of a push service (in a thread or another process)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def subscriptions(self, count: int, application_server_key: str) -> list[dict[str, Any]]:
        """New "browsers" subscribed with this VAPID key."""
        r = self.http.post(
            "/_admin/subscriptions",
            json={"count": count, "application_server_key": application_server_key},
        )
        r.raise_for_status()
        result: list[dict[str, Any]] = r.json()
        return result

    def script(self, subscription: str | None = None, **body: Any) -> None:
        """Scripted answers, a size limit or a delay, for one subscription or all."""
        self.http.post("/_admin/script", json={"subscription": subscription, **body})

    def received(self) -> list[dict[str, Any]]:
        """Every accepted push, decrypted."""
        result: list[dict[str, Any]] = self.http.get("/_admin/received").json()
        return result

    def log(self) -> list[dict[str, Any]]:
        """Every push request and its answer."""
        result: list[dict[str, Any]] = self.http.get("/_admin/log").json()
        return result

    def inbox(self) -> dict[str, list[dict[str, Any]]]:
        """Each device's messages after topic replacement."""
        result: dict[str, list[dict[str, Any]]] = self.http.get("/_admin/inbox").json()
        return result

    def count(self) -> int:
        """How many pushes were accepted so far."""
        return int(self.http.get("/_admin/count").json()["received"])

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        """Poll until ``count`` pushes were accepted (or fail the caller after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.received()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


def main() -> None:
    """Serve alone on a port (for the benchmark: its own process, its own core)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    service = PushService(args.port)

    async def serve() -> None:
        runner = web.AppRunner(service.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print(f"push service at {service.origin}", flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop
    except ImportError:  # plain asyncio works, only slower
        asyncio.run(serve())
    else:
        uvloop.run(serve())


if __name__ == "__main__":
    main()
