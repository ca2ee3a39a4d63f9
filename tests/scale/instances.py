"""Server instances as separate processes, started the way production starts them.

Each is ``python -m server.cli run`` with its settings in the environment: a process of
its own shares nothing with the test or with another instance but the database, so a
test over two of them proves there is no state kept in one process that the other needs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """``shipfloor run`` in its own process on 127.0.0.1, stoppable and restartable."""

    def __init__(
        self,
        name: str,
        database_url: str,
        data_dir: Path,
        env: dict[str, str] | None = None,
        access_log: bool = False,
    ) -> None:
        self.name = name
        self.database_url = database_url
        self.data_dir = data_dir
        self.port = free_port()
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"{name}.log"
        self.access_log = access_log

    @property
    def url(self) -> str:
        """Base URL of the instance."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The instance's environment: its own data directory and port, no Flet app."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SHIPFLOOR_DATA_DIR": str(self.data_dir),
            "SHIPFLOOR_SERVE_APP": "0",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PUBLIC_URL": self.url,
            **self.extra_env,
        }

    def start(self, timeout: float = 60) -> ServerProcess:
        """Start and wait until ``/health/ready`` says the database answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server.cli",
                    "run",
                    *([] if self.access_log else ["--no-access-log"]),
                ],
                env=self.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = httpx.get(f"{self.url}/health/ready", timeout=2)
                if r.status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"instance {self.name} did not start:\n{self.tail()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM (graceful: open requests finish) and wait; returns the exit code."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL, for a crash (or a cleanup that must not wait)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def tail(self, lines: int = 40) -> str:
        """The end of the instance's log."""
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
