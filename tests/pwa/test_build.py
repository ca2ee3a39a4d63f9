"""The PWA build: reproducible, complete, offline, nothing from a CDN."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pwa import build as pwa_build
from pwa import code_cache
from tests.pwa.conftest import Built


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read(built: Built, name: str) -> bytes:
    """One file of the app package."""
    raw = (built.root / built.info["app_package"].lstrip("/")).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        member = tar.extractfile(name)
        assert member is not None, name
        return member.read()


def _members(built: Built) -> list[tarfile.TarInfo]:
    raw = (built.root / built.info["app_package"].lstrip("/")).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        return tar.getmembers()


def test_the_same_inputs_give_the_same_bytes(
    built: Built, wheels: list[Path], tmp_path: Path
) -> None:
    again = pwa_build.build(tmp_path / "again", wheels)
    assert again["version"] == built.info["version"]
    first, second = _digests(built.root), _digests(tmp_path / "again")
    assert first == second
    assert len(first) > 50


def test_a_change_to_the_app_is_a_new_version_and_only_a_new_package(
    built: Built, wheels: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another entry script stands for any change to the app's Python.
    entry = tmp_path / "pwa"
    entry.mkdir()
    for name in ("entry.py", "page.js", "sw.js", "click.js", "code_cache.py"):
        (entry / name).write_bytes((pwa_build.HERE / name).read_bytes())
    with (entry / "entry.py").open("a") as f:
        f.write("# changed\n")
    monkeypatch.setattr(pwa_build, "HERE", entry)
    changed = pwa_build.build(tmp_path / "changed", wheels)
    assert changed["version"] != built.info["version"]
    assert changed["app_package"] != built.info["app_package"]
    # The runtime (Flutter, renderers, Pyodide: most of the bytes) keeps its URL, so a
    # browser that has it cached downloads only the new package.
    assert changed["runtime"] == built.info["runtime"]


def test_the_archive_is_normalised_and_holds_the_app_and_its_packages(built: Built) -> None:
    raw = (built.root / built.info["app_package"].lstrip("/")).read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # no time stamp in the gzip header
    assert gzip.decompress(raw)  # a valid gzip stream
    members = _members(built)
    names = [m.name for m in members]
    assert names == sorted(names) or all(m.isdir() for m in members if m.name not in names)
    assert {m.mtime for m in members} == {pwa_build.FIXED_MTIME}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    files = set(names)
    assert "main.py" in files
    assert "mobile/main.py" in files
    assert "mobile/transport_pyfetch.py" in files
    assert "mobile/browser_runtime.py" in files
    assert "shared/deadlines.py" in files
    # Compiled packages are files, and the Pyodide builds, not this machine's.
    compiled = {n.split("/")[1] for n in files if n.startswith("__pypackages__/")}
    assert {"msgspec", "msgpack"} <= compiled
    libraries = [n for n in files if n.endswith(".so")]
    assert libraries
    assert all(n.startswith("__pypackages__/") for n in libraries)
    assert all("emscripten" in n or "wasm32" in n for n in libraries), libraries
    # The pure-Python ones are one zip, for zipimport.
    with zipfile.ZipFile(io.BytesIO(_read(built, pwa_build.PURE_ZIP))) as zf:
        infos = zf.infolist()
    zipped = {i.filename for i in infos}
    pure = {n.split("/")[0] for n in zipped}
    assert {"flet", "holidays", "dateutil", "tzdata"} <= pure
    assert "tzdata/zoneinfo/Europe/Berlin" in zipped
    assert not pure & compiled
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    assert {i.date_time for i in infos} == {pwa_build.FIXED_DATE}
    # httpx does not work in the browser and is not shipped (the PWA uses pyfetch).
    assert "httpx" not in pure | compiled
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in files | zipped)


def test_the_packages_zip_imports_and_reads_its_data_through_zipimport(
    built: Built, tmp_path: Path
) -> None:
    # As the browser's Python uses it: on sys.path, nothing unpacked; tzdata's zones are
    # read through importlib.resources, holidays' countries are imported on demand.
    archive = tmp_path / pwa_build.PURE_ZIP
    archive.write_bytes(_read(built, pwa_build.PURE_ZIP))
    script = f"""
import json, sys
sys.path.insert(0, {str(archive)!r})
import flet, holidays, tzdata
from datetime import date, datetime
from zoneinfo import ZoneInfo
assert tzdata.__file__.startswith({str(archive)!r}), tzdata.__file__
assert holidays.__file__.startswith({str(archive)!r}), holidays.__file__
print(json.dumps({{
    "flet": flet.__file__,
    "offset": datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Berlin")).utcoffset().seconds,
    "christmas": date(2026, 12, 25) in holidays.country_holidays("DE", years=2026),
}}))
"""
    # No time zone database of the system's: the zones must come from tzdata in the zip.
    env = {"PYTHONTZPATH": "", "PATH": os.environ.get("PATH", "")}
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["flet"].startswith(str(archive))
    assert found["offset"] == 7200
    assert found["christmas"] is True


def test_the_python_worker_installs_the_code_cache_before_python_starts(built: Built) -> None:
    runtime = built.root / built.info["runtime"].lstrip("/")
    worker = (runtime / "python-worker.js").read_text()
    found = re.search(r"^const SHIPFLOOR_CODE_CACHE = (.*);$", worker, re.MULTILINE)
    assert found
    settings = json.loads(found[1])
    assert settings["source"] == (pwa_build.HERE / "code_cache.py").read_text()
    assert settings["module"] == code_cache.BROWSER_MODULE
    assert (settings["cache"], settings["prefix"], settings["blob"]) == (
        code_cache.CACHE_NAME,
        code_cache.ENTRY_PREFIX,
        code_cache.BLOB_PATH,
    )
    # Pyodide calls the hook before Python starts; the packages' zip goes on the path
    # before the app runs.
    assert worker.count("fsInit: shipfloorFsInit,") == 1
    assert worker.index("fsInit: shipfloorFsInit,") < worker.index("registerJsModule")
    path = f'sys.path.insert(1, os.path.abspath("{pwa_build.PURE_ZIP}"))'
    assert worker.index(path) < worker.index("runpy.run_module(")
    # The service worker keeps that cache through an update.
    assert f'"codeCache": "{code_cache.CACHE_NAME}"' in (built.root / "sw.js").read_text()


def test_the_page_and_worker_name_only_local_files(built: Built) -> None:
    index = (built.root / "index.html").read_text()
    runtime = built.info["runtime"]
    assert f'flet.pyodideUrl = "{runtime}pyodide/pyodide.mjs"' in index
    assert f'flet.appPackageUrl = "{built.info["app_package"]}"' in index
    assert "flet.noCdn = true" in index
    assert "flet.pyodide = true" in index
    assert '<link rel="manifest" href="/manifest.webmanifest">' in index
    assert not re.search(r"https?://", index.replace("https://goo.gl", ""))
    sw = (built.root / "sw.js").read_text()
    assert not re.search(r"https?://", sw)
    # Flutter's loader would register Flutter's service worker over ours.
    bootstrap = (built.root / runtime.lstrip("/") / "flutter_bootstrap.js").read_text()
    load_call = bootstrap.rsplit("_flutter.loader.load(", 1)[1]
    assert "serviceWorkerSettings" not in load_call
    assert not (built.root / runtime.lstrip("/") / "flutter_service_worker.js").exists()


def test_the_worker_precaches_the_core_and_knows_each_renderer(built: Built) -> None:
    sw = (built.root / "sw.js").read_text()
    settings = json.loads(sw.split("const BUILD = ", 1)[1].split(";\n", 1)[0])
    assert settings["version"] == built.info["version"]
    core = settings["core"]
    assert "/" in core
    assert built.info["app_package"] in core
    runtime = built.info["runtime"]
    assert f"{runtime}pyodide/pyodide.asm.wasm" in core
    # No renderer is in the core: the worker keeps the one the browser used.
    assert not any(u.endswith((".wasm", ".js")) and "/canvaskit/" in u for u in core)
    assert set(settings["renderers"]) >= {"skwasm", "canvaskit", "canvaskit_chromium"}
    for urls in settings["renderers"].values():
        for url in urls:
            assert (built.root / url.lstrip("/")).is_file(), url
    for url in core:
        assert (built.root / ("index.html" if url == "/" else url.lstrip("/"))).is_file(), url
    # What this machine's Chromium needs to start offline fits the 30 MB goal.
    needed = built.info["precache_core_bytes"] + built.info["renderer_bytes"]["skwasm"]
    assert needed < 30 * 1024 * 1024


def test_the_manifest_and_icons(built: Built) -> None:
    manifest = json.loads((built.root / "manifest.webmanifest").read_text())
    assert manifest["name"] == "Shipfloor"
    assert manifest["short_name"] == "Shipfloor"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["theme_color"] == "#1F6F5C"  # mobile/theme.py's seed colour
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        png = (built.root / icon["src"].lstrip("/")).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_an_unchanged_build_is_skipped(
    wheels: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert pwa_build.main(["--out", str(out), "--offline"]) == 0
    assert "built" in capsys.readouterr().out
    before = (out / "build.json").stat().st_mtime_ns
    assert pwa_build.main(["--out", str(out), "--offline"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (out / "build.json").stat().st_mtime_ns == before
