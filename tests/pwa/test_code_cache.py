"""The PWA's compiled-code cache (``pwa/code_cache.py``) on CPython.

Reading and storing it in Cache Storage runs in Chromium (``test_browser.py``: a reload
imports every module from it); what it answers, and when, is checked here with the real
import system.
"""

from __future__ import annotations

import builtins
import importlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pwa import code_cache
from pwa.code_cache import HEADER, CodeCache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def importing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on ``sys.path`` whose modules are always compiled from source."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("cc_")]:
        del sys.modules[name]


def _import(name: str) -> object:
    importlib.invalidate_caches()
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_a_second_import_of_the_same_source_is_answered_from_the_cache(importing: Path) -> None:
    (importing / "cc_orders.py").write_text("def total(x):\n    return x * 2\n")
    cache = CodeCache()
    cache.install()
    try:
        assert _import("cc_orders").total(21) == 42  # type: ignore[attr-defined]
        assert (cache.hits, cache.misses) == (0, 1)
        again = CodeCache.loads(cache.dumps())
        cache.uninstall()
        again.install()
        module = _import("cc_orders")
        assert (again.hits, again.misses) == (1, 0)
        assert module.total(5) == 10  # type: ignore[attr-defined]
        assert not again.changed
    finally:
        cache.uninstall()
        again.uninstall()
    assert builtins.compile is not cache.compile
    assert builtins.compile is not again.compile


def test_a_changed_source_is_compiled_again(importing: Path) -> None:
    source = importing / "cc_picks.py"
    source.write_text("VALUE = 1\n")
    cache = CodeCache()
    cache.install()
    try:
        assert _import("cc_picks").VALUE == 1  # type: ignore[attr-defined]
        source.write_text("VALUE = 2\n")
        assert _import("cc_picks").VALUE == 2  # type: ignore[attr-defined]
        assert (cache.hits, cache.misses) == (0, 2)
    finally:
        cache.uninstall()


def test_modules_in_a_zip_on_the_path_go_through_it(tmp_path: Path) -> None:
    # zipimport (how the PWA imports its packages and Pyodide its standard library)
    # compiles with the same call as the source loader.
    archive = tmp_path / "packages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cc_zipped/__init__.py", "NAME = 'zipped'\n")
    sys.path.insert(0, str(archive))
    cache = CodeCache()
    cache.install()
    try:
        assert _import("cc_zipped").NAME == "zipped"  # type: ignore[attr-defined]
        # zipimport compiles a module twice as it imports it (its get_filename works out
        # where the code would come from by compiling it): the second is a hit.
        assert (cache.misses, cache.hits) == (1, 1)
        assert next(iter(cache.entries))[0].startswith(str(archive))
    finally:
        cache.uninstall()
        sys.path.remove(str(archive))
        sys.modules.pop("cc_zipped", None)


def test_other_calls_to_compile_pass_through_uncached() -> None:
    cache = CodeCache()
    assert eval(cache.compile("1 + 1", "<expr>", "eval")) == 2
    cache.compile(b"x = 1\n", "<exec>", "exec")  # not the import system's call
    cache.compile("x = 1\n", "<text>", "exec", dont_inherit=True)  # text, not bytes
    cache.compile(b"x = 1\n", "<flags>", "exec", 0x200, True)  # compiler flags
    assert cache.entries == {}
    assert (cache.hits, cache.misses) == (0, 0)


def test_a_blob_of_another_python_or_damaged_is_an_empty_cache() -> None:
    cache = CodeCache()
    cache.compile(b"x = 1\n", "/app/x.py", "exec", dont_inherit=True)
    blob = cache.dumps()
    assert blob.startswith(HEADER)
    assert len(CodeCache.loads(blob).entries) == 1
    other_python = b"SFCC1" + b"\x00\x00\r\n" + blob[len(HEADER) :]
    assert CodeCache.loads(other_python).entries == {}
    assert CodeCache.loads(blob[:-10]).entries == {}
    assert CodeCache.loads(b"").entries == {}
    assert CodeCache.loads(HEADER + b"not zlib").entries == {}


def test_boot_installs_the_blob_the_worker_left_or_an_empty_cache(tmp_path: Path) -> None:
    earlier = CodeCache()
    earlier.compile(b"x = 1\n", "/app/x.py", "exec", dont_inherit=True)
    blob = tmp_path / "blob"
    blob.write_bytes(earlier.dumps())
    try:
        cache = code_cache.boot("/__code-cache/app-1.tar.gz", str(blob))
        assert builtins.compile == cache.compile
        assert code_cache.current() is cache
        assert cache.compile(b"x = 1\n", "/app/x.py", "exec", dont_inherit=True) == next(
            iter(earlier.entries.values())
        )
        assert (cache.hits, cache.misses) == (1, 0)
        cache.uninstall()
        blob.write_bytes(b"SFCC1 damaged")
        assert code_cache.boot("/u", str(blob)).entries == {}
        code_cache.current().uninstall()  # type: ignore[union-attr]
        assert code_cache.boot("/u", str(tmp_path / "missing")).entries == {}
    finally:
        code_cache.current().uninstall()  # type: ignore[union-attr]
    assert builtins.compile is not cache.compile


def test_it_imports_nothing_that_would_be_compiled_while_site_runs() -> None:
    # In the browser it runs from sitecustomize, before the standard library's modules are
    # imported: one that it imported would be compiled from source at every start.
    script = (
        f"import sys, json; sys.path.insert(0, {str(ROOT)!r}); before = set(sys.modules);"
        " import pwa.code_cache; print(json.dumps({n: getattr(sys.modules[n], '__file__', None)"
        " for n in set(sys.modules) - before}))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = json.loads(done.stdout)
    assert {"pwa", "pwa.code_cache", "_blake2"} <= set(imported)
    from_source = {
        name: file
        for name, file in imported.items()
        if file and file.endswith(".py") and not name.startswith("pwa")
    }
    assert from_source == {}  # built-in and compiled modules only


def test_the_entry_is_named_after_the_app_package() -> None:
    assert code_cache.entry_url("/app-0123abcd.tar.gz") == "/__code-cache/app-0123abcd.tar.gz"
