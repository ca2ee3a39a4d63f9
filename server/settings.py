"""Settings from the environment, in one object, with defaults that run the demo as is."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from server.accounts.throttle import LoginLimits
from server.notifications.settings import NotificationSettings


def _data_dir() -> Path:
    return Path(os.environ.get("SHIPFLOOR_DATA_DIR", "var")).resolve()


def _secret_key(data_dir: Path) -> str:
    """The token-signing secret: ``SECRET_KEY`` or, for the embedded demo, one kept on disk.

    Several instances must share one secret, so production sets ``SECRET_KEY``; the file
    fallback only exists so ``make run`` needs no configuration.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a server instance."""

    data_dir: Path = field(default_factory=_data_dir)
    database_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    max_body_bytes: int = 2 * 1024 * 1024
    intake_clock_skew_seconds: int = 300
    serve_app: bool = True
    debug: bool = False
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    #: per-carrier webhook secrets ("demo=…,ups=…"); unset ones are derived from secret_key
    carrier_webhook_secrets: dict[str, str] = field(default_factory=dict)
    #: public address of this server, for links in emails (delivery confirmation)
    public_url: str = "http://127.0.0.1:8000"
    #: addresses of the load balancers whose X-Forwarded-For/-Proto uvicorn trusts
    forwarded_allow_ips: str = "127.0.0.1"
    #: on SIGTERM, open requests (and live-event streams) get this long before they are cut
    graceful_shutdown_seconds: int = 10
    #: idle keep-alive connections are closed after this long; behind a load balancer, set
    #: it above the balancer's idle timeout (else it reuses a connection being closed)
    keepalive_seconds: int = 5
    #: failed sign-ins allowed per account and per client address (see accounts/throttle.py)
    login_limits: LoginLimits = field(default_factory=LoginLimits)

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment (see README, "Configuration")."""
        data_dir = _data_dir()
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'shipfloor.db'}"
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(url),
            secret_key=_secret_key(data_dir),
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            access_token_minutes=int(os.environ.get("ACCESS_TOKEN_MINUTES", "15")),
            refresh_token_days=int(os.environ.get("REFRESH_TOKEN_DAYS", "30")),
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", str(2 * 1024 * 1024))),
            serve_app=os.environ.get("SHIPFLOOR_SERVE_APP", "1") != "0",
            debug=os.environ.get("SHIPFLOOR_DEBUG", "0") == "1",
            notifications=NotificationSettings.from_env(),
            carrier_webhook_secrets=_pairs(os.environ.get("CARRIER_WEBHOOK_SECRETS", "")),
            public_url=os.environ.get(
                "PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
            ).rstrip("/"),
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            graceful_shutdown_seconds=int(os.environ.get("GRACEFUL_SHUTDOWN_SECONDS", "10")),
            keepalive_seconds=int(os.environ.get("KEEPALIVE_SECONDS", "5")),
            login_limits=LoginLimits.from_env(),
        )


def _pairs(text: str) -> dict[str, str]:
    """``"a=1,b=2"`` as a dict (for per-carrier secrets)."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {k.strip().lower(): v.strip() for k, v in pairs}


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` and ``sqlite:///`` forms and pick the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
