"""Orders at scale: list, search and CSV export over real HTTP, on SQLite and PostgreSQL.

For each backend: a fresh database migrated by Alembic, a seller's history bulk-loaded
(``bench.dataset``), the real server started in its own process (``bench.serve``), then
each kind of request timed from a client over 127.0.0.1. Prints a table and writes JSON
to ``bench/results/``. A benchmark, not a test: nothing here fails on a slow number.

    .venv/bin/python -m bench.orders_bench --backend both --orders 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.dataset import COMMON_NAME, PASSWORD, RARE_COUNT, RARE_NAME, Loaded, load
from bench.measure import MemoryWatch, Timings, machine
from server.migrate import upgrade_sync

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now (never the demo's 8000)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg(sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """An empty database: a SQLite file in ``tmp``, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    name = f"shipfloor_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_info(backend: str, url: str, tmp: Path) -> dict[str, Any]:
    """Engine version and size on disk after loading."""
    if backend == "sqlite":
        import sqlite3

        size = sum(p.stat().st_size for p in tmp.glob("bench.db*"))
        return {"engine": f"SQLite {sqlite3.sqlite_version}", "size_mib": round(size / 2**20)}
    name = url.rsplit("/", 1)[1]
    version = asyncio.run(_pg("SHOW server_version"))
    size = asyncio.run(_pg(f"SELECT pg_database_size('{name}')"))
    return {"engine": f"PostgreSQL {version}", "size_mib": round(int(size) / 2**20)}


@contextmanager
def running_server(url: str, tmp: Path) -> Iterator[tuple[str, int]]:
    """The API in a subprocess; yields its base URL and process id."""
    port = free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", url, str(port), str(tmp / "data")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited; see {tmp / 'server.log'}")
            try:
                if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready in 60 s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _rows_of(response: httpx.Response) -> int:
    """Rows on a list page, or orders counted by a counts answer."""
    body = _page(response)
    return len(body["items"]) if "items" in body else int(body["total"])


def measure_requests(
    client: httpx.Client, loaded: Loaded, repeat: int, warmup: int = 3
) -> list[Timings]:
    """Time each kind of list, search and count request ``repeat`` times.

    The kinds take turns (one request of each per round) rather than running back to back,
    so a burst of other work on a shared machine spreads over all of them alike.
    """
    numbers = loaded.main.numbers
    exact = numbers[len(numbers) // 2]
    partial = exact[-5:]  # the last digits, as a seller types them off a slip

    def get(params: dict[str, Any], path: str = "/api/orders") -> Callable[[], int]:
        return lambda: _rows_of(client.get(path, params=params))

    counts = "/api/orders/counts"
    cases: list[tuple[Timings, Callable[[], int]]] = [
        (Timings("list: first page (ship-by)", note="default sort"), get({})),
        (Timings("list: newest first"), get({"sort": "created_at", "desc": "true"})),
        (Timings("list: status=processing"), get({"status": "processing"})),
        (Timings("list: status=delivered", note="biggest status"), get({"status": "delivered"})),
        (Timings("list: next pages by cursor", note="pages 2-21"), _cursor_walk(client)),
        (Timings("search: rare name", note=f"{RARE_COUNT} orders"), get({"q": RARE_NAME.lower()})),
        (Timings("search: common name"), get({"q": COMMON_NAME.lower()})),
        (Timings("search: number exact", note=exact), get({"q": exact})),
        (Timings("search: number partial", note=partial), get({"q": partial})),
        (
            Timings("search: rare name + status"),
            get({"q": RARE_NAME.lower(), "status": "delivered"}),
        ),
        (Timings("search: no match"), get({"q": "zzqx"})),
        (Timings("counts (filter chips)"), get({}, counts)),
        (Timings("counts: search common name"), get({"q": COMMON_NAME.lower()}, counts)),
    ]
    for _ in range(warmup):
        for _timings, call in cases:
            call()
    for _ in range(repeat):
        for timings, call in cases:
            timings.time(call)
    return [timings for timings, _call in cases]


def _cursor_walk(client: httpx.Client, pages: int = 20) -> Callable[[], int]:
    """Each call fetches the next page by ``next_cursor``, starting over after ``pages``."""
    state: dict[str, Any] = {"cursor": None, "depth": 0}

    def call() -> int:
        if state["cursor"] is None or state["depth"] >= pages:
            state["cursor"] = client.get("/api/orders").json()["next_cursor"]
            state["depth"] = 0
        body = _page(client.get("/api/orders", params={"cursor": state["cursor"]}))
        state["cursor"] = body["next_cursor"]
        state["depth"] += 1
        return len(body["items"])

    return call


def _page(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful answer."""
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def measure_export(client: httpx.Client, pid: int, expected: int, runs: int) -> dict[str, Any]:
    """Download the full CSV ``runs`` times: time to first and last byte, server memory."""
    attempts: list[dict[str, Any]] = []
    for _ in range(runs):
        lines = size = 0
        first = 0.0
        with MemoryWatch(pid) as memory:
            started = time.perf_counter()
            with client.stream("GET", "/api/orders/export.csv", timeout=600) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    if not first:
                        first = time.perf_counter() - started
                    lines += chunk.count(b"\n")
                    size += len(chunk)
            total = time.perf_counter() - started
        attempts.append(
            {
                "seconds": round(total, 2),
                "first_byte_ms": round(first * 1000, 1),
                "rows": lines - 1,
                "mib": round(size / 2**20, 1),
                **memory.result(),
            }
        )
        if lines - 1 != expected:
            raise RuntimeError(f"export had {lines - 1} rows, expected {expected}")
    median = sorted(attempts, key=lambda a: a["seconds"])[len(attempts) // 2]
    growth = max(a["rss_growth_mib"] for a in attempts)
    return {"median": median, "rss_growth_max_mib": growth, "runs": attempts}


def run_backend(backend: str, orders: int, other: int, repeat: int, exports: int) -> dict[str, Any]:
    """Everything for one backend; the database is gone afterwards."""
    print(f"\n== {backend}: {orders:,} orders (+{other:,} of another seller)", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="shipfloor-bench-") as tmpdir,
        fresh_database(backend, Path(tmpdir)) as url,
    ):
        tmp = Path(tmpdir)
        started = time.perf_counter()
        upgrade_sync(url)
        migrate_s = time.perf_counter() - started
        loaded = asyncio.run(load(url, orders, other))
        print(f"   migrated in {migrate_s:.1f} s, loaded in {loaded.seconds:.1f} s", flush=True)
        info = database_info(backend, url, tmp)
        with running_server(url, tmp) as (base, pid):
            # Password hashing is slow on purpose; on a busy machine it takes seconds.
            login = httpx.post(
                f"{base}/api/auth/login",
                json={"email": loaded.main.email, "password": PASSWORD},
                timeout=60,
            )
            login.raise_for_status()
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                load_before = machine()["loadavg"]
                requests = [t.summary() for t in measure_requests(client, loaded, repeat)]
                print_table(backend, requests)
                export = measure_export(client, pid, orders, exports)
        print_export(export)
    print(f"   load average before/after: {load_before} / {machine()['loadavg']}", flush=True)
    return {
        "backend": backend,
        "database": info,
        "orders": orders,
        "other_seller_orders": other,
        "lines_per_order": 3,
        "statuses": dict(loaded.main.statuses),
        "migrate_seconds": round(migrate_s, 2),
        "load_seconds": round(loaded.seconds, 1),
        # 1, 5 and 15 minute load averages: above the core count, the numbers are noisy
        "loadavg_before": load_before,
        "loadavg_after": machine()["loadavg"],
        "requests": requests,
        "export": export,
    }


def print_table(backend: str, rows: list[dict[str, Any]]) -> None:
    """The request timings as a plain-text table."""
    print(
        f"\n   {'request (' + backend + ')':<34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'rows':>6}"
    )
    for r in rows:
        print(
            f"   {r['name']:<34} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['rows']:>6}"
        )


def print_export(export: dict[str, Any]) -> None:
    """The export's median run, every run's time, and the most the server's memory grew."""
    m = export["median"]
    times = ", ".join(f"{r['seconds']:.1f}" for r in export["runs"])
    print(
        f"\n   export.csv: {m['rows']:,} rows, {m['mib']} MiB in {m['seconds']:.1f} s "
        f"(runs: {times} s); first byte {m['first_byte_ms']} ms; server RSS "
        f"{m['rss_before_mib']} MiB, grew by at most {export['rss_growth_max_mib']} MiB",
        flush=True,
    )


def _python() -> str:
    """The interpreter as the command was typed from the repository (``.venv/bin/python``)."""
    path = Path(sys.executable)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run each backend, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.orders_bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument(
        "--other-orders", type=int, default=None, help="orders of a second seller (orders/10)"
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per kind (>=30)")
    parser.add_argument("--exports", type=int, default=3, help="full CSV downloads to time")
    parser.add_argument("--label", default="", help="a word for the results file (before, after)")
    args = parser.parse_args(argv)
    other = args.orders // 10 if args.other_orders is None else args.other_orders
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([_python(), "-m", "bench.orders_bench", *sys.argv[1:]]),
        "label": args.label,
        "machine": machine(),
        "results": [],
    }
    for backend in backends:
        report["results"].append(
            run_backend(backend, args.orders, other, args.repeat, args.exports)
        )
    report["machine_after"] = {"loadavg": machine()["loadavg"]}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    label = f"-{args.label}" if args.label else ""
    path = RESULTS / f"orders-{args.backend}-{args.orders}{label}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
