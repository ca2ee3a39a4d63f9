"""``shipfloor`` command: run the server, migrate, back up and restore, seed the demo, create
vendors, users, keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from server.settings import Settings


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[str]]) -> str:
    from server.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


#: PostgreSQL advisory lock key held while migrating ("shipflr" in ASCII)
MIGRATION_LOCK = 0x73686970666C72


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply every migration.

    On PostgreSQL under an advisory lock: instances that start together (each ``run``
    migrates first) take turns, and all but the first find the database at head.
    """
    from server.migrate import upgrade_sync

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("postgresql"):
        asyncio.run(_migrate_locked(settings.database_url, args.revision))
    else:
        upgrade_sync(settings.database_url, args.revision)
    print(f"database at {args.revision}: {redact(settings.database_url)}")
    return 0


async def _migrate_locked(database_url: str, revision: str) -> None:
    import asyncpg

    from server.backup import libpq_url
    from server.migrate import upgrade_sync

    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await asyncio.to_thread(upgrade_sync, database_url, revision)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    finally:
        await conn.close()


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Back up the database to a file (safe while servers run)."""
    from server.backup import BackupError, backup

    try:
        path = backup(settings.database_url, args.path)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup of {redact(settings.database_url)} written to {path}")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Restore a backup into the (empty) configured database; servers must be stopped."""
    from server.backup import BackupError, restore

    try:
        done = restore(settings.database_url, args.path, force=args.force)
    except BackupError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored {args.path} into {redact(settings.database_url)}; renumbered "
        f"{done.orders} orders of {done.vendors} vendors (devices re-download them once)"
    )
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Create the demo vendor with orders and inventory (once)."""
    from server.demo import seed_demo

    async def work(session: AsyncSession) -> str:
        return await seed_demo(session, orders=args.orders)

    login = asyncio.run(_with_session(settings, work))
    print(login)
    return 0


def cmd_create_vendor(settings: Settings, args: argparse.Namespace) -> int:
    """Create a vendor and its owner."""
    from server.accounts import service

    async def work(session: AsyncSession) -> str:
        vendor = await service.create_vendor(
            session,
            args.name,
            args.timezone,
            args.country,
            args.subdivision,
        )
        user = await service.create_user(
            session,
            vendor.id,
            args.owner_email,
            args.owner_name,
            args.password,
            "owner",
        )
        await session.commit()
        return f"vendor {vendor.id} created; owner {user.email}"

    print(asyncio.run(_with_session(settings, work)))
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """Add a user to a vendor."""
    from server.accounts import service

    async def work(session: AsyncSession) -> str:
        user = await service.create_user(
            session,
            args.vendor_id,
            args.email,
            args.name,
            args.password,
            args.role,
        )
        await session.commit()
        return f"user {user.id} ({user.email}, {user.role}) created"

    print(asyncio.run(_with_session(settings, work)))
    return 0


def cmd_create_api_key(settings: Settings, args: argparse.Namespace) -> int:
    """Create an intake API key and print its secret (shown only now)."""
    from server.accounts import service

    async def work(session: AsyncSession) -> str:
        key = await service.create_api_key(session, args.vendor_id, args.name, args.marketplace)
        await session.commit()
        return f"key id: {key.id}\nsecret: {key.secret}"

    print(asyncio.run(_with_session(settings, work)))
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate (unless ``--no-migrate``), optionally seed the demo, then serve API and app."""
    import uvicorn

    from server.logs import uvicorn_log_config

    if args.workers > 1 and not settings.database_url.startswith("postgresql"):
        # Live events travel between the processes of one database only through
        # PostgreSQL (LISTEN/NOTIFY); with SQLite they stay in one process.
        print("several workers need PostgreSQL (DATABASE_URL); SQLite runs one", file=sys.stderr)
        return 2
    if args.migrate:
        cmd_migrate(settings, argparse.Namespace(revision="head"))
    if args.demo:
        cmd_seed_demo(settings, argparse.Namespace(orders=200))
    print(f"Shipfloor at http://{settings.host}:{settings.port}/  (API docs: /schema)", flush=True)
    uvicorn.run(
        "server.app:create_process_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level=args.log_level,
        log_config=uvicorn_log_config(),  # access log lines without ?sig= values
        access_log=args.access_log,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        timeout_keep_alive=settings.keepalive_seconds,
    )
    return 0


def redact(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="shipfloor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="migrate and serve (API + app)")
    run.add_argument("--demo", action="store_true", help="seed the demo vendor if absent")
    run.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "1")),
        help="server processes (PostgreSQL only; default: WEB_CONCURRENCY or 1)",
    )
    run.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="skip the migration step (when a release step runs `migrate` once)",
    )
    run.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"))
    run.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log a line per request",
    )
    run.set_defaults(func=cmd_run)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)

    back = sub.add_parser("backup", help="back up the database to a file (servers may run)")
    back.add_argument("path", type=Path, help="file to write (SQLite copy or pg_dump -Fc)")
    back.set_defaults(func=cmd_backup)

    rest = sub.add_parser(
        "restore", help="restore a backup into the empty configured database (servers stopped)"
    )
    rest.add_argument("path", type=Path, help="a file written by `backup`")
    rest.add_argument("--force", action="store_true", help="replace a database that has data")
    rest.set_defaults(func=cmd_restore)

    seed = sub.add_parser("seed-demo", help="create the demo vendor, orders and inventory")
    seed.add_argument("--orders", type=int, default=200)
    seed.set_defaults(func=cmd_seed_demo)

    vendor = sub.add_parser("create-vendor", help="create a vendor and its owner")
    vendor.add_argument("name")
    vendor.add_argument("--owner-email", required=True)
    vendor.add_argument("--owner-name", default="Owner")
    vendor.add_argument("--password", required=True)
    vendor.add_argument("--timezone", default="UTC")
    vendor.add_argument("--country", default="US")
    vendor.add_argument("--subdivision", default=None)
    vendor.set_defaults(func=cmd_create_vendor)

    user = sub.add_parser("create-user", help="add a user to a vendor")
    user.add_argument("vendor_id")
    user.add_argument("email")
    user.add_argument("--name", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", choices=["owner", "staff"], default="staff")
    user.set_defaults(func=cmd_create_user)

    key = sub.add_parser("create-api-key", help="create a marketplace intake key")
    key.add_argument("vendor_id")
    key.add_argument("--name", default="Marketplace")
    key.add_argument("--marketplace", default="marketplace")
    key.set_defaults(func=cmd_create_api_key)

    from server.notifications.cli import add_commands as add_notification_commands

    add_notification_commands(sub)

    args = parser.parse_args(argv)
    return int(args.func(Settings.from_env(), args))


if __name__ == "__main__":
    sys.exit(main())
