"""On PostgreSQL a caught-up device's pull reads outside a transaction; the connection it
used must come back to the pool in ordinary transactional mode, or the next push would run
its lock and its writes statement by statement, each committed on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from server.accounts.security import Actor
from server.db import create_engine, session_factory
from server.migrate import upgrade_sync
from server.sync.service import SyncService
from tests.support import fresh_database, make_tenant
from tests.support import test_settings as server_settings

_XACT = text("SELECT pg_current_xact_id()::text")


def test_a_pull_leaves_its_pooled_connection_transactional(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        upgrade_sync(url)
        # Tokens issued directly from the settings: no server needed for the vendor.
        shop = make_tenant("http://127.0.0.1:9", url, settings=server_settings(url, tmp_path))

        async def run() -> tuple[bool, bool, bool]:
            engine = create_engine(url)
            factory = session_factory(engine)
            actor = Actor(user_id="u", vendor_id=shop.vendor_id, role="owner", name="U")
            try:
                async with factory() as session:
                    first = await SyncService(session, actor).pull("", 10)  # a first sync
                    assert first.orders == [] and first.has_more is False
                    in_transaction = session.in_transaction() and (
                        (await session.execute(_XACT)).scalar_one()
                        == (await session.execute(_XACT)).scalar_one()
                    )
                    assert in_transaction  # first-sync pages keep their transaction
                async with factory() as session:
                    # Caught up: the cursor is in the live phase.
                    page = await SyncService(session, actor).pull(first.cursor, 10)
                    pulled_outside = not session.in_transaction() or (
                        (await session.execute(_XACT)).scalar_one()
                        != (await session.execute(_XACT)).scalar_one()
                    )
                    assert page.orders == [] and page.has_more is False
                # The next session gets the same connection back (the pool keeps one idle).
                async with factory() as session:
                    first = (await session.execute(_XACT)).scalar_one()
                    second = (await session.execute(_XACT)).scalar_one()
                    level = (await session.execute(text("SHOW transaction_isolation"))).scalar()
                    one_transaction = first == second
                return pulled_outside, one_transaction, level == "read committed"
            finally:
                await engine.dispose()

        pulled_outside, one_transaction, read_committed = asyncio.run(run())
    assert pulled_outside  # each statement its own transaction
    assert one_transaction  # the next user of the connection is back in a transaction
    assert read_committed
