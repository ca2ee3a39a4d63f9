"""The fault proxy does to requests exactly what it says (checked against a tiny server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.faultproxy import FaultProxy, Faults


class Upstream:
    """A minimal HTTP server that counts complete requests and partial ones."""

    def __init__(self) -> None:
        self.complete = 0
        self.partial = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> Upstream:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                try:
                    await reader.readexactly(length)
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.partial += 1
                    return
                self.complete += 1
                body = b"x" * 1000
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """The tiny server."""
    server = await Upstream().start()
    yield server
    await server.stop()


async def _post(proxy: FaultProxy) -> httpx.Response:
    async with httpx.AsyncClient(base_url=proxy.url, timeout=5) as client:
        return await client.post("/thing", content=b"y" * 5000)


async def _proxy(upstream: Upstream, faults: Faults) -> FaultProxy:
    return await FaultProxy(upstream.port, faults, seed=1).start()


async def test_without_faults_requests_pass_through(upstream: Upstream) -> None:
    proxy = await _proxy(upstream, Faults())
    response = await _post(proxy)
    assert (response.status_code, len(response.content)) == (200, 1000)
    assert (upstream.complete, proxy.stats["pass"]) == (1, 1)
    await proxy.stop()


@pytest.mark.parametrize(
    ("faults", "complete", "partial"),
    [
        (Faults(drop_request=1.0), 0, 0),
        (Faults(cut_request=1.0), 0, 1),
        (Faults(drop_response=1.0), 1, 0),
        (Faults(cut_response=1.0), 1, 0),
    ],
)
async def test_each_fault_breaks_the_exchange_where_it_says(
    upstream: Upstream, faults: Faults, complete: int, partial: int
) -> None:
    proxy = await _proxy(upstream, faults)
    with pytest.raises(httpx.TransportError):
        await _post(proxy)
    await asyncio.sleep(0.05)
    assert (upstream.complete, upstream.partial) == (complete, partial)
    proxy.heal()
    assert (await _post(proxy)).status_code == 200
    await proxy.stop()


async def test_a_network_that_is_down_resets_every_connection(upstream: Upstream) -> None:
    proxy = await _proxy(upstream, Faults())
    proxy.set_down()
    with pytest.raises(httpx.TransportError):
        await _post(proxy)
    assert upstream.complete == 0
    proxy.set_down(False)
    assert (await _post(proxy)).status_code == 200
    await proxy.stop()


async def test_delays_slow_requests_down_without_breaking_them(upstream: Upstream) -> None:
    proxy = await _proxy(upstream, Faults(delay=1.0, max_delay=0.05))
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(5):
        assert (await _post(proxy)).status_code == 200
    assert loop.time() - started > 0.02
    assert proxy.stats["delay"] == 5
    await proxy.stop()
