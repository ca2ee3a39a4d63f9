"""The API server alone, as the benchmark runs it: its own process, so its memory can be read.

``python -m bench.serve DATABASE_URL PORT DATA_DIR``. Built by the real app factory
(``server.app.create_app``) without the Flet app; uvicorn's access log is off so that
printing a line per request does not count as server time.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import uvicorn

from server.app import create_process_app
from server.settings import Settings


def main() -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("database_url")
    parser.add_argument("port", type=int)
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    settings = Settings(
        data_dir=args.data_dir,
        database_url=args.database_url,
        secret_key=secrets.token_urlsafe(32),
        port=args.port,
        # A full run on PostgreSQL and SQLite outlasts the default 15 minutes.
        access_token_minutes=240,
        serve_app=False,
    )
    uvicorn.run(
        create_process_app(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
