"""Logging of a server process: uvicorn's access log without the secrets some URLs carry.

Customer links and signed document links hold their capability in the query
(``?sig=…``: whoever has the link may confirm a delivery, answer a stock question or read a
label). An access log line is read by more people and kept longer than the mail that
carried the link, so the values of such parameters are written as ``***``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: query parameters whose values are credentials
SECRET_PARAMS = ("sig", "signature", "token", "access_token", "refresh_token")

_NAMES = "|".join(SECRET_PARAMS)
_SECRET = re.compile(rf"([?&](?:{_NAMES})=)[^&#\s]*", re.IGNORECASE)


def redact_query(path: str) -> str:
    """``path`` with the values of :data:`SECRET_PARAMS` replaced by ``***``."""
    return _SECRET.sub(r"\1***", path)


class RedactSecrets(logging.Filter):
    """For uvicorn's access logger: its third argument is the path with the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with :class:`RedactSecrets` on the access log.

    A dictionary (not a logger touched in this process) because each worker process of
    ``--workers N`` applies it for itself.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": "server.logs.RedactSecrets"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_secrets")
    return config
