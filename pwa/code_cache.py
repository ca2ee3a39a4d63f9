"""The PWA's compiled-code cache: its Python is compiled once per build, not at every start.

In the browser nothing is byte-compiled ahead: Pyodide's standard library ships as ``.py``
sources in a zip (``zipimport`` never caches), and so do the app's packages. Every start
compiled about 460 modules (7 MB of source: the standard library's part while Pyodide
starts, then flet and the app), over a second of a 4 s start on the benchmark machine.

:class:`CodeCache` stands in for :func:`compile` when the import system calls it (both
the source loader and ``zipimport`` do, with ``mode="exec"`` and ``dont_inherit=True``)
and answers from code objects compiled by an earlier start. An entry is keyed by the file
name, the optimisation level and a BLAKE2 digest of the source, so a changed source is
compiled again; every other call to :func:`compile` passes straight through.

How it runs in the PWA (``pwa/build.py`` patches flet-web's ``python-worker.js``):

1. Before Python starts (Pyodide's ``fsInit`` hook), the worker copies the cache's blob
   from Cache Storage into the in-memory file system, and writes this module next to
   Python's ``site-packages`` as ``shipfloor_code_cache`` with a ``sitecustomize`` that
   calls :func:`boot`. Python imports ``sitecustomize`` at the end of ``site``, before
   Pyodide's own modules and everything after them.
2. Once the app has started, ``main.py`` (``pwa/entry.py``) calls :func:`save`, which
   stores what was compiled anew.

The blob is ``marshal`` data, zlib-compressed, behind a header with Python's bytecode magic
number (another Python version ignores it). It is one entry of the Cache Storage cache
:data:`CACHE_NAME`, named after the app package, which changes with every build of the
app: the first start of a new build replaces it. The service worker leaves this cache
alone. Losing it costs one slower start; a damaged blob is an empty cache.

This module runs while ``site`` is imported: it imports only what Python has loaded by
then (or builds in), so that nothing of the standard library is compiled before it.
"""

import _frozen_importlib_external  # type: ignore[import-not-found]
import builtins
import marshal
import sys
import zlib

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython and Pyodide build it in
    from hashlib import blake2b

#: ``typing`` is not imported yet when this runs, and ``typing.TYPE_CHECKING`` with it: the
#: annotations that need it are strings, evaluated by type checkers only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType
    from typing import Any

#: what a blob starts with: a format tag and this Python's bytecode magic number
HEADER = b"SFCC1" + bytes(_frozen_importlib_external.MAGIC_NUMBER)
#: the Cache Storage cache, and the URL prefix of its one entry (the name of the app
#: package follows); ``pwa/sw.js`` knows the name and keeps it on an update
CACHE_NAME = "shipfloor-code"
ENTRY_PREFIX = "/__code-cache/"
#: where the worker puts the blob before Python starts (in memory, read once)
BLOB_PATH = "/tmp/shipfloor-code-cache"
#: this module's name in the browser, where it is written next to ``site-packages``
BROWSER_MODULE = "shipfloor_code_cache"

Key = tuple[str, int, bytes]


def _digest(source: bytes) -> bytes:
    return blake2b(source, digest_size=16).digest()


class CodeCache:
    """Code objects by (file name, optimisation level, digest of the source)."""

    def __init__(self, entries: "dict[Key, CodeType] | None" = None) -> None:
        self.entries: dict[Key, CodeType] = dict(entries or {})
        self.hits = 0
        self.misses = 0
        self._compile: Callable[..., Any] = builtins.compile

    @property
    def changed(self) -> bool:
        """Whether something was compiled that the cache did not hold."""
        return self.misses > 0

    def compile(
        self,
        source: "Any",
        filename: "Any",
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
        **kwargs: "Any",
    ) -> "Any":
        """:func:`compile`, answered from the cache for the import system's calls."""
        if (
            mode != "exec"
            or flags
            or not dont_inherit
            or kwargs
            or not isinstance(source, bytes | bytearray | memoryview)
            or not isinstance(filename, str)
        ):
            return self._compile(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
        key = (filename, optimize, _digest(bytes(source)))
        code = self.entries.get(key)
        if code is not None:
            self.hits += 1
            return code
        code = self._compile(source, filename, mode, flags, dont_inherit, optimize)
        self.entries[key] = code
        self.misses += 1
        return code

    def install(self) -> None:
        """Answer the import system's :func:`compile` calls from here on."""
        builtins.compile = self.compile

    def uninstall(self) -> None:
        """Give :func:`compile` back."""
        if builtins.compile == self.compile:
            builtins.compile = self._compile

    def dumps(self) -> bytes:
        """The blob :meth:`loads` reads."""
        return HEADER + zlib.compress(marshal.dumps(self.entries), 1)

    @classmethod
    def loads(cls, blob: bytes) -> "CodeCache":
        """A cache from :meth:`dumps`'s blob; empty if it is from another Python or damaged."""
        if not blob.startswith(HEADER):
            return cls()
        try:
            entries = marshal.loads(zlib.decompress(blob[len(HEADER) :]))
        except (ValueError, EOFError, TypeError, zlib.error):
            return cls()
        if not isinstance(entries, dict):
            return cls()
        return cls(entries)


#: the cache this start installed (:func:`boot`), if any, and its entry's URL
_current: "tuple[CodeCache, str] | None" = None
#: whether :func:`save` has told the console how the start went
_reported = False


def entry_url(package_url: str) -> str:
    """The cache entry's URL for an app package (``/app-<hash>.tar.gz`` → its name)."""
    return ENTRY_PREFIX + package_url.rstrip("/").rsplit("/", 1)[-1]


def boot(url: str, blob_path: str = BLOB_PATH) -> "CodeCache":
    """At Python's start (``sitecustomize``): install the cache the worker left in a file.

    No file (a first start, storage that could not be read) or a damaged one is a start
    with an empty cache, never a failed start.
    """
    global _current, _reported
    try:
        with open(blob_path, "rb") as f:
            cache = CodeCache.loads(f.read())
    except OSError:
        cache = CodeCache()
    cache.install()
    _current, _reported = (cache, url), False
    return cache


def current() -> "CodeCache | None":
    """The cache this start installed, if any."""
    return _current[0] if _current else None


async def save() -> int:
    """In the browser, once the app has started: store what this start compiled anew.

    Tells the console once how many modules came from the cache. Returns the number of
    entries stored (0 when nothing was new). A full quota or any other failure to store is
    only logged: the next start compiles again.
    """
    global _reported
    if _current is None or sys.platform != "emscripten":
        return 0
    cache, url = _current
    import js
    from pyodide.ffi import to_js

    if not _reported:
        _reported = True
        js.console.log(f"code cache: {cache.hits} modules from the cache, {cache.misses} compiled")
    if not cache.changed:
        return 0
    blob = cache.dumps()
    try:
        storage = await js.caches.open(CACHE_NAME)
        for request in await storage.keys():
            if not str(request.url).endswith(url):
                await storage.delete(request)
        await storage.put(url, js.Response.new(to_js(blob)))
    except Exception as exc:
        js.console.warn(f"code cache: not stored ({exc})")
        return 0
    cache.misses = 0
    js.console.log(f"code cache: stored {len(cache.entries)} modules ({len(blob)} bytes)")
    return len(cache.entries)
