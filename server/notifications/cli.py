"""``shipfloor notifications …``: run the dispatcher on its own, show or rotate the VAPID key."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from server.settings import Settings


def cmd_dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver the outbox from this process (the servers then run with NOTIFY_DISPATCHER=0)."""
    from server.heap import freeze_startup_heap
    from server.notifications.dispatcher import run_standalone

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    freeze_startup_heap()  # the modules just imported: out of every full collection's way
    try:
        import uvloop  # uvicorn's loop when installed: the same loop the servers run on
    except ImportError:
        asyncio.run(run_standalone(settings, once=args.once))
    else:
        uvloop.run(run_standalone(settings, once=args.once))
    return 0


def cmd_vapid_key(settings: Settings, args: argparse.Namespace) -> int:
    """Print the public VAPID key (created if absent); ``--rotate`` makes a new one."""
    from server.db import create_engine, session_factory
    from server.notifications.webpush import ensure_key, rotate_key

    async def work() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                key = await (rotate_key(session) if args.rotate else ensure_key(session))
                return f"key id: {key.id}\npublic key: {key.public_key}"
        finally:
            await engine.dispose()

    print(asyncio.run(work()))
    if args.rotate:
        print(
            "Browsers subscribed with the old key keep getting pushes signed with it; the app "
            "subscribes again with the new key when it next turns notifications on."
        )
    return 0


def add_commands(sub: Any) -> None:
    """Register ``notifications dispatch`` and ``notifications vapid-key`` on the CLI."""
    notifications = sub.add_parser("notifications", help="notification dispatcher and keys")
    commands = notifications.add_subparsers(dest="notifications_command", required=True)
    dispatch = commands.add_parser("dispatch", help="deliver the outbox (Web Push, email)")
    dispatch.add_argument("--once", action="store_true", help="stop when nothing is due")
    dispatch.set_defaults(func=cmd_dispatch)
    vapid = commands.add_parser("vapid-key", help="show (create) or rotate the VAPID key pair")
    vapid.add_argument("--rotate", action="store_true", help="make a new current key")
    vapid.set_defaults(func=cmd_vapid_key)
