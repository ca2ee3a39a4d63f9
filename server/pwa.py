"""Serve the offline PWA (``build/pwa``, made by ``make pwa``) at ``/``, beside the API.

Which app the server shows at ``/`` is ``SHIPFLOOR_APP``:

- ``server`` (the default): the Flet app runs on the server, one session per tab
  (:mod:`server.webapp`); it needs no build and is what the browser tests of the app drive;
- ``pwa``: the static PWA from ``SHIPFLOOR_PWA_DIR`` (default ``build/pwa`` in the
  repository), Python running in the browser; ``make run`` picks this one. Starting in
  this mode without a build is an error that says to run ``make pwa``;
- ``auto``: the PWA when a build exists, else the server-side app.

Responses: the right ``Content-Type`` for every file Flutter and Pyodide load (``.wasm``
must be ``application/wasm`` for streaming compilation, ``.mjs`` JavaScript for module
imports); ``ETag`` from the build's own hashes and ``304`` on ``If-None-Match``; the
content-hashed runtime (``/r/<hash>/``) and app package (``/app-<hash>.tar.gz``) cached
for a year as ``immutable``; everything with a fixed name (``index.html``, ``sw.js``,
the manifest, icons) ``no-cache``, i.e. revalidated each time. Cross-origin isolation
(``COOP: same-origin`` + ``COEP: require-corp``) lets the skwasm renderer use threads;
nothing of the app is cross-origin, so it costs nothing (``SHIPFLOOR_PWA_ISOLATION=0``
turns it off). A path that is not a file and does not look like one (``/orders/123``)
gets ``index.html``: the app routes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from litestar.enums import ScopeType
from litestar.types import (
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
    WebSocketCloseEvent,
)

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "build" / "pwa"
CHUNK = 256 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

#: hashed names: the content never changes under them
_HASHED = re.compile(r"^(r/[0-9a-f]{8,}/|app-[0-9a-f]{8,}\.tar\.gz$)")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".gz": "application/gzip",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff2": "font/woff2",
    ".frag": "text/plain; charset=utf-8",
    ".bin": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
}


class PwaMissing(RuntimeError):
    """``SHIPFLOOR_APP=pwa`` but there is no build to serve."""


def content_type(path: str) -> str:
    """The ``Content-Type`` of a build file by its name."""
    name = path.rsplit("/", 1)[-1]
    if name == "NOTICES":
        return "text/plain; charset=utf-8"
    dot = name.rfind(".")
    unknown = "application/octet-stream"
    return CONTENT_TYPES.get(name[dot:].lower(), unknown) if dot >= 0 else unknown


def cache_control(path: str) -> str:
    """Long-lived for content-hashed paths, revalidated for fixed names."""
    return IMMUTABLE if _HASHED.match(path) else REVALIDATE


def _looks_like_file(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return "." in last or path.startswith("r/")


@dataclass
class _Etags:
    """Strong ETags from ``build.json`` (reloaded when a new build replaces it)."""

    root: Path
    stamp: tuple[float, int] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    computed: dict[tuple[str, float, int], str] = field(default_factory=dict)

    def get(self, rel: str, file: Path, stat: os.stat_result) -> str:
        """The file's ETag: the build's hash of it, or one computed (and kept) here."""
        info = self.root / "build.json"
        try:
            st = info.stat()
            stamp: tuple[float, int] | None = (st.st_mtime, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self.stamp:
            self.stamp = stamp
            self.tags = {}
            if stamp is not None:
                files: dict[str, str] = json.loads(info.read_bytes()).get("files", {})
                self.tags = {k: f'"{v}"' for k, v in files.items()}
        tag = self.tags.get(rel)
        # build.json is written last: a file changed after it is not what it describes.
        if tag is not None and self.stamp is not None and stat.st_mtime <= self.stamp[0]:
            return tag
        key = (rel, stat.st_mtime, stat.st_size)
        if key not in self.computed:
            self.computed[key] = f'"{hashlib.sha256(file.read_bytes()).hexdigest()[:32]}"'
        return self.computed[key]


class PwaApp:
    """A small ASGI app that serves one PWA build directory (GET and HEAD only)."""

    def __init__(self, root: Path, *, isolation: bool = True) -> None:
        self.root = root.resolve()
        self.isolation = isolation
        self._etags = _Etags(self.root)

    def _resolve(self, url_path: str) -> tuple[str, Path] | None:
        """The file for a URL path, ``index.html`` for an app route, or None (404)."""
        rel = url_path.lstrip("/")
        if "\\" in rel or "\0" in rel or any(part in ("..", ".") for part in rel.split("/")):
            return None
        if rel in ("", "index.html"):
            rel = "index.html"
        file = self.root / rel
        if file.is_file() and file.resolve().is_relative_to(self.root):
            return rel, file
        if _looks_like_file(rel):
            return None
        return "index.html", self.root / "index.html"

    def _headers(self, rel: str, extra: dict[str, str] | None = None) -> list[tuple[bytes, bytes]]:
        headers = {
            "content-type": content_type(rel),
            "cache-control": cache_control(rel),
            "x-content-type-options": "nosniff",
            "cross-origin-resource-policy": "same-origin",
        }
        if self.isolation:
            headers["cross-origin-opener-policy"] = "same-origin"
            headers["cross-origin-embedder-policy"] = "require-corp"
        headers.update(extra or {})
        return [(k.encode(), v.encode()) for k, v in headers.items()]

    async def _plain(self, send: Send, status: int, text: str, **extra: str) -> None:
        body = text.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-cache"),
            *((k.replace("_", "-").encode(), v.encode()) for k, v in extra.items()),
        ]
        await send(_start(status, headers))
        await send(_body(body))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.WEBSOCKET:
            # The PWA has no server session: nothing to connect to.
            await send(WebSocketCloseEvent(type="websocket.close", code=1008, reason=None))
            return
        if scope["type"] != ScopeType.HTTP:
            return
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            await self._plain(send, 405, "Method not allowed.", allow="GET, HEAD")
            return
        found = self._resolve(scope.get("path", "/"))
        if found is None or not found[1].is_file():
            await self._plain(send, 404, "Not found.")
            return
        rel, file = found
        stat = file.stat()
        etag = await anyio.to_thread.run_sync(self._etags.get, rel, file, stat)
        request_headers = dict(scope.get("headers") or [])
        if_none_match = request_headers.get(b"if-none-match", b"").decode("latin-1")
        if etag in (t.strip() for t in if_none_match.split(",")) or if_none_match.strip() == "*":
            await send(_start(304, self._headers(rel, {"etag": etag})))
            await send(_body(b""))
            return
        headers = self._headers(rel, {"etag": etag, "content-length": str(stat.st_size)})
        await send(_start(200, headers))
        if method == "HEAD":
            await send(_body(b""))
            return
        await _stream(file, send)


def _start(status: int, headers: list[tuple[bytes, bytes]]) -> HTTPResponseStartEvent:
    return HTTPResponseStartEvent(type="http.response.start", status=status, headers=headers)


def _body(data: bytes, more: bool = False) -> HTTPResponseBodyEvent:
    return HTTPResponseBodyEvent(type="http.response.body", body=data, more_body=more)


async def _stream(file: Path, send: Send) -> None:
    """The file's bytes in chunks, read off the event loop."""
    handle: Any = await anyio.open_file(file, "rb")
    async with handle:
        while True:
            chunk = await handle.read(CHUNK)
            more = len(chunk) == CHUNK
            await send(_body(chunk, more))
            if not more:
                return


def app_mode() -> str:
    """``SHIPFLOOR_APP``: ``server`` (default), ``pwa`` or ``auto``."""
    mode = os.environ.get("SHIPFLOOR_APP", "server").strip().lower() or "server"
    if mode not in ("server", "pwa", "auto"):
        raise ValueError(f"SHIPFLOOR_APP must be server, pwa or auto, not {mode!r}")
    return mode


def build_dir() -> Path:
    """Where the PWA build is (``SHIPFLOOR_PWA_DIR`` or ``build/pwa`` in the repository)."""
    configured = os.environ.get("SHIPFLOOR_PWA_DIR")
    return Path(configured).resolve() if configured else DEFAULT_DIR


def pwa_app() -> PwaApp | None:
    """The PWA to serve at ``/``, or None when the server-side Flet app should be used."""
    mode = app_mode()
    if mode == "server":
        return None
    root = build_dir()
    if not (root / "index.html").is_file():
        if mode == "auto":
            return None
        raise PwaMissing(f"SHIPFLOOR_APP=pwa but {root} has no build: run `make pwa`")
    isolation = os.environ.get("SHIPFLOOR_PWA_ISOLATION", "1") != "0"
    return PwaApp(root, isolation=isolation)
