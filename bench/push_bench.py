"""Web Push fan-out through the outbox: one new order to 1,000 subscribed devices.

``python -m bench.push_bench [--backend sqlite|postgresql] [--devices 1000] [--runs 5]``

The test push service (``tests/notifications/push_service.py``) runs as its own process on
127.0.0.1 and, for every push, checks the VAPID JWT (the ES256 signature once per token,
as a real service would for a token reused for hours; the claims every time), decrypts the
aes128gcm body with the device's private key and records it. The API server runs in this process with
its dispatcher on. A run starts when the marketplace posts the order to intake and ends
when the push service has accepted and decrypted the push of every device: the rate is
end to end — intake transaction, outbox, fan-out, claims, encryption, HTTP, bookkeeping.
One warm-up order goes first (cold statement caches, lazy imports) and is not counted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.measure import machine
from server.app import create_process_app
from server.migrate import upgrade_sync
from server.notifications.settings import NotificationSettings
from tests.notifications.push_service import PushClient
from tests.support import (
    ServerThread,
    Tenant,
    free_port,
    fresh_database,
    intake_order,
    make_tenant,
    test_settings,
)

RESULTS = Path(__file__).parent / "results"


def start_push_service() -> tuple[subprocess.Popen[bytes], PushClient]:
    """The test push service in its own process; returns once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.notifications.push_service", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    client = PushClient(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 15
    while True:
        try:
            client.count()
            return proc, client
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_dispatcher(
    database_url: str, data_dir: Path, concurrency: int
) -> subprocess.Popen[bytes]:
    """One more dispatcher: ``shipfloor notifications dispatch`` in its own process."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHIPFLOOR_DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench",
        "NOTIFY_CONCURRENCY": str(concurrency),
        # SQLite has no LISTEN: a standalone dispatcher there finds work by polling.
        "NOTIFY_POLL_SECONDS": "0.02",
        "NOTIFY_DELAY_CHECK_SECONDS": "3600",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "notifications", "dispatch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def subscribe_devices(shop: Tenant, push: PushClient, devices: int) -> None:
    """``devices`` browsers of the owner, each subscribed through the API."""
    key = httpx.get(f"{shop.base_url}/api/push/vapid-public-key").json()
    with shop.client() as c:
        for i, sub in enumerate(push.subscriptions(devices, key["public_key"])):
            r = c.post(
                "/api/push/subscriptions",
                json={"endpoint": sub["endpoint"], "keys": sub["keys"], "key_id": key["key_id"]},
                headers={"X-Device-Id": f"bench-{i}"},
            )
            r.raise_for_status()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(shop: Tenant, push: PushClient, devices: int, pids: tuple[int, ...]) -> dict[str, Any]:
    """Post one order; time until every device's push was accepted and decrypted."""
    before = push.count()
    cpu = {pid: cpu_seconds(pid) for pid in pids}
    started = time.time()  # the push service stamps each push with the same clock
    r = shop.intake(intake_order())
    r.raise_for_status()
    intake_ms = (time.time() - started) * 1000
    # Poll gently: the push service and the server share the machine's two cores.
    while (n := push.count() - before) < devices:
        if time.time() - started > 120:
            raise RuntimeError(f"only {n} of {devices} pushes arrived")
        time.sleep(0.05)
    order_id = r.json()["order_id"]
    got = [m for m in push.received() if m["message"]["data"].get("order_id") == order_id]
    distinct = {m["subscription"] for m in got}
    assert len(distinct) == devices, f"{len(distinct)} distinct devices"
    elapsed = max(m["at"] for m in got) - started
    return {
        "order_id": order_id,
        "seconds": round(elapsed, 3),
        "pushes_per_second": round(devices / elapsed),
        "intake_ms": round(intake_ms, 1),
        "first_push_ms": round((min(m["at"] for m in got) - started) * 1000, 1),
        "cpu_seconds": {
            "server": round(cpu_seconds(pids[0]) - cpu[pids[0]], 2),
            "push_service": round(cpu_seconds(pids[1]) - cpu[pids[1]], 2),
            "other_dispatchers": round(sum(cpu_seconds(p) - cpu[p] for p in pids[2:]), 2),
        },
        "delivered": len(got),
        "decrypted_distinct_devices": len(distinct),
    }


def main() -> None:
    """Run the benchmark and write a JSON result file."""
    parser = argparse.ArgumentParser(prog="python -m bench.push_bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--warmup", type=int, default=1, help="orders sent first and not counted (cold caches)"
    )
    parser.add_argument("--concurrency", type=int, default=NotificationSettings.concurrency)
    parser.add_argument(
        "--dispatchers",
        type=int,
        default=1,
        help="dispatchers sharing the outbox: the server's own plus N-1 standalone processes",
    )
    args = parser.parse_args()

    proc, push = start_push_service()
    try:
        with tempfile.TemporaryDirectory() as tmp, fresh_database(args.backend, Path(tmp)) as url:
            upgrade_sync(url)
            notify = dataclasses.replace(
                NotificationSettings(),
                push_allow_http=True,
                concurrency=args.concurrency,
                delay_check_seconds=3600,
            )
            settings = test_settings(url, Path(tmp) / "data", notifications=notify)
            server = ServerThread(create_process_app(settings), settings=settings).start()
            extra = [
                start_dispatcher(url, Path(tmp) / f"d{i}", args.concurrency)
                for i in range(args.dispatchers - 1)
            ]
            try:
                shop = make_tenant(server.url, url, settings=settings)
                subscribe_devices(shop, push, args.devices)
                pids = (os.getpid(), proc.pid, *(d.pid for d in extra))
                for _ in range(args.warmup):
                    one_run(shop, push, args.devices, pids)
                runs = [one_run(shop, push, args.devices, pids) for _ in range(args.runs)]
            finally:
                for d in extra:
                    d.terminate()
                    d.wait(15)
                server.stop()
    finally:
        push.close()
        proc.terminate()
        proc.wait(10)

    rates = [r["pushes_per_second"] for r in runs]
    result = {
        "benchmark": "push fan-out through the outbox",
        "backend": args.backend,
        "devices": args.devices,
        "concurrency": args.concurrency,
        "dispatchers": args.dispatchers,
        "warmup_runs": args.warmup,
        "runs": runs,
        "median_pushes_per_second": statistics.median(rates),
        "best_pushes_per_second": max(rates),
        "machine": machine(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"push-{args.backend}-{args.devices}-d{args.dispatchers}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    for r in runs:
        print(
            f"{args.backend}: {args.devices} pushes in {r['seconds']} s = "
            f"{r['pushes_per_second']}/s (intake {r['intake_ms']} ms, "
            f"first push after {r['first_push_ms']} ms)"
        )
    print(f"median {result['median_pushes_per_second']}/s; written to {out}")


if __name__ == "__main__":
    main()
