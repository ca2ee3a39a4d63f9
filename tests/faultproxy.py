"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, for testing clients against a bad network.

Put it between a client and the test server; each request meets one fate, drawn at random
(seeded) from :class:`Faults`:

- ``drop_request``: the connection is reset before anything reaches the server;
- ``cut_request``: part of the request reaches the server, then both sides are reset
  (the server sees a body that never completes);
- ``drop_response``: the whole request reaches the server, which answers (and has
  committed); the client gets a reset instead of the answer;
- ``cut_response``: part of the answer reaches the client, then a reset;
- ``delay``: the request waits up to ``max_delay`` seconds before going on.

:meth:`FaultProxy.heal` turns every fault off; :meth:`FaultProxy.set_down` makes the
network unreachable (every connection is reset at once). The proxy understands just
enough HTTP/1.1 (Content-Length and chunked bodies, keep-alive) to know where each
request and response ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    """Probability of each fault per request (they are tried in this order)."""

    drop_request: float = 0.0
    cut_request: float = 0.0
    drop_response: float = 0.0
    cut_response: float = 0.0
    delay: float = 0.0
    max_delay: float = 0.2

    def choose(self, rng: random.Random) -> str:
        """The fate of one request: a fault name or ``"pass"``."""
        roll = rng.random()
        for name in ("drop_request", "cut_request", "drop_response", "cut_response", "delay"):
            chance: float = getattr(self, name)
            if roll < chance:
                return name
            roll -= chance
        return "pass"


NO_FAULTS = Faults()


class _Closed(Exception):
    """The peer closed the connection between messages."""


async def _read_message(
    reader: asyncio.StreamReader, *, request: bool, method: str = ""
) -> tuple[bytes, bytes, dict[str, str]]:
    """One HTTP message: its head, its body (as sent, chunk framing kept) and its headers."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Closed from exc
        raise
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    status = 0 if request else int(lines[0].split(" ", 2)[1])
    if not request and (method == "HEAD" or status in (204, 304) or 100 <= status < 200):
        return head, b"", headers
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return head, await _read_chunked(reader), headers
    if "content-length" in headers:
        return head, await reader.readexactly(int(headers["content-length"])), headers
    if request:
        return head, b"", headers
    return head, await reader.read(), headers  # a response that ends when the server closes


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        parts.append(size_line)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = await reader.readuntil(b"\r\n")
                parts.append(trailer)
                if trailer == b"\r\n":
                    return b"".join(parts)
        parts.append(await reader.readexactly(size + 2))


def _reset(writer: asyncio.StreamWriter | None) -> None:
    """Close with a TCP reset (SO_LINGER 0), like a dropped Wi-Fi link or a crashed box."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """An asyncio HTTP proxy from ``127.0.0.1:port`` to the upstream server."""

    def __init__(
        self,
        upstream_port: int,
        faults: Faults = NO_FAULTS,
        *,
        seed: int | None = None,
        upstream_host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.faults = faults
        self.rng = random.Random(seed)
        self.port = port
        self.down = False
        self.stats: Counter[str] = Counter()
        #: (method and path, seconds the server took) for every request that reached it
        self.timings: list[tuple[str, float]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Base URL clients use instead of the server's."""
        return f"http://127.0.0.1:{self.port}"

    def heal(self) -> None:
        """No more faults, and the network is up."""
        self.faults = NO_FAULTS
        self.down = False

    def set_down(self, down: bool = True) -> None:
        """Make the network unreachable (every connection reset at once), or bring it back."""
        self.down = down

    async def start(self) -> FaultProxy:
        """Listen (in the running event loop)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._one_exchange(reader, writer):
                pass
            writer.close()
        except _Closed:
            writer.close()  # the client is done with this connection
        except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.CancelledError):
            _reset(writer)
        finally:
            self._connections.discard(task)

    async def _one_exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Carry one request and its response; ``False`` when the connection is over.

        Each request gets its own upstream connection, so a keep-alive connection the
        server closed while idle can never pass for a fault of the network.
        """
        head, body, headers = await _read_message(reader, request=True)
        method = head.split(b" ", 1)[0].decode("latin-1")
        fate = "down" if self.down else self.faults.choose(self.rng)
        self.stats[fate] += 1
        if fate in ("down", "drop_request"):
            raise ConnectionResetError(fate)
        if fate == "delay":
            await asyncio.sleep(self.rng.uniform(0, self.faults.max_delay))
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            if fate == "cut_request":
                up_writer.write(head + body[: len(body) // 2])
                await up_writer.drain()
                await asyncio.sleep(0.01)  # let the server start reading what it got
                _reset(up_writer)
                raise ConnectionResetError(fate)
            sent = time.perf_counter()
            up_writer.write(head + body)
            await up_writer.drain()
            resp_head, resp_body, resp_headers = await _read_message(
                up_reader, request=False, method=method
            )
            target = head.split(b" ", 2)[1].split(b"?", 1)[0].decode("latin-1")
            self.timings.append((f"{method} {target}", time.perf_counter() - sent))
        finally:
            up_writer.close()
        if fate == "drop_response":
            raise ConnectionResetError(fate)
        if fate == "cut_response":
            writer.write(resp_head + resp_body[: len(resp_body) // 2])
            await writer.drain()
            raise ConnectionResetError(fate)
        writer.write(resp_head + resp_body)
        await writer.drain()
        closing = "close" in (
            headers.get("connection", "").lower() + resp_headers.get("connection", "").lower()
        )
        return not (closing or self.down)


class ProxyThread:
    """A :class:`FaultProxy` in its own thread and event loop (for synchronous tests)."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> ProxyThread:
        """Start the loop and the proxy."""
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        """Stop the proxy and the loop."""
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
