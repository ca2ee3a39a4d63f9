"""Fixtures of the scale tests: the notification tests' push service and SMTP server.

Imported, not copied: pytest registers fixtures a conftest imports.
"""

from __future__ import annotations

from tests.notifications.conftest import push, smtp

__all__ = ["push", "smtp"]
