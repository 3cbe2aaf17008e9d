"""The plain-http transport (costbench.run.h1): framing, streams, errors, and the connection limit."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx2
import pytest

from costbench.run.h1 import H1Transport
from costbench.run.netio import provider_transport, run


@asynccontextmanager
async def raw_server(reply: Callable[[int], bytes], close: bool = False) -> AsyncIterator[str]:
    """Answers request n (1-based) with the raw bytes ``reply(n)``; closes after each one if ``close``."""
    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                count += 1
                for piece in reply(count).split(b"|"):  # "|" marks a pause between sends
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with srv:
        yield f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"


def _client(url: str, connections: int = 2, timeout: float = 5.0) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=url, timeout=timeout,
                              transport=H1Transport(limits=httpx2.Limits(max_connections=connections)))


def test_chunked_gzip_stream_is_decoded_and_arrives_in_pieces() -> None:
    body = gzip.compress(b'data: {"n": 1}\n\ndata: {"n": 2}\n\n')
    half = len(body) // 2
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % half + body[:half] + b"\r\n|"
             + b"%x\r\n" % (len(body) - half) + body[half:] + b"\r\n|0\r\n\r\n")

    async def go() -> list[str]:
        async with raw_server(lambda n: reply) as url, _client(url) as client:
            async with client.stream("POST", "/s", content=b"{}") as resp:
                return [line async for line in resp.aiter_lines() if line]

    assert run(go()) == ['data: {"n": 1}', 'data: {"n": 2}']


def test_a_body_delimited_by_close_and_a_cut_short_body() -> None:
    async def delimited() -> bytes:
        async with raw_server(lambda n: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", close=True) as url, \
                _client(url) as client:
            return (await client.post("/x", content=b"")).content

    assert run(delimited()) == b"all of it"

    async def cut() -> None:
        async with raw_server(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", close=True) as url, \
                _client(url) as client:
            await client.post("/x", content=b"")

    with pytest.raises(httpx2.RemoteProtocolError, match="in the middle of the response body"):
        run(cut())


def test_malformed_response_and_silent_server_are_protocol_errors() -> None:
    async def call(reply: bytes) -> None:
        async with raw_server(lambda n: reply, close=True) as url, _client(url) as client:
            await client.post("/x", content=b"")

    with pytest.raises(httpx2.RemoteProtocolError, match="malformed HTTP response"):
        run(call(b"HTTP/1.1 abc nonsense\r\n\r\n"))
    with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
        run(call(b""))


def test_the_connection_limit_holds_and_slots_come_back_after_errors() -> None:
    async def go() -> tuple[int, int]:
        ok = b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n|ok'
        async with raw_server(lambda n: ok) as url:
            transport = H1Transport(limits=httpx2.Limits(max_connections=3))
            async with httpx2.AsyncClient(base_url=url, transport=transport, timeout=5) as client:
                peak = 0

                async def one() -> None:
                    nonlocal peak
                    peak = max(peak, 3 - transport._slots._value if transport._slots else 0)
                    assert (await client.post("/x", content=b"x")).content == b"ok"
                    peak = max(peak, 3 - transport._slots._value)

                await asyncio.gather(*(one() for _ in range(30)))
                with pytest.raises(httpx2.ConnectError):
                    await client.post("http://127.0.0.1:9/x", content=b"")  # refused: its slot comes back
                return peak, transport._slots._value

    peak, free = run(go())
    assert 1 <= peak <= 3 and free == 3


def test_https_goes_to_httpcore2_and_h1_refuses_it() -> None:
    limits = httpx2.Limits(max_connections=4)
    assert isinstance(provider_transport("http://127.0.0.1:8765/openai/v1", limits), H1Transport)
    assert not isinstance(provider_transport("https://api.openai.com/v1", limits), H1Transport)

    async def go() -> None:
        async with _client("https://127.0.0.1:9") as client:
            await client.get("/")

    with pytest.raises(httpx2.UnsupportedProtocol, match="plain http"):
        run(go())
