"""Load generator: many simulated devices working the floor while intake posts new orders.

Each simulated device is what the app does, over real HTTP (asyncio + httpx, MessagePack
like the app): it **logs in** (``POST /api/auth/login``, a real password check), runs its
**initial sync** (pull pages until ``has_more`` is false), then loops: **think** (a person
scanning, walking, packing), record one to three mutations on orders of its zone — scans
to pick, then start/inspect/pack/slip/label/attach/ship, the odd note or hold, chosen by
the same rules the convergence test uses (``tests.mobile.workload``) on the device's view
of each order — **push** them, then **pull** what changed. Meanwhile an intake task posts
new marketplace orders, HMAC-signed with the vendor's key like the real marketplace.

Devices are spread over vendors (``--devices-per-vendor``, default 10: a warehouse floor
shift per seller), as on a marketplace hosting many sellers.

The server is started by the bench, in its own process, with the production command
(``python -m server.cli run``); ``--workers`` sets its uvicorn processes (PostgreSQL).
Reported per endpoint, over the measured window after every device finished its initial
sync: requests, requests/s, errors, client-side latency p50/p95/p99/max and, for sync, the
server's own time (``Server-Timing``). Logins and initial syncs are reported separately.
A table on stdout, JSON in ``bench/results/load-<backend>-<devices>.json``.

    .venv/bin/python -m bench.load --backend sqlite --devices 200 --seconds 60
    .venv/bin/python -m bench.load --backend postgresql --devices 200 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench.measure import machine
from server.accounts import service as accounts
from server.accounts.models import User
from server.db import create_engine, session_factory
from server.ids import new_id, utcnow
from server.inventory.models import InventoryRow
from server.migrate import upgrade_sync
from server.signing import sign
from shared.sync import Mutation, PullResponse, PushRequest, PushResponse
from shared.types import Order
from tests.mobile.devices import PLENTY
from tests.mobile.workload import next_command
from tests.support import PASSWORD, free_port, fresh_database, intake_order, password_hash

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MSGPACK = "application/msgpack"
ZONES = 10

_push_encoder = msgspec.msgpack.Encoder()
_pull_decoder = msgspec.msgpack.Decoder(PullResponse)
_push_decoder = msgspec.msgpack.Decoder(PushResponse)


# ---------------------------------------------------------------------- recording


@dataclass
class Endpoint:
    """What one endpoint did during a phase."""

    latencies: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def summary(self, seconds: float) -> dict[str, Any]:
        """Counts, rate and latency percentiles (milliseconds)."""
        ok = len(self.latencies)
        errors = sum(self.errors.values())
        out: dict[str, Any] = {
            "requests": ok + errors,
            "rps": round((ok + errors) / seconds, 1) if seconds else 0.0,
            "errors": errors,
            "error_kinds": dict(self.errors),
        }
        out.update({f"client_{k}": v for k, v in percentiles(self.latencies).items()})
        if self.server:
            out.update({f"server_{k}": v for k, v in percentiles(self.server).items()})
        return out


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of milliseconds (nearest rank)."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p + 0.5) - 1))], 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(ordered[-1], 2)}


class Recorder:
    """Per phase and endpoint: latencies, server times, errors."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.phases: dict[str, dict[str, Endpoint]] = defaultdict(lambda: defaultdict(Endpoint))

    @contextmanager
    def timing(self, endpoint: str, phase: str | None = None) -> Iterator[dict[str, Any]]:
        """Time one request; the body sets ``box["response"]`` (or raises)."""
        box: dict[str, Any] = {}
        stats = self.phases[phase or self.phase][endpoint]
        started = time.perf_counter()
        try:
            yield box
        except (httpx.HTTPError, OSError) as exc:
            stats.errors[type(exc).__name__] += 1
            raise
        elapsed = (time.perf_counter() - started) * 1000
        response: httpx.Response | None = box.get("response")
        if response is None or response.status_code >= 400:
            code = "none" if response is None else str(response.status_code)
            stats.errors[code] += 1
            return
        stats.latencies.append(elapsed)
        timing = response.headers.get("server-timing", "")
        if "dur=" in timing:
            stats.server.append(float(timing.split("dur=", 1)[1].split(",", 1)[0]))


class LoopLag:
    """How late this process's event loop wakes a 10 ms timer: when it is late, every
    client-side latency above includes that much of the generator's own queueing."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def watch(self, measuring: asyncio.Event, stop: asyncio.Event) -> None:
        """Sample until ``stop``; keep the samples taken while ``measuring`` is set."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            due = loop.time() + 0.010
            await asyncio.sleep(0.010)
            if measuring.is_set():
                self.samples.append((loop.time() - due) * 1000)


class RequestFailed(Exception):
    """A request answered with an error status (already counted)."""


def cpu_times(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes that still runs."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings by the processes present in both."""
    return sum(after[pid] - before[pid] for pid in before if pid in after)


def server_pids(server_pid: int) -> list[int]:
    """The server process and its children (uvicorn workers)."""
    pids = [server_pid]
    for child in Path("/proc").iterdir():
        if child.name.isdigit():
            try:
                ppid = int((child / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == server_pid:
                pids.append(int(child.name))
    return pids


async def postgres_backends(database_url: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to the run's database (same machine)."""
    if not database_url.startswith("postgresql"):
        return []
    import asyncpg

    from server.backup import libpq_url

    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [int(r["pid"]) for r in rows]
    finally:
        await conn.close()


# ---------------------------------------------------------------------- setup


@dataclass
class Vendor:
    """A seller: its intake key and its device users."""

    id: str
    key_id: str
    key_secret: str
    emails: list[str]


async def make_vendors(database_url: str, vendors: int, users_each: int) -> list[Vendor]:
    """Vendors with plenty of stock, an intake key and ``users_each`` staff each."""
    engine = create_engine(database_url)
    made = []
    hashed = password_hash()
    try:
        async with session_factory(engine)() as session:
            for v in range(vendors):
                vendor = await accounts.create_vendor(
                    session, f"Load seller {v}", "America/New_York", "US"
                )
                key = await accounts.create_api_key(session, vendor.id, "Load market", "loadmkt")
                emails = []
                for u in range(users_each):
                    email = f"picker{u}-{vendor.id[:8]}@load.example"
                    session.add(
                        User(
                            id=new_id(),
                            vendor_id=vendor.id,
                            email=email,
                            name=f"Picker {u}",
                            role="staff",
                            password_hash=hashed,
                            disabled=False,
                        )
                    )
                    emails.append(email)
                for item in PLENTY:
                    session.add(
                        InventoryRow(vendor_id=vendor.id, reserved=0, updated_at=utcnow(), **item)
                    )
                assert key.secret is not None
                made.append(Vendor(vendor.id, key.id, key.secret, emails))
            await session.commit()
    finally:
        await engine.dispose()
    return made


def start_server(
    database_url: str, port: int, data_dir: Path, workers: int
) -> subprocess.Popen[bytes]:
    """``shipfloor run`` in its own process; returns once ``/health/ready`` answers."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHIPFLOOR_DATA_DIR": str(data_dir),
        "SHIPFLOOR_SERVE_APP": "0",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "PORT": str(port),
        "ACCESS_TOKEN_MINUTES": "240",
        "WEB_CONCURRENCY": str(workers),
        # Longer than any think time: a device's idle connection is not closed under it
        # (as behind a load balancer, whose idle timeout the server's must exceed).
        "KEEPALIVE_SECONDS": "75",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "run",
            "--no-migrate",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)


# ---------------------------------------------------------------------- the devices


@dataclass
class Run:
    """Shared state of one load run."""

    url: str
    http: httpx.AsyncClient
    rec: Recorder
    think: tuple[float, float]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    measuring: asyncio.Event = field(default_factory=asyncio.Event)
    mutations: int = 0
    rejected: int = 0


class SimDevice:
    """One phone on the floor."""

    def __init__(self, run: Run, vendor: Vendor, email: str, index: int, seed: int) -> None:
        self.run = run
        self.vendor = vendor
        self.email = email
        self.index = index
        self.rng = random.Random(seed)
        self.device_id = f"load-{uuid.uuid4().hex[:12]}"
        self.token = ""
        self.user_id = ""
        self.cursor = ""
        self.orders: dict[str, Order] = {}
        # A connection of its own, as a phone has. One client shared by 200 devices cost
        # the generator most of a core: httpcore scans every pooled connection on each
        # request (``is_idle``), so its own latency grew with the number of devices.
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(30),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    async def request(
        self, endpoint: str, method: str, path: str, phase: str | None = None, **kw: Any
    ) -> httpx.Response:
        """One timed request; :class:`RequestFailed` for an error status."""
        with self.run.rec.timing(endpoint, phase) as box:
            box["response"] = response = await self.http.request(method, self.run.url + path, **kw)
        if response.status_code >= 400:
            raise RequestFailed(f"{endpoint}: {response.status_code} {response.text[:200]}")
        return response

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": MSGPACK}

    async def login(self) -> None:
        """A real sign-in (the server checks the password)."""
        r = await self.request(
            "login", "POST", "/api/auth/login", json={"email": self.email, "password": PASSWORD}
        )
        body = r.json()
        self.token = body["access_token"]
        self.user_id = body["user"]["id"]

    async def pull(self, endpoint: str = "pull", phase: str | None = None) -> int:
        """Pull until caught up; returns the changes received."""
        got = 0
        while True:
            r = await self.request(
                endpoint,
                "GET",
                "/api/sync/pull",
                phase,
                params={"cursor": self.cursor, "limit": "500"},
                headers=self._auth(),
            )
            page = _pull_decoder.decode(r.content)
            for change in page.changes:
                self.orders[change.order.id] = change.order
            got += len(page.changes)
            self.cursor = page.cursor
            if not page.has_more:
                return got

    def _mutations(self) -> list[Mutation]:
        """One to three things the person did since the last sync."""
        ids = sorted(self.orders)
        if not ids:
            return []
        zone = [oid for i, oid in enumerate(ids) if i % ZONES == self.index % ZONES]
        out = []
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            pool = zone if zone and self.rng.random() < 0.8 else ids
            order = self.orders[self.rng.choice(pool)]
            out.append(
                Mutation(
                    mutation_id=uuid.uuid4().hex,
                    device_id=self.device_id,
                    user_id=self.user_id,
                    order_id=order.id,
                    command=next_command(order, self.rng),
                    client_time=datetime.now(UTC),
                )
            )
        return out

    async def push(self) -> None:
        """Push what was recorded (MessagePack, as the app does)."""
        batch = self._mutations()
        if not batch:
            return
        body = _push_encoder.encode(PushRequest(device_id=self.device_id, mutations=batch))
        r = await self.request(
            "push",
            "POST",
            "/api/sync/push",
            content=body,
            headers={**self._auth(), "Content-Type": MSGPACK},
        )
        results = _push_decoder.decode(r.content).results
        self.run.mutations += len(results)
        self.run.rejected += sum(1 for x in results if x.status == "rejected")

    async def work(self) -> None:
        """Think, push, pull — until the run stops."""
        lo, hi = self.run.think
        await asyncio.sleep(self.rng.uniform(0, hi))  # do not all start in step
        while not self.run.stop.is_set():
            try:
                await self.push()
                await self.pull()
            except (RequestFailed, httpx.HTTPError, OSError):
                await asyncio.sleep(1)  # counted; a device backs off and tries again
            await asyncio.sleep(self.rng.uniform(lo, hi))


async def intake(run: Run, vendors: list[Vendor], rate: float, seed: int) -> None:
    """New marketplace orders at ``rate`` per second, each for a random vendor, signed.

    Open loop, as a marketplace sends: the next order goes out on schedule whether or not
    the last one was answered (at most 100 in flight).
    """
    rng = random.Random(seed)
    slots = asyncio.Semaphore(100)
    pending: set[asyncio.Task[None]] = set()

    async def post(vendor: Vendor) -> None:
        body = json.dumps(intake_order()).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Shipfloor-Key": vendor.key_id,
            "X-Shipfloor-Timestamp": ts,
            "X-Shipfloor-Signature": sign(vendor.key_secret, ts, body),
        }
        try:
            with run.rec.timing("intake") as box:
                box["response"] = await run.http.post(
                    run.url + "/api/intake/orders", content=body, headers=headers
                )
        except (httpx.HTTPError, OSError):
            pass  # counted
        finally:
            slots.release()

    while not run.stop.is_set():
        await asyncio.sleep(rng.expovariate(rate))
        await slots.acquire()
        task = asyncio.create_task(post(rng.choice(vendors)))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending, return_exceptions=True)


async def seed_orders(url: str, vendors: list[Vendor], count: int) -> None:
    """``count`` orders per vendor through signed intake (setup, not measured)."""
    async with httpx.AsyncClient(timeout=60) as http:
        sem = asyncio.Semaphore(8)

        async def one(vendor: Vendor) -> None:
            body = json.dumps(intake_order()).encode()
            ts = str(int(time.time()))
            async with sem:
                r = await http.post(
                    url + "/api/intake/orders",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Shipfloor-Key": vendor.key_id,
                        "X-Shipfloor-Timestamp": ts,
                        "X-Shipfloor-Signature": sign(vendor.key_secret, ts, body),
                    },
                )
            r.raise_for_status()

        await asyncio.gather(*(one(v) for v in vendors for _ in range(count)))


async def drive(
    args: argparse.Namespace, url: str, vendors: list[Vendor], server_pid: int, database_url: str
) -> dict[str, Any]:
    """Log everyone in, initial-sync, then measure the steady loop for ``args.seconds``."""
    limits = httpx.Limits(
        max_connections=args.devices + 16, max_keepalive_connections=args.devices + 16
    )
    async with httpx.AsyncClient(timeout=httpx.Timeout(30), limits=limits) as http:
        rec = Recorder()
        run = Run(url, http, rec, (args.think_min, args.think_max))
        devices = [
            SimDevice(run, v, email, i, args.seed * 1000 + n)
            for n, (v, (i, email)) in enumerate(
                (v, ie) for v in vendors for ie in enumerate(v.emails)
            )
        ][: args.devices]

        # Ramp-up: logins and initial syncs, a few at a time (as a shift starts).
        ramp = asyncio.Semaphore(args.ramp_concurrency)
        ramp_started = time.perf_counter()

        async def join(device: SimDevice) -> None:
            async with ramp:
                await device.login()
                await device.pull("initial_sync_page", phase="ramp")

        rec.phase = "ramp"
        await asyncio.gather(*(join(d) for d in devices))
        ramp_seconds = time.perf_counter() - ramp_started

        # Steady state: everyone works; measured after a warm-up.
        rec.phase = "warmup"
        lag = LoopLag()
        tasks = [asyncio.create_task(d.work()) for d in devices]
        tasks.append(asyncio.create_task(lag.watch(run.measuring, run.stop)))
        tasks.append(asyncio.create_task(intake(run, vendors, args.intake_rate, args.seed)))
        await asyncio.sleep(args.warmup)
        load_before = os.getloadavg()
        mutations_before = run.mutations
        pids = server_pids(server_pid)
        backends = await postgres_backends(database_url)
        server_cpu_before = cpu_times(pids)
        db_cpu_before = cpu_times(backends)
        rec.phase = "steady"
        run.measuring.set()
        measured_started = time.perf_counter()
        await asyncio.sleep(args.seconds)
        run.measuring.clear()
        rec.phase = "drain"
        measured = time.perf_counter() - measured_started
        load_after = os.getloadavg()
        server_cpu = cpu_used(server_cpu_before, cpu_times(pids))
        # Backends opened or closed during the window are not counted.
        db_cpu = cpu_used(db_cpu_before, cpu_times(backends))
        mutations = run.mutations - mutations_before
        run.stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(d.http.aclose() for d in devices))

    steady = {name: ep.summary(measured) for name, ep in sorted(rec.phases["steady"].items())}
    ramp_stats = {name: ep.summary(ramp_seconds) for name, ep in sorted(rec.phases["ramp"].items())}
    total_rps = sum(s["rps"] for s in steady.values())
    answered = sum(s["requests"] for s in steady.values())
    return {
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_share": round(server_cpu / measured, 2),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / answered, 2) if answered else None,
        "postgres_cpu_seconds_same_backends": round(db_cpu, 2),
        "steady_seconds": round(measured, 1),
        "steady": steady,
        "steady_total_rps": round(total_rps, 1),
        "steady_errors": sum(s["errors"] for s in steady.values()),
        "mutations_per_second": round(mutations / measured, 1),
        "rejected_mutations": run.rejected,
        "ramp_seconds": round(ramp_seconds, 1),
        "ramp": ramp_stats,
        "loadavg_steady_start": [round(x, 2) for x in load_before],
        "loadavg_steady_end": [round(x, 2) for x in load_after],
        "generator_loop_lag_ms": percentiles(lag.samples),
    }


def table(result: dict[str, Any]) -> str:
    """The per-endpoint table of the steady phase (and the ramp-up)."""
    head = (
        f"{'phase':<7} {'endpoint':<18} {'reqs':>7} {'req/s':>7} {'errors':>6} "
        f"{'p50':>7} {'p95':>7} {'p99':>7} {'max':>8} {'srv p50':>8} {'srv p99':>8}"
    )
    lines = [head, "-" * len(head)]
    for phase in ("ramp", "steady"):
        for name, s in result[phase].items():
            lines.append(
                f"{phase:<7} {name:<18} {s['requests']:>7} {s['rps']:>7} {s['errors']:>6} "
                f"{s.get('client_p50', 0):>7} {s.get('client_p95', 0):>7} "
                f"{s.get('client_p99', 0):>7} {s.get('client_max', 0):>8} "
                f"{s.get('server_p50', ''):>8} {s.get('server_p99', ''):>8}"
            )
    return "\n".join(lines)


def main() -> None:
    """Set up a database, start the server, run the load, print and save the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--devices-per-vendor", type=int, default=10)
    parser.add_argument("--orders-per-vendor", type=int, default=60, help="seeded before the run")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured steady window")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--intake-rate", type=float, default=5.0, help="new orders per second")
    parser.add_argument("--ramp-concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes (PostgreSQL)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="", help="suffix of the result file name")
    args = parser.parse_args()

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    vendors_needed = -(-args.devices // args.devices_per_vendor)
    with tempfile.TemporaryDirectory(prefix="shipfloor-load-") as tmp:
        data_dir = Path(tmp)
        with fresh_database(args.backend, data_dir) as url:
            upgrade_sync(url)
            vendors = asyncio.run(make_vendors(url, vendors_needed, args.devices_per_vendor))
            port = free_port()
            server = start_server(url, port, data_dir / "data", args.workers)
            base = f"http://127.0.0.1:{port}"
            try:
                asyncio.run(seed_orders(base, vendors, args.orders_per_vendor))
                loadavg_start = os.getloadavg()
                result = asyncio.run(drive(args, base, vendors, server.pid, url))
            finally:
                server.terminate()
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()

    report = {
        "benchmark": "load",
        "backend": args.backend,
        "devices": args.devices,
        "vendors": vendors_needed,
        "workers": args.workers,
        "think_seconds": [args.think_min, args.think_max],
        "intake_rate": args.intake_rate,
        "orders_per_vendor_seeded": args.orders_per_vendor,
        "loadavg_at_start": [round(x, 2) for x in loadavg_start],
        "machine": machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **result,
    }
    print(table(result))
    print(
        f"steady: {result['steady_total_rps']} req/s, {result['mutations_per_second']} "
        f"mutations/s, errors {result['steady_errors']}; server CPU "
        f"{result['server_cpu_share']} cores, {result['server_cpu_ms_per_request']} ms/request; "
        f"loadavg {report['loadavg_at_start']} -> {result['loadavg_steady_end']}; "
        f"generator loop lag ms {result['generator_loop_lag_ms']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS / f"load-{args.backend}-{args.devices}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
