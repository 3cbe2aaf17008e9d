"""A lean asyncio network backend for httpx2's connection pool.

httpx2 (through httpcore2) reaches sockets through anyio by default. Measured on the emulator, that
layer costs about a third of the client's CPU per call: every read and write opens an anyio cancel
scope, and before each request the pool probes every idle connection with a ``poll()`` system call
reached through anyio's ``extra_attributes`` dictionary, which is rebuilt on each call
(``httpcore2._async.http11.AsyncHTTP11Connection.has_expired``). With 64 connections that is 64
probes per request.

:class:`AsyncioBackend` talks to the event loop's transports directly (an ``asyncio.Protocol`` with a
receive buffer). It knows that a connection was closed by the server because the loop told it
(``eof_received`` / ``connection_lost``), so "is this idle connection readable?" is a field read,
not a system call. TLS goes through ``loop.start_tls``. Everything above the socket (h11, the pool,
timeouts as httpx2 exceptions, redirects, auth) is httpx2's own, unchanged:
:func:`async_transport` is an ``httpx2.AsyncHTTPTransport`` whose pool uses this backend.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import httpcore2
import httpx2
from httpcore2 import (ConnectError, ConnectTimeout, ReadError, ReadTimeout, WriteError,
                       WriteTimeout)

T = TypeVar("T")
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _Protocol(asyncio.Protocol):
    """Buffers what arrives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.lost: BaseException | None = None
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # let the transport close itself

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed, self.lost = True, exc
        self._wake()
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)

    def pause_writing(self) -> None:
        if self.drain is None or self.drain.done():
            self.drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.drain is not None and not self.drain.done():
            self.drain.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float | None, error: type[Exception], what: str) -> None:
    """Await ``future``; past ``timeout`` seconds raise ``error`` (an httpcore2 exception)."""
    if timeout is None:
        await future
        return
    handle = asyncio.get_running_loop().call_later(timeout, _expire, future, error, what, timeout)
    try:
        await future
    finally:
        handle.cancel()


def _expire(future: asyncio.Future[None], error: type[Exception], what: str, timeout: float) -> None:
    if not future.done():
        future.set_exception(error(f"{what} timed out after {timeout} s"))


class AsyncioStream(httpcore2.AsyncNetworkStream):
    """One connection: reads from the protocol's buffer, writes to the transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport, self._protocol = transport, protocol
        self._unsent: list[bytes] = []
        """Writes held back until the next read: h11 writes a request's head and body separately, and
        one send of both halves the system calls (an HTTP/1.1 client always reads after it writes)."""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._unsent:
            await self._send_unsent(timeout)
        proto = self._protocol
        if not proto.buffer and not proto.eof and not proto.closed:
            proto.waiter = asyncio.get_running_loop().create_future()
            await _wait(proto.waiter, timeout, ReadTimeout, "read")
        if proto.buffer:
            data = bytes(proto.buffer[:max_bytes])
            del proto.buffer[:max_bytes]
            return data
        if proto.lost is not None:
            raise ReadError(f"connection lost: {type(proto.lost).__name__}: {proto.lost}")
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._unsent.append(buffer)
        if sum(map(len, self._unsent)) >= 65536:
            await self._send_unsent(timeout)

    async def _send_unsent(self, timeout: float | None) -> None:
        data, self._unsent = b"".join(self._unsent), []
        if self._protocol.closed or self._transport.is_closing():
            raise WriteError("the connection is closed")
        self._transport.write(data)
        drain = self._protocol.drain
        if drain is not None and not drain.done():
            await _wait(drain, timeout, WriteTimeout, "write")
            if self._protocol.closed:
                raise WriteError("the connection closed while writing")

    async def aclose(self) -> None:
        self._unsent.clear()
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                           server_hostname=server_hostname)
        except TimeoutError as exc:
            self._transport.close()
            raise ConnectTimeout(f"TLS handshake timed out after {timeout} s") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise ConnectError(f"TLS handshake failed: {exc}") from exc
        if tls is None:  # the connection closed during the handshake
            raise ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = tls  # type: ignore[assignment]
        return AsyncioStream(tls, self._protocol)  # type: ignore[arg-type]

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # an idle connection is "readable" only when the server closed it
            return bool(self._protocol.buffer) or self._protocol.eof or self._protocol.closed
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    """Opens connections with the running event loop's own transports (asyncio or uvloop)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None) -> httpcore2.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        return await self._connect(lambda loop, proto: loop.create_connection(proto, host, port, local_addr=local),
                                   f"{host}:{port}", timeout, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None) -> httpcore2.AsyncNetworkStream:
        return await self._connect(lambda loop, proto: loop.create_unix_connection(proto, path),
                                   path, timeout, socket_options)

    async def _connect(self, open_: Any, where: str, timeout: float | None,
                       socket_options: Iterable[SocketOption] | None) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await open_(loop, _Protocol)
        except TimeoutError as exc:
            raise ConnectTimeout(f"connecting to {where} timed out after {timeout} s") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {where}: {exc}") from exc
        sock: socket.socket | None = transport.get_extra_info("socket")
        for option in socket_options or ():
            if sock is not None:
                sock.setsockopt(*option)  # type: ignore[arg-type]
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new uvloop event loop (asyncio's own when uvloop is missing).

    uvloop (pinned; uvicorn uses it too) runs the same runner with 8-20 % less CPU per call here
    (``bench/runner_overhead.py``): its transports, timers and callbacks are in C.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover  (uvloop is in requirements.lock)
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def async_transport(*, limits: httpx2.Limits, verify: bool | ssl.SSLContext = True) -> httpx2.AsyncHTTPTransport:
    """An ``httpx2.AsyncHTTPTransport`` (HTTP/1.1, no proxy) whose connection pool uses :class:`AsyncioBackend`.

    httpx2 has no public parameter for the network backend, so the transport's pool is rebuilt with the
    same settings httpx2 would use; ``tests/test_netio.py`` checks that this still holds for the pinned
    httpx2 version.
    """
    transport = httpx2.AsyncHTTPTransport(verify=verify, limits=limits)
    old = transport._pool
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=old._ssl_context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        http1=True, http2=False, network_backend=AsyncioBackend())
    return transport


class PooledTransport(httpx2.AsyncBaseTransport):
    """Spreads requests over several small connection pools (least busy first)."""

    def __init__(self, pools: list[httpx2.AsyncHTTPTransport]) -> None:
        self._pools = pools
        self._busy = [0] * len(pools)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        busy = self._busy
        i = busy.index(min(busy))
        busy[i] += 1
        try:
            response = await self._pools[i].handle_async_request(request)
        except BaseException:
            busy[i] -= 1
            raise
        response.stream = _Release(response.stream, busy, i)  # type: ignore[assignment]
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Release(httpx2.AsyncByteStream):
    def __init__(self, stream: Any, busy: list[int], index: int) -> None:
        self._stream, self._busy, self._index, self._done = stream, busy, index, False

    async def __aiter__(self) -> Any:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            self._busy[self._index] -= 1
        await self._stream.aclose()


def pooled_transport(*, limits: httpx2.Limits, verify: bool | ssl.SSLContext = True, per_pool: int = 8) -> httpx2.AsyncBaseTransport:
    total = limits.max_connections or 100
    n = max(1, -(-total // per_pool))
    if n == 1:
        return async_transport(limits=limits, verify=verify)
    size = -(-total // n)
    return PooledTransport([async_transport(limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=limits.keepalive_expiry), verify=verify) for _ in range(n)])


def provider_transport(base_url: str, limits: httpx2.Limits) -> httpx2.AsyncBaseTransport:
    """The runner's transport: :class:`costbench.run.h1.H1Transport` for plain-http endpoints (the emulator, a
    local proxy), httpcore2 on :class:`AsyncioBackend` in pools of 8 for https (real providers)."""
    if base_url.startswith("http://"):
        from costbench.run.h1 import H1Transport

        return H1Transport(limits=limits)
    return pooled_transport(limits=limits, verify=True)
