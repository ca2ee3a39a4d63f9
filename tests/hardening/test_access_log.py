"""The access log of a real server process never holds a link's signature.

Customer links (confirm delivery, answer a stock question) and signed document links carry
their capability in ``?sig=``; the production command (``shipfloor run``, access log on)
must write those values as ``***``.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from server.logs import redact_query
from tests.scale.instances import ServerProcess
from tests.support import fresh_database

SIGNATURE = "c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ"


def test_signatures_in_links_are_not_written_to_the_access_log(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        server = ServerProcess("logged", url, tmp_path / "logged", access_log=True).start()
        try:
            paths = [
                f"/api/public/orders/nope/confirm-delivery?sig={SIGNATURE}",
                f"/api/public/orders/nope/stock-choice?lang=en&SIG={SIGNATURE}#x",
                f"/health/live?signature={SIGNATURE}&token={SIGNATURE}",
            ]
            statuses = [httpx.get(server.url + p).status_code for p in paths]
            deadline = time.monotonic() + 10
            while server.log.read_text().count('"GET ') < len(paths):
                assert time.monotonic() < deadline, server.tail()
                time.sleep(0.05)
        finally:
            server.stop()
        log = server.log.read_text()
    assert statuses[2] == 200 and all(s < 500 for s in statuses)
    assert SIGNATURE not in log
    assert "confirm-delivery?sig=*** HTTP/1.1" in log
    assert "?signature=***&token=*** HTTP/1.1" in log


def test_only_credential_parameters_are_redacted() -> None:
    assert redact_query("/api/orders?status=new&q=token&sort=sig") == (
        "/api/orders?status=new&q=token&sort=sig"
    )
    assert redact_query("/d.pdf?exp=9&sig=abc&refresh_token=r") == (
        "/d.pdf?exp=9&sig=***&refresh_token=***"
    )
