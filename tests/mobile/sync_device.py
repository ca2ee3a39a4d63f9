"""A device's sync client as its own process, so a test can SIGKILL it mid-sync.

    python -m tests.mobile.sync_device STORE_FILE BASE_URL [PUSH_BATCH]

Opens the store (tokens, device id and outbox are in it), then syncs until the outbox is
empty, retrying failed cycles; prints one line per cycle; exits 0 when done.
"""

from __future__ import annotations

import asyncio
import sys

from mobile.store import Store
from mobile.sync import SyncClient, SyncError
from mobile.transport_httpx import HttpxTransport


async def main(path: str, url: str, push_batch: int) -> None:
    """Sync until nothing is pending."""
    store = Store(path)
    transport = HttpxTransport(url, timeout=5.0)
    client = SyncClient(store, transport, push_batch=push_batch)
    try:
        while True:
            try:
                report = await client.sync()
            except SyncError as exc:
                print(f"failed: {exc}", flush=True)
                await asyncio.sleep(0.05)
                continue
            print(f"synced: pushed {report.pushed} pulled {report.pulled}", flush=True)
            if store.pending_count() == 0:
                return
    finally:
        await transport.aclose()
        store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20))
