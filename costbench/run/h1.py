"""A lean HTTP/1.1 transport for httpx2 on plain-http endpoints: asyncio protocols + httptools' C parser.

httpx2's stack (httpcore2 and h11, pure Python) costs about half of a costbench call's CPU against
the emulator. For ``http://`` endpoints (the emulator, a local proxy: where throughput matters) the
runner's ``httpx2.AsyncClient`` gets this transport instead (httpx2's documented extension point), so
the client API, auth headers, timeouts, content decoding (gzip…) and exceptions stay httpx2's own;
only the wire work is done here: the request written with one ``send``, the response parsed in C by
``httptools`` (the parser uvicorn uses; pinned), connections kept alive per origin.
``https://`` endpoints keep httpcore2 (see :func:`costbench.run.netio.pooled_transport`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

import httptools
import httpx2


class _Conn(asyncio.Protocol):
    """One connection: bytes go to the parser; one response at a time is collected."""

    def __init__(self, origin: tuple[bytes, bytes, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.error: httpx2.TransportError | None = None
        self.idle_since = 0.0
        self.reset()

    def reset(self) -> None:
        """Ready for the next response on this connection."""
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.head_done = False
        self.keep_alive = False
        self.framed = False
        self.complete = False
        self.waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = httpx2.RemoteProtocolError(f"malformed HTTP response: {exc}")
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False  # let the transport close

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        if exc is not None and self.error is None:
            self.error = httpx2.ReadError(f"connection lost: {type(exc).__name__}: {exc}")
        self._wake()

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # only meaningful now: the parser resets after the body
        names = {name.lower() for name, _ in self.headers}
        self.framed = b"content-length" in names or b"transfer-encoding" in names
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    async def wait(self, timeout: float | None) -> None:
        """Until more bytes arrive or the connection closes; ``httpx2.ReadTimeout`` after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        handle = loop.call_later(timeout, _expire, waiter, timeout) if timeout is not None else None
        try:
            await waiter
        finally:
            if handle is not None:
                handle.cancel()


def _expire(future: asyncio.Future[None], timeout: float) -> None:
    if not future.done():
        future.set_exception(httpx2.ReadTimeout(f"read timed out after {timeout} s"))


class H1Transport(httpx2.AsyncBaseTransport):
    """Plain-http HTTP/1.1 with keep-alive, at most ``limits.max_connections`` requests at a time."""

    def __init__(self, *, limits: httpx2.Limits) -> None:
        self._max = limits.max_connections or 100
        self._keepalive_s = limits.keepalive_expiry if limits.keepalive_expiry is not None else 5.0
        self._idle: dict[tuple[bytes, bytes, int], list[_Conn]] = {}
        self._open: set[_Conn] = set()
        self._slots: asyncio.Semaphore | None = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.raw_scheme != b"http":
            raise httpx2.UnsupportedProtocol(f"this transport speaks plain http, not {request.url.scheme!r}")
        if request.method == "HEAD":  # a HEAD response announces a body it does not send
            raise httpx2.UnsupportedProtocol("HEAD requests are not supported by this transport")
        timeouts = request.extensions.get("timeout", {})
        slots = self._slots = self._slots or asyncio.Semaphore(self._max)
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("no connection became free in time") from None
        conn: _Conn | None = None
        try:
            conn = await self._checkout(request, timeouts.get("connect"))
            await self._send(conn, request)
            while not conn.head_done:
                if conn.error is not None:
                    raise conn.error
                if conn.closed:
                    raise httpx2.RemoteProtocolError("server disconnected without sending a response")
                await conn.wait(timeouts.get("read"))
        except BaseException:
            if conn is not None:
                self._discard(conn)
            slots.release()
            raise
        return httpx2.Response(conn.status, headers=conn.headers, stream=_Body(self, conn, timeouts.get("read")),
                               extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.reason.strip()})

    async def _checkout(self, request: httpx2.Request, timeout: float | None) -> _Conn:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port or 80)
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < self._keepalive_s:
                conn.reset()
                return conn
            self._discard(conn)  # closed by the server while idle, or past keep-alive
        host = origin[1].decode("ascii")
        try:
            async with asyncio.timeout(timeout):
                _, conn = await asyncio.get_running_loop().create_connection(lambda: _Conn(origin), host, origin[2])
        except TimeoutError:
            raise httpx2.ConnectTimeout(f"connecting to {host}:{origin[2]} timed out after {timeout} s") from None
        except OSError as exc:
            raise httpx2.ConnectError(f"cannot connect to {host}:{origin[2]}: {exc}") from None
        self._open.add(conn)
        return conn

    @staticmethod
    async def _send(conn: _Conn, request: httpx2.Request) -> None:
        head = [request.method.encode(), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:  # httpx2 has set Host and Content-Length
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        if conn.closed or conn.transport is None or conn.transport.is_closing():
            raise httpx2.WriteError("the connection is closed")
        conn.transport.write(b"".join(head) + body)  # one send; the kernel buffers, the loop flushes the rest

    def release(self, conn: _Conn) -> None:
        """The response is done with: keep the connection alive if the exchange allows it."""
        if conn.complete and not conn.closed and conn.keep_alive:
            conn.idle_since = asyncio.get_running_loop().time()
            self._idle.setdefault(conn.origin, []).append(conn)
        else:
            self._discard(conn)
        assert self._slots is not None
        self._slots.release()

    def _discard(self, conn: _Conn) -> None:
        self._open.discard(conn)
        if conn.transport is not None:
            conn.transport.close()

    async def aclose(self) -> None:
        for conn in list(self._open):
            self._discard(conn)
        self._idle.clear()


class _Body(httpx2.AsyncByteStream):
    """The response body as it arrives (streams included); the connection is released once, at close."""

    def __init__(self, transport: H1Transport, conn: _Conn, timeout: float | None) -> None:
        self._transport, self._conn, self._timeout, self._closed = transport, conn, timeout, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            while conn.chunks:
                yield conn.chunks.popleft()
            if conn.complete:
                return
            if conn.error is not None:
                raise conn.error
            if conn.closed:
                if conn.framed:  # a body with a length (or chunks) cut short
                    raise httpx2.RemoteProtocolError("server disconnected in the middle of the response body")
                return  # a body delimited by the end of the connection
            await conn.wait(self._timeout)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._transport.release(self._conn)
