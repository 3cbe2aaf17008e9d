"""The runner's HTTP client: ``httpx2.AsyncClient`` over aiohttp (``httpx_aiohttp.httpx2``), http and https alike.

Kept libraries do the HTTP work: aiohttp parses and frames (its C parser), httpx2 gives the API, the
exceptions and the proxy routing. What this module adds is policy, on top of them:

- **proxies** from ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``, routed by httpx2 itself
  exactly as a plain ``httpx2.AsyncClient`` does (``trust_env``): each proxy mount gets its own aiohttp
  transport (``Httpx2AiohttpClient``'s pattern, the one the openai SDK uses);
- **header values** with CR, LF or NUL are refused before anything is sent (:class:`UnsafeHeader`,
  naming the header, never its value);
- **bounded sizes**: a response header line or field above :data:`MAX_HEADER_BYTES`, more than
  :data:`MAX_HEADERS` headers, or a body above ``max_body_bytes`` is an error (:class:`ResponseTooLarge`);
- **backpressure**: a streamed body is read in chunks from aiohttp's bounded buffer
  (:data:`READ_BUFFER_BYTES`); when the reader stops, aiohttp stops reading the socket.

aiohttp errors the kept mapping does not know (an oversized header, a malformed status line) come out as
``httpx2.RemoteProtocolError``, so callers only ever see httpx2's exception tree.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import aiohttp
import httpx2
from httpx_aiohttp.httpx2 import AiohttpTransport, Httpx2AiohttpClient
from httpx_aiohttp.httpx2.transport import AiohttpResponseStream

T = TypeVar("T")
MAX_HEADER_BYTES = 8190
"""Longest response status line, header line or header field accepted (aiohttp's and nginx's default)."""
MAX_HEADERS = 128
"""Most response headers accepted."""
MAX_BODY_BYTES = 32 * 1024 * 1024
"""Default cap of one response body (a chat completion is a few kB; a long stream a few MB)."""
READ_BUFFER_BYTES = 64 * 1024
"""aiohttp's per-connection read buffer: past it, the socket is no longer read until the body is consumed."""
_UNSAFE = re.compile(rb"[\r\n\x00]")


class UnsafeHeader(httpx2.LocalProtocolError):
    """A request header value holds CR, LF or NUL: sending it would inject headers. Never retried."""


class ResponseTooLarge(httpx2.RemoteProtocolError):
    """A response body passed the client's cap. Never retried: the same request would get the same."""


def unsafe_header(headers: httpx2.Headers) -> str | None:
    """The name of the first header whose value holds CR, LF or NUL, else None."""
    raw = headers.raw
    if not _UNSAFE.search(b"\t".join(b"\t".join(pair) for pair in raw)):  # one scan: the usual case
        return None
    return next(name.decode("ascii", errors="replace") for name, value in raw
                if _UNSAFE.search(name) or _UNSAFE.search(value))


class _BoundedStream(AiohttpResponseStream):
    """An aiohttp body that stops with :class:`ResponseTooLarge` after ``limit`` bytes."""

    def __init__(self, response: aiohttp.ClientResponse, limit: int) -> None:
        super().__init__(response)
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in super().__aiter__():
            seen += len(chunk)
            if seen > self._limit:
                raise ResponseTooLarge(f"response body larger than {self._limit} bytes: refused")
            yield chunk


class BoundedTransport(AiohttpTransport):
    """httpx-aiohttp's transport with the checks of this module and bounded aiohttp buffers."""

    def __init__(self, *, max_body_bytes: int = MAX_BODY_BYTES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_body_bytes = max_body_bytes

    def get_client(self) -> aiohttp.ClientSession:
        limit = self.limits.max_connections or 100
        connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=self.limits.keepalive_expiry or 5.0,
                                         ssl=self.ssl_context)
        # trust_env=False: proxies are httpx2's routing (one transport per proxy mount), never aiohttp's own.
        return aiohttp.ClientSession(connector=connector, trust_env=False, read_bufsize=READ_BUFFER_BYTES,
                                     max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES,
                                     max_headers=MAX_HEADERS)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        bad = unsafe_header(request.headers)
        if bad is not None:
            raise UnsafeHeader(f"header {bad!r} holds a line break or NUL: not sent", request=request)
        try:
            response = await super().handle_async_request(request)
        except httpx2.ConnectTimeout as exc:  # httpx-aiohttp 0.2.0 maps a TLS failure to ConnectTimeout
            if isinstance(exc.__cause__, aiohttp.ClientSSLError):
                raise httpx2.ConnectError(str(exc), request=request) from exc.__cause__
            raise
        except aiohttp.ClientError as exc:  # outside httpx-aiohttp's map: oversized or malformed response head
            raise httpx2.RemoteProtocolError(f"bad response from {request.url.host}: {type(exc).__name__}: "
                                             f"{str(exc)[:200]}", request=request) from exc
        upstream: AiohttpResponseStream = response.stream  # type: ignore[assignment]
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await upstream.aclose()
            raise ResponseTooLarge(f"response body of {length} bytes is larger than {self.max_body_bytes}: refused",
                                   request=request)
        response.stream = _BoundedStream(upstream._aiohttp_response, self.max_body_bytes)
        return response


class ProviderHttpClient(Httpx2AiohttpClient):
    """An ``httpx2.AsyncClient`` whose every transport, proxied or not, is a :class:`BoundedTransport`."""

    def __init__(self, *, max_body_bytes: int = MAX_BODY_BYTES, **kwargs: Any) -> None:
        self._max_body_bytes = max_body_bytes  # read by _init_transport, which httpx2's __init__ calls
        super().__init__(**kwargs)

    def _init_transport(self, *, limits: httpx2.Limits = httpx2.Limits(), transport: Any = None,
                        verify: Any = True, cert: Any = None, trust_env: bool = True,
                        **_: Any) -> httpx2.AsyncBaseTransport:
        if transport is not None:
            return transport  # type: ignore[no-any-return]
        return BoundedTransport(verify=verify, cert=cert, trust_env=trust_env, limits=limits,
                                max_body_bytes=self._max_body_bytes)

    def _init_proxy_transport(self, proxy: httpx2.Proxy, *, limits: httpx2.Limits = httpx2.Limits(),
                              verify: Any = True, cert: Any = None, trust_env: bool = True,
                              **_: Any) -> httpx2.AsyncBaseTransport:
        return BoundedTransport(verify=verify, cert=cert, trust_env=trust_env, limits=limits, proxy=proxy,
                                max_body_bytes=self._max_body_bytes)


def provider_client(base_url: str, *, headers: dict[str, str], timeout_s: float, connections: int,
                    max_body_bytes: int = MAX_BODY_BYTES) -> httpx2.AsyncClient:
    """The client of one provider: ``connections`` keep-alive connections, env proxies honoured."""
    limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
    return ProviderHttpClient(base_url=base_url, headers=headers, timeout=timeout_s, limits=limits,
                              trust_env=True, max_body_bytes=max_body_bytes)




def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new uvloop event loop (asyncio's own when uvloop is missing).

    uvloop (pinned; uvicorn uses it too) cuts the client CPU per call on aiohttp by about 7 %: see
    ``bench/transport_cpu.py`` and docs/runner.md for the figures.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover  (uvloop is in requirements.lock)
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
