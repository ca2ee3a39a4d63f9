"""The server serves the PWA at / beside the API: types, caching, isolation, app routes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server import pwa
from tests.pwa.conftest import Built
from tests.support import ServerThread

IMMUTABLE = "public, max-age=31536000, immutable"


def test_files_come_with_their_types_caching_and_isolation_headers(
    built: Built, start_server: Callable[[], ServerThread]
) -> None:
    server = start_server()
    runtime, package = built.info["runtime"], built.info["app_package"]
    expected = {
        "/": ("text/html; charset=utf-8", "no-cache"),
        "/index.html": ("text/html; charset=utf-8", "no-cache"),
        "/sw.js": ("text/javascript; charset=utf-8", "no-cache"),
        "/manifest.webmanifest": ("application/manifest+json", "no-cache"),
        "/icons/icon-192.png": ("image/png", "no-cache"),
        "/build.json": ("application/json", "no-cache"),
        package: ("application/gzip", IMMUTABLE),
        f"{runtime}main.dart.wasm": ("application/wasm", IMMUTABLE),
        f"{runtime}main.dart.mjs": ("text/javascript; charset=utf-8", IMMUTABLE),
        f"{runtime}flutter_bootstrap.js": ("text/javascript; charset=utf-8", IMMUTABLE),
        f"{runtime}pyodide/pyodide.asm.wasm": ("application/wasm", IMMUTABLE),
        f"{runtime}pyodide/pyodide-lock.json": ("application/json", IMMUTABLE),
        f"{runtime}pyodide/python_stdlib.zip": ("application/zip", IMMUTABLE),
        f"{runtime}assets/fonts/roboto.woff2": ("font/woff2", IMMUTABLE),
    }
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path, (kind, caching) in expected.items():
            r = http.get(path)
            assert r.status_code == 200, path
            assert r.headers["content-type"] == kind, path
            assert r.headers["cache-control"] == caching, path
            # Cross-origin isolated: the skwasm renderer may use threads.
            assert r.headers["cross-origin-opener-policy"] == "same-origin", path
            assert r.headers["cross-origin-embedder-policy"] == "require-corp", path
            assert r.headers["x-content-type-options"] == "nosniff", path
            # The gzip archive is a file, not a compressed transfer: the worker unpacks it.
            assert "content-encoding" not in r.headers, path
            local = built.root / ("index.html" if path == "/" else path.lstrip("/"))
            assert r.content == local.read_bytes(), path

        # Revalidation: the ETag is the build's own hash; an unchanged file is a 304.
        first = http.get("/sw.js")
        again = http.get("/sw.js", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert http.get("/sw.js", headers={"If-None-Match": '"other"'}).status_code == 200

        head = http.head(package)
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == (built.root / package[1:]).stat().st_size
        assert head.content == b""


def test_app_routes_get_the_page_and_everything_else_is_refused_plainly(
    built: Built, start_server: Callable[[], ServerThread]
) -> None:
    server = start_server()
    index = (built.root / "index.html").read_bytes()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        # Deep links (a notification's /orders/{id}) load the app, which routes them.
        for route in ("/orders/123", "/orders", "/login", "/settings/"):
            r = http.get(route)
            assert r.status_code == 200, route
            assert r.content == index, route
            assert r.headers["cache-control"] == "no-cache"
        # A missing file is a 404, not the page (a script must not get HTML).
        for missing in ("/nope.js", f"{built.info['runtime']}nope.wasm", "/r/0000/x"):
            r = http.get(missing)
            assert r.status_code == 404, missing
            assert r.headers["content-type"].startswith("text/plain")
        for escape in ("/../pyproject.toml", "/r/%2e%2e/%2e%2e/pyproject.toml", "/%2e%2e/x.py"):
            assert http.get(escape).status_code == 404, escape
        r = http.post("/", content=b"x")
        assert r.status_code == 405
        assert r.headers["allow"] == "GET, HEAD"
        # The API is still the API on the same origin.
        r = http.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x"})
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/json")
        live = http.get("/health/live")
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("application/json")


def test_which_app_the_server_shows(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHIPFLOOR_APP", raising=False)
    monkeypatch.setenv("SHIPFLOOR_PWA_DIR", str(built.root))
    assert pwa.pwa_app() is None  # default: the server-side Flet app
    monkeypatch.setenv("SHIPFLOOR_APP", "pwa")
    app = pwa.pwa_app()
    assert app is not None
    assert app.root == built.root.resolve()
    assert app.isolation
    monkeypatch.setenv("SHIPFLOOR_PWA_ISOLATION", "0")
    app = pwa.pwa_app()
    assert app is not None
    assert not app.isolation
    monkeypatch.setenv("SHIPFLOOR_PWA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(pwa.PwaMissing, match="make pwa"):
        pwa.pwa_app()
    monkeypatch.setenv("SHIPFLOOR_APP", "auto")
    assert pwa.pwa_app() is None  # no build: the server-side app
    monkeypatch.setenv("SHIPFLOOR_PWA_DIR", str(built.root))
    assert pwa.pwa_app() is not None
    monkeypatch.setenv("SHIPFLOOR_APP", "elsewhere")
    with pytest.raises(ValueError, match="SHIPFLOOR_APP"):
        pwa.pwa_app()
