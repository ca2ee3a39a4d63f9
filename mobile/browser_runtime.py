"""Python in the browser (the PWA under Pyodide): where the device store lives, how it is kept.

Pyodide's file system lives in memory. The device store's folder, :data:`DATA_DIR`, is an
IDBFS mount: :func:`start` loads it from IndexedDB once before the app opens the store,
and :meth:`BrowserStorage.flush` writes it back after every commit (hook it with
:func:`attach`). Flushes never overlap: a commit during a flush makes one more flush.

A flush that fails (the origin's quota is full, IndexedDB refused) is kept as a
:class:`StorageProblem` and every listener is told, so the app can say that changes are
not safe on this device. Eviction (the browser cleared the site's storage while a marker
in preferences says there was a store) is reported the same way by :func:`check_evicted`.

The app picks its platform pieces here when ``sys.platform == "emscripten"``:
:func:`store_dir`, :func:`sync_transport`, :func:`api_transport`, :func:`page_origin`
(the server to sign in to: the PWA is served by it).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mobile.api import Transport as ApiTransport
from mobile.prefs import Preferences
from mobile.sync.transport import Transport as SyncTransport

#: the IDBFS mount that holds the device store (and anything else that must survive)
DATA_DIR = "/data"
#: preferences key of the marker that tells a fresh device from an evicted store
MARKER_KEY = "shipfloor.store_marker"
MARKER_FILE = ".shipfloor-marker"


def in_browser() -> bool:
    """Whether this Python runs in the browser (Pyodide)."""
    return sys.platform == "emscripten"


@dataclass(frozen=True)
class StorageProblem:
    """Something that puts the device's data at risk, in words for the person."""

    kind: str  # "quota", "write", "evicted", "mount"
    message: str
    detail: str = ""


class FileSystem(Protocol):
    """The part of Emscripten's ``FS`` this module uses (``pyodide_js.FS``)."""

    def mkdirTree(self, path: str) -> Any:
        """Make a folder and its parents."""
        ...

    def mount(self, fs: Any, options: Any, path: str) -> Any:
        """Mount a file system at ``path``."""
        ...

    def syncfs(self, populate: bool, callback: Any) -> Any:
        """Copy IndexedDB to memory (``populate``) or memory to IndexedDB; calls back."""
        ...


def _describe(error: Any) -> StorageProblem:
    """A syncfs error (a DOMException, an ErrnoError) as a problem for the person."""
    name = str(getattr(error, "name", "") or "")
    text = str(getattr(error, "message", "") or error)
    if "Quota" in name or "quota" in text.lower():
        return StorageProblem(
            "quota",
            "This device is out of storage for Shipfloor: recent changes are not saved. "
            "Free some space, then keep the app open until it syncs.",
            f"{name}: {text}".strip(": "),
        )
    return StorageProblem(
        "write",
        "Saving to this device failed: recent changes may be lost if the app is closed "
        "before it syncs.",
        f"{name}: {text}".strip(": "),
    )


class BrowserStorage:
    """The IDBFS-backed data folder of one Python worker."""

    def __init__(self, mount_point: str = DATA_DIR, fs: FileSystem | None = None) -> None:
        self.mount_point = mount_point
        self._fs = fs
        self.started = False
        self.problems: list[StorageProblem] = []
        self._listeners: list[Callable[[StorageProblem], None]] = []
        self._flushing: asyncio.Task[None] | None = None
        self._dirty = False
        #: flushes that completed (tests and diagnostics)
        self.flushes = 0

    @property
    def fs(self) -> FileSystem:
        """Emscripten's file system object."""
        if self._fs is None:
            import pyodide_js

            self._fs = pyodide_js.FS
        return self._fs

    def on_problem(self, listener: Callable[[StorageProblem], None]) -> None:
        """Call ``listener`` with every problem from now on (and the ones already seen)."""
        self._listeners.append(listener)
        for problem in self.problems:
            listener(problem)

    def report(self, problem: StorageProblem) -> None:
        """Keep a problem and tell every listener."""
        print(f"shipfloor: storage problem: {problem.kind}: {problem.detail}", file=sys.stderr)
        self.problems.append(problem)
        for listener in list(self._listeners):
            try:
                listener(problem)
            except Exception as exc:
                print(f"shipfloor: a storage problem listener failed: {exc!r}", file=sys.stderr)

    async def _syncfs(self, populate: bool) -> Any:
        """``FS.syncfs`` as a coroutine: the error it reports, or None."""
        from pyodide.ffi import create_once_callable

        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def callback(error: Any = None) -> None:
            if not done.done():
                done.set_result(error)

        self.fs.syncfs(populate, create_once_callable(callback))
        error = await done
        # Success calls back with JavaScript's null (``jsnull``) or undefined (None).
        return None if error is None or type(error).__name__ == "JsNull" else error

    async def start(self) -> None:
        """Mount IndexedDB at the data folder and load what it holds (once per worker)."""
        if self.started:
            return
        self.started = True
        try:
            self.fs.mkdirTree(self.mount_point)
            import pyodide_js

            self.fs.mount(pyodide_js.FS.filesystems.IDBFS, {}, self.mount_point)
        except Exception as exc:
            self.report(
                StorageProblem(
                    "mount",
                    "This browser gives Shipfloor no lasting storage: changes are kept "
                    "only while the app is open.",
                    str(exc),
                )
            )
            return
        error = await self._syncfs(True)
        if error is not None:
            self.report(_describe(error))
        print(f"shipfloor: storage ready at {self.mount_point}")

    def schedule_flush(self) -> None:
        """After a commit: write the folder to IndexedDB soon (a hook for ``after_commit``)."""
        self._dirty = True
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while self._dirty:
            self._dirty = False
            error = await self._syncfs(False)
            if error is not None:
                self.report(_describe(error))
            else:
                self.flushes += 1

    async def flush(self) -> None:
        """Write everything committed so far to IndexedDB and wait for it."""
        self.schedule_flush()
        if self._flushing is not None:
            await self._flushing


_storage: BrowserStorage | None = None


def storage() -> BrowserStorage:
    """This worker's storage (one per Python worker, i.e. per tab)."""
    global _storage
    if _storage is None:
        _storage = BrowserStorage()
    return _storage


async def start() -> None:
    """Prepare the browser's storage before the app opens its store (idempotent)."""
    if in_browser():
        await storage().start()


def store_dir() -> Path:
    """The folder for the device store: the IDBFS mount in the browser."""
    return Path(DATA_DIR)


def attach(store: Any) -> None:
    """Flush to IndexedDB after every commit of ``store`` (a :class:`~mobile.store.Store`)."""
    hooks: list[Callable[[], None]] = store.after_commit
    hook = storage().schedule_flush
    if hook not in hooks:
        hooks.append(hook)


def sync_transport(base_url: str = "") -> SyncTransport:
    """The sync client's transport in the browser (``pyfetch``)."""
    from mobile.transport_pyfetch import PyfetchTransport

    return PyfetchTransport(base_url)


def api_transport() -> ApiTransport:
    """The API client's transport in the browser (``pyfetch``)."""
    from mobile.transport_pyfetch import PyfetchHttp

    return PyfetchHttp()


def page_origin() -> str:
    """The origin the PWA was loaded from: its server (``http://host:port``); "" outside."""
    if not in_browser():
        return ""
    import js

    return str(js.location.origin)


def online() -> bool:
    """What the browser believes about the network (``navigator.onLine``); True outside it."""
    if not in_browser():
        return True
    import js

    return bool(js.navigator.onLine)


def watch_connectivity(listener: Callable[[bool], None]) -> Callable[[], None]:
    """Tell ``listener`` what the browser believes about the network, now and on every change.

    The ``online`` and ``offline`` events of the global scope (the Python worker's in the
    PWA) call it with True or False; it is called once at once with ``navigator.onLine``.
    Returns the function that stops watching. Outside the browser there is nothing to
    watch: the listener is not called and stopping does nothing.
    """
    if not in_browser():
        return lambda: None
    import js
    from pyodide.ffi import create_proxy

    handlers = {
        "online": create_proxy(lambda _event: listener(True)),
        "offline": create_proxy(lambda _event: listener(False)),
    }
    for name, handler in handlers.items():
        js.addEventListener(name, handler)

    def stop() -> None:
        for name, handler in handlers.items():
            js.removeEventListener(name, handler)
            handler.destroy()
        handlers.clear()

    listener(online())
    return stop


async def check_evicted(prefs: Preferences, folder: Path | None = None) -> StorageProblem | None:
    """Report a store the browser evicted: preferences remember one, the folder has none.

    Call after :func:`start`. Preferences (the browser's local storage) and IndexedDB can
    be cleared apart; a marker kept in both tells "first run" from "data lost". A new
    marker is written each time, so the next run checks against this one.
    """
    folder = folder or store_dir()
    marker_path = folder / MARKER_FILE
    remembered = await prefs.get(MARKER_KEY)
    present = marker_path.read_text().strip() if marker_path.exists() else None
    problem = None
    if remembered and present != remembered:
        problem = StorageProblem(
            "evicted",
            "The browser cleared Shipfloor's data on this device: changes not yet synced "
            "are lost. Sign in to load the orders again.",
            f"marker {remembered} missing",
        )
        if in_browser():
            storage().report(problem)
    marker = present or uuid.uuid4().hex
    if not marker_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        marker_path.write_text(marker)
        if in_browser():
            await storage().flush()
    await prefs.set(MARKER_KEY, marker)
    return problem
