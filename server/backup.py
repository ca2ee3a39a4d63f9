"""Backups and restores of the whole database, and the step that makes a restore safe to sync.

**Backup** (safe while servers run):

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database
  in one read transaction, so the copy is one consistent moment even while the server
  writes (WAL: writers do not wait for it). Written to ``PATH.partial``, then renamed.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot; does not block writers).

**Restore** (servers stopped) into the configured database, which must be empty unless
``force``: SQLite copies the backup in with the same API; PostgreSQL runs ``pg_restore``.
Then the database is migrated to head (a backup from an older release) and
:func:`renumber_after_restore` runs.

Why renumber: devices hold a pull cursor, a position in each vendor's change sequence.
A device that synced *after* the backup was taken holds a position the restored database
never reached, and orders whose newer state it has seen went back to their older state.
Left alone, the restored server would hand out those sequence values again for new
changes, and such a device would silently skip changes (and keep states the server no
longer has). So every vendor's sequence jumps past anything it could have handed out
before (to at least the current time in microseconds: a sequence grows by one per
change, far slower than the clock) and every order is stamped with a new value above the
jump. Any cursor from before the restore is then behind every order, and the device's
next pull brings the whole restored state, each order with a version higher than any the
device has seen, so the server's state replaces the device's. No protocol change, no
device code involved. Work recorded only after the backup is lost from the server (the
devices show the restored state); that is what restoring an older backup means.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url

from shared.types import Order

#: orders renumbered per statement batch
_BATCH = 1000
_order_decoder = msgspec.json.Decoder(Order)
_order_encoder = msgspec.json.Encoder()


class BackupError(RuntimeError):
    """A backup or restore could not be done (the message says why and what to do)."""


@dataclass(frozen=True)
class Renumbered:
    """What :func:`renumber_after_restore` did."""

    vendors: int
    orders: int
    #: the lowest new change sequence value handed out
    floor: int


def is_sqlite(database_url: str) -> bool:
    """Whether the URL is an SQLite database."""
    return database_url.startswith("sqlite")


def sqlite_path(database_url: str) -> Path:
    """The file of an SQLite URL (``sqlite+aiosqlite:///path``)."""
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def libpq_url(database_url: str) -> str:
    """The URL as ``pg_dump``/``pg_restore`` take it (no SQLAlchemy driver suffix)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else "")
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


# ---------------------------------------------------------------------- backup


def backup(database_url: str, path: Path) -> Path:
    """Write a backup of the database to ``path`` (safe while servers run)."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(database_url):
            _sqlite_copy(sqlite_path(database_url), partial, must_exist=True)
        else:
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={partial}",
                    f"--dbname={libpq_url(database_url)}",
                ]
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _sqlite_copy(source: Path, target: Path, *, must_exist: bool) -> None:
    """Copy one SQLite database into another with the online backup API (one step)."""
    if must_exist and not source.exists():
        raise BackupError(f"no database at {source}")
    # Read-only URI: a backup never creates or changes the source.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            # pages=-1: everything in one step, inside one read transaction: a consistent
            # copy even while the server writes (stepwise copies restart on every write).
            src.backup(dst, pages=-1)
            check = dst.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()


# ---------------------------------------------------------------------- restore


def restore(database_url: str, path: Path, *, force: bool = False) -> Renumbered:
    """Restore the backup at ``path`` into the database, migrate it and renumber it.

    The database must be empty (a new SQLite file, a new PostgreSQL database) unless
    ``force``, which replaces what it holds. Stop every server first.
    """
    from server.migrate import upgrade_sync

    path = path.resolve()
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    if is_sqlite(database_url):
        _restore_sqlite(sqlite_path(database_url), path, force)
    else:
        _restore_postgres(database_url, path, force)
    upgrade_sync(database_url)
    return asyncio.run(renumber_after_restore(database_url))


def _restore_sqlite(target: Path, backup_file: Path, force: bool) -> None:
    probe = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        sound = probe.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        sound = False
    finally:
        probe.close()
    if not sound:
        raise BackupError(f"{backup_file} is not an SQLite backup (or is damaged)")
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"{target} exists: restore into a new file, or pass --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        if force:
            leftover.unlink(missing_ok=True)
    _sqlite_copy(backup_file, target, must_exist=True)


def _restore_postgres(database_url: str, backup_file: Path, force: bool) -> None:
    tables = asyncio.run(_table_count(database_url))
    if tables and not force:
        raise BackupError(
            f"the database already has {tables} tables: restore into a new database "
            "(createdb), or pass --force to replace its contents"
        )
    command = [
        _tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={libpq_url(database_url)}",
    ]
    if force and tables:
        command[1:1] = ["--clean", "--if-exists"]
    _run([*command, str(backup_file)])


async def _table_count(database_url: str) -> int:
    import asyncpg

    try:
        conn = await asyncpg.connect(libpq_url(database_url))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot open the database ({exc}); create it first (createdb)") from exc
    try:
        value = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return int(value or 0)
    finally:
        await conn.close()


async def renumber_after_restore(database_url: str, floor: int | None = None) -> Renumbered:
    """Move every vendor's change sequence past any value it handed out before, and stamp
    every order with a new value above that (see the module docs). Idempotent in effect:
    running it again just moves everything up once more.

    ``floor`` (tests) overrides the clock-based lower bound.
    """
    from server.db import create_engine

    floor = floor if floor is not None else time.time_ns() // 1000
    engine = create_engine(database_url)
    vendors = orders = 0
    try:
        async with engine.begin() as conn:
            ids = [r[0] for r in await conn.execute(text("SELECT id FROM vendors ORDER BY id"))]
            for vendor_id in ids:
                current = (
                    await conn.execute(
                        text("SELECT change_seq FROM vendors WHERE id = :v"), {"v": vendor_id}
                    )
                ).scalar_one()
                base = max(int(current or 0), floor)
                rows = (
                    await conn.execute(
                        text("SELECT id, doc FROM orders WHERE vendor_id = :v ORDER BY seq"),
                        {"v": vendor_id},
                    )
                ).all()
                update = text("UPDATE orders SET seq = :seq, doc = :doc WHERE id = :id").bindparams(
                    bindparam("seq"), bindparam("doc"), bindparam("id")
                )
                for start in range(0, len(rows), _BATCH):
                    batch = []
                    for offset, (order_id, doc) in enumerate(rows[start : start + _BATCH]):
                        seq = base + start + offset + 1
                        order = msgspec.structs.replace(_order_decoder.decode(doc), version=seq)
                        batch.append(
                            {
                                "seq": seq,
                                "doc": _order_encoder.encode(order).decode(),
                                "id": order_id,
                            }
                        )
                    await conn.execute(update, batch)
                await conn.execute(
                    text("UPDATE vendors SET change_seq = :s WHERE id = :v"),
                    {"s": base + len(rows), "v": vendor_id},
                )
                vendors += 1
                orders += len(rows)
    finally:
        await engine.dispose()
    return Renumbered(vendors=vendors, orders=orders, floor=floor)
