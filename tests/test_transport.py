"""The runner's HTTP client (costbench.run.transport) against real local servers on 127.0.0.1.

Each test starts an aiohttp server (or a raw asyncio socket server where the bytes on the wire matter)
inside the test's own event loop, and checks what the server saw as well as what the client returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from aiohttp import ClientSession, web

from costbench.run.transport import MAX_HEADER_BYTES, ResponseTooLarge, UnsafeHeader, provider_client, run

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(routes: dict[str, Handler], tls: tuple[str, str] | None = None) -> tuple[web.AppRunner, str]:
    """An aiohttp app on a free loopback port (HTTPS with ``tls`` = (cert file, key file)); returns its runner
    and base URL."""
    import ssl

    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server_ctx = None
    if tls is not None:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(*tls)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"{'https' if tls else 'http'}://127.0.0.1:{port}"


async def raw_server(reply: bytes, seen: list[bytes]) -> tuple[asyncio.Server, str]:
    """A socket server that records each request head and answers with ``reply`` byte for byte."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(reply)
        await writer.drain()
        await asyncio.sleep(0.2)  # keep the connection open: extra bytes must not join the body
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def client(url: str, **kwargs: Any) -> httpx2.AsyncClient:
    return provider_client(url + "/", headers={"Authorization": "Bearer k"}, timeout_s=10, connections=4, **kwargs)


def test_json_round_trip_and_keep_alive() -> None:
    peers: list[Any] = []

    async def echo(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"got": await request.json(), "auth": request.headers["Authorization"]})

    async def go() -> list[dict[str, Any]]:
        runner, url = await serve({"/v1/chat": echo})
        try:
            async with client(url) as http:
                return [(await http.post("v1/chat", json={"i": i})).json() for i in range(3)]
        finally:
            await runner.cleanup()

    assert run(go()) == [{"got": {"i": i}, "auth": "Bearer k"} for i in range(3)]
    assert len(set(peers)) == 1  # three sequential requests on one kept-alive connection


@pytest.mark.parametrize("value", ["sk-abc\n", "sk-abc\r\nX-Injected: 1", "sk\x00abc"])
def test_header_values_with_line_breaks_are_refused_before_sending(value: str) -> None:
    seen: list[bytes] = []

    async def go() -> None:
        server, url = await raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", seen)
        try:
            async with client(url) as http:
                await http.post("v1/chat", content=b"{}", headers={"X-Api-Key": value})
        finally:
            server.close()

    with pytest.raises(UnsafeHeader, match="'X-Api-Key' holds a line break") as info:
        run(go())
    assert "sk" not in str(info.value)  # the value is never repeated
    assert seen == []  # nothing reached the server


def test_a_key_with_a_trailing_newline_names_its_variable_not_its_value(tmp_path, monkeypatch) -> None:
    from costbench.config import api_key
    from costbench.errors import ConfigError
    from tests.runner_support import write_config

    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",), base_urls={"deepseek": "http://127.0.0.1:9"})
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-secret-value-42\n")
    with pytest.raises(ConfigError, match="DEEPSEEK_API_KEY holds a line break") as info:
        api_key(cfg, "deepseek", "DEEPSEEK_API_KEY")
    assert "sk-secret-value-42" not in str(info.value)


def test_bytes_after_a_response_body_are_not_part_of_it() -> None:
    seen: list[bytes] = []
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"

    async def go() -> bytes:
        server, url = await raw_server(reply, seen)
        try:
            async with client(url) as http:
                return (await http.get("x")).content
        finally:
            server.close()

    assert run(go()) == b"hello"
    assert len(seen) == 1 and seen[0].startswith(b"GET /x HTTP/1.1\r\n")


def test_an_oversized_response_header_is_an_error() -> None:
    async def huge(request: web.Request) -> web.Response:
        return web.Response(text="{}", headers={"X-Huge": "a" * 300_000})

    async def go() -> None:
        runner, url = await serve({"/h": huge})
        try:
            async with client(url) as http:
                await http.get("h")
        finally:
            await runner.cleanup()

    with pytest.raises(httpx2.RemoteProtocolError, match="bad response from 127.0.0.1"):
        run(go())
    assert MAX_HEADER_BYTES < 300_000


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_above_the_cap_is_refused(chunked: bool) -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        if chunked:
            resp.enable_chunked_encoding()
        else:
            resp.content_length = 10 * 65536
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(b"x" * 65536)
        return resp

    async def go() -> None:
        runner, url = await serve({"/big": big})
        try:
            async with client(url, max_body_bytes=100_000) as http:
                await http.get("big")
        finally:
            await runner.cleanup()

    with pytest.raises(ResponseTooLarge, match="larger than 100000"):
        run(go())


def test_a_stream_the_reader_does_not_consume_stops_the_server_writing() -> None:
    """Backpressure: with the reader paused, the server can write only what the buffers hold."""
    total = 64 * 1024 * 1024
    sent = [0]

    async def flood(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        chunk = b"y" * 65536
        while sent[0] < total:
            await resp.write(chunk)  # waits (drains) while the client does not read
            sent[0] += len(chunk)
        return resp

    async def go() -> int:
        runner, url = await serve({"/flood": flood})
        try:
            async with client(url, max_body_bytes=2 * total) as http, http.stream("GET", "flood") as resp:
                first = await anext(resp.aiter_bytes())
                assert first
                before = -1
                while sent[0] != before:  # let the server write until it cannot any more
                    before = sent[0]
                    for _ in range(20):
                        await asyncio.sleep(0.01)
                return sent[0]
        finally:
            await runner.cleanup()

    written = run(go())
    print(f"server wrote {written} bytes before the paused reader stopped it")
    assert written < total // 8  # a few MB of socket and parser buffers, not the 64 MB body


async def forward_proxy(log: list[str]) -> tuple[web.AppRunner, str]:
    """A minimal HTTP forward proxy: records the absolute-form target, fetches it, relays the answer."""
    async def relay(request: web.Request) -> web.Response:
        log.append(f"{request.method} {request.url}")
        async with ClientSession() as session, session.request(
                request.method, request.url, data=await request.read(),
                headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "proxy-connection")}) as up:
            return web.Response(body=await up.read(), status=up.status,
                                headers={"Content-Type": up.headers.get("Content-Type", ""), "Via": "1.1 test-proxy"})

    return await serve({"/{tail:.*}": relay})


@pytest.mark.parametrize("no_proxy", [None, "localhost"])
def test_http_proxy_and_no_proxy_from_the_environment(monkeypatch, no_proxy: str | None) -> None:
    proxied: list[str] = []

    async def target(request: web.Request) -> web.Response:
        return web.json_response({"hello": "provider"})

    async def go() -> httpx2.Response:
        proxy_runner, proxy_url = await forward_proxy(proxied)
        runner, url = await serve({"/v1/chat": target})
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        if no_proxy:
            monkeypatch.setenv("NO_PROXY", no_proxy)
        try:
            async with client(url.replace("127.0.0.1", "localhost")) as http:  # the same host both times
                return await http.post("v1/chat", json={})
        finally:
            await runner.cleanup()
            await proxy_runner.cleanup()

    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    resp = run(go())
    assert resp.json() == {"hello": "provider"}
    if no_proxy:
        assert proxied == [] and "via" not in resp.headers
    else:
        assert len(proxied) == 1 and proxied[0].startswith("POST http://localhost:")
        assert resp.headers["via"] == "1.1 test-proxy"


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made here with cryptography (no network, no CA)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("trusted", [True, False])
def test_https_verifies_the_server_certificate(tmp_path, monkeypatch, trusted: bool) -> None:
    cert, key = _self_signed(tmp_path)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", cert)  # honoured as httpx2 does (trust_env)
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"tls": request.secure})

    async def go() -> dict[str, Any]:
        runner, url = await serve({"/hello": hello}, tls=(cert, key))
        try:
            async with client(url) as http:
                return (await http.get("hello")).json()
        finally:
            await runner.cleanup()

    if trusted:
        assert run(go()) == {"tls": True}
    else:
        with pytest.raises(httpx2.ConnectError, match="certificate verify failed"):
            run(go())


async def connect_proxy(log: list[str], relayed: list[bytes]) -> tuple[asyncio.Server, str]:
    """A minimal CONNECT proxy: records the tunnel's target, then pipes bytes both ways (and keeps them)."""
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            relayed.append(data)
            writer.write(data)
            await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        method, target, _ = head.split("\r\n", 1)[0].split(" ", 2)
        log.append(f"{method} {target}")
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def test_https_through_a_connect_proxy_from_the_environment(tmp_path, monkeypatch) -> None:
    """HTTPS_PROXY: the client opens a CONNECT tunnel and speaks TLS to the provider through it, so the proxy
    sees the target host and port only, never the path, the body or the API key."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    tunnels: list[str] = []
    relayed: list[bytes] = []

    async def chat(request: web.Request) -> web.Response:
        return web.json_response({"tls": request.secure, "auth": request.headers["Authorization"],
                                  "body": await request.json()})

    async def go() -> dict[str, Any]:
        runner, url = await serve({"/v1/chat": chat}, tls=(cert, key))
        proxy, proxy_url = await connect_proxy(tunnels, relayed)
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        try:
            async with provider_client(url + "/", headers={"Authorization": "Bearer sk-secret-42"},
                                       timeout_s=10, connections=2) as http:
                answer = (await http.post("v1/chat", json={"prompt": "plain words"})).json()
                return answer | {"port": int(url.rsplit(":", 1)[1])}
        finally:
            proxy.close()
            await runner.cleanup()

    answer = run(go())
    assert answer["tls"] is True and answer["auth"] == "Bearer sk-secret-42" and answer["body"] == {"prompt": "plain words"}
    assert tunnels == [f"CONNECT 127.0.0.1:{answer['port']}"]
    wire = b"".join(relayed)
    assert wire and b"sk-secret-42" not in wire and b"v1/chat" not in wire and b"plain words" not in wire
