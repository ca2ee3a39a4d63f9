"""Where the device store lives, one SQLite file per device and signed-in person.

- **Served by the server** (the Flet web app: Python runs on the server, one session per
  browser tab): ``<dir>/<device_id>/<user_id>.sqlite``, where ``<dir>`` is
  ``$SHIPFLOOR_DEVICE_DIR``, else ``$SHIPFLOOR_DATA_DIR/devices``, else ``var/devices``
  (the server's own data folder), and ``device_id`` is kept in the browser's storage
  (see :meth:`mobile.session.SessionKeeper.device_id`). Tabs of one browser profile share
  it, hence the file; another browser is another device.
- **Native** (phone, tablet, desktop): the same layout under the platform's application
  support folder (Flet ``StoragePaths``), chosen by the view layer.
- **PWA** (Python in the browser, a later issue): the same layout on an IDBFS mount.

One file per *person* on a device, not just per device: the server records a pushed
mutation under the pushing token's user, so changes left waiting at a sign-out must be
sent by the same person's next sign-in — never by a colleague's. A person belongs to one
vendor, so one file never mixes two vendors' orders either.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

#: what may appear in a file name made from an id (ids are ours, but they come from storage)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def served_store_dir() -> Path:
    """The folder of device stores when the app is served by the server."""
    explicit = os.environ.get("SHIPFLOOR_DEVICE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("SHIPFLOOR_DATA_DIR", "var")) / "devices"


def safe_name(text: str) -> str:
    """An id as a file name: nothing that could climb out of the folder."""
    cleaned = _UNSAFE.sub("_", text.strip()).lstrip(".")
    if not cleaned:
        raise ValueError("an empty id cannot name a device store")
    return cleaned


def store_path(folder: Path, device_id: str, user_id: str) -> Path:
    """The store file of one person on one device (its folder is created)."""
    device_folder = folder / safe_name(device_id)
    device_folder.mkdir(parents=True, exist_ok=True)
    return device_folder / f"{safe_name(user_id)}.sqlite"


_sync_locks: dict[Path, asyncio.Lock] = {}


def sync_lock(path: Path) -> asyncio.Lock:
    """The lock that lets one sync cycle at a time run on a store file in this process.

    Two tabs of one browser open the same file, each with its own sync client: taking
    turns keeps one from pulling while the other's pushed batch has no answer filed.
    """
    key = path.resolve()
    lock = _sync_locks.get(key)
    if lock is None:
        lock = _sync_locks[key] = asyncio.Lock()
    return lock
