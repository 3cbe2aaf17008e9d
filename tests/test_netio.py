"""The asyncio network backend under httpx2: keep-alive, server closes, timeouts, TLS, big bodies, pools."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from costbench.run.netio import AsyncioBackend, PooledTransport, async_transport, pooled_transport
from costbench.run.netio import run as netio_run
from costbench.run.h1 import H1Transport


class Server:
    """A tiny HTTP/1.1 server: echoes the body's size; can close idle connections or answer late."""

    def __init__(self, close_after_response: bool = False, delay_s: float = 0.0) -> None:
        self.close_after_response, self.delay_s = close_after_response, delay_s
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                self.requests += 1
                await asyncio.sleep(self.delay_s)
                payload = json.dumps({"received": len(body), "request": self.requests}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
                await writer.drain()
                if self.close_after_response:  # the server drops the idle keep-alive connection
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: Server, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_run(request):
    """Each test runs on asyncio's loop and on uvloop's (the runner's, see ``netio.run``)."""
    return asyncio.run if request.param == "asyncio" else netio_run


@pytest.fixture(params=["httpcore2", "h1"])
def kind(request):
    """The generic tests run on both of the runner's transports (https: httpcore2; http: h1)."""
    return request.param


def _client(url: str, *, connections: int = 4, timeout: float = 5.0, verify: bool | ssl.SSLContext = False,
            pooled: bool = False, kind: str = "httpcore2") -> httpx2.AsyncClient:
    limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
    if kind == "h1":
        return httpx2.AsyncClient(base_url=url, timeout=timeout, transport=H1Transport(limits=limits))
    make = pooled_transport if pooled else async_transport
    return httpx2.AsyncClient(base_url=url, timeout=timeout, transport=make(limits=limits, verify=verify))


def test_the_pool_really_uses_the_asyncio_backend() -> None:
    # The transport swaps httpx2's private pool; this fails loudly if a new httpx2 renames it.
    transport = async_transport(limits=httpx2.Limits(max_connections=3), verify=False)
    assert isinstance(transport._pool._network_backend, AsyncioBackend)
    assert transport._pool._max_connections == 3


def test_keep_alive_reuses_one_connection_and_big_bodies_arrive_whole(loop_run, kind) -> None:
    async def go() -> tuple[list[int], int, int]:
        server = Server()
        async with serving(server) as url, _client(url, connections=1, kind=kind) as client:
            sizes = [10, 200_000, 3]  # 200 kB is sent in several writes with back-pressure
            got = [(await client.post("/x", content=b"a" * n)).json()["received"] for n in sizes]
            return got, server.connections, server.requests

    got, connections, requests = loop_run(go())
    assert got == [10, 200_000, 3]
    assert (connections, requests) == (1, 3)


def test_a_connection_the_server_closed_is_not_reused(loop_run, kind) -> None:
    async def go() -> tuple[list[int], int]:
        server = Server(close_after_response=True)
        async with serving(server) as url, _client(url, connections=1, kind=kind) as client:
            got = []
            for _ in range(3):
                got.append((await client.post("/x", content=b"abc")).json()["received"])
                await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
            return got, server.connections

    got, connections = loop_run(go())
    assert got == [3, 3, 3]
    assert connections == 3  # each request opened a new connection instead of failing on the dead one


def test_read_timeout_and_refused_connection_are_httpx2_errors(loop_run, kind) -> None:
    async def slow() -> None:
        async with serving(Server(delay_s=1.0)) as url, _client(url, timeout=0.2, kind=kind) as client:
            await client.post("/x", content=b"x")

    with pytest.raises(httpx2.ReadTimeout, match="read timed out after 0.2 s"):
        loop_run(slow())

    async def refused() -> None:
        async with _client("http://127.0.0.1:9", kind=kind) as client:  # port 9 (discard) is closed here
            await client.get("/")

    with pytest.raises(httpx2.ConnectError, match="cannot connect to 127.0.0.1:9"):
        loop_run(refused())


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_pem, key_pem)
    client = ssl.create_default_context(cafile=str(cert_pem))
    return server, client


def test_tls_is_verified_and_works(tmp_path, loop_run) -> None:
    server_ctx, client_ctx = _self_signed(tmp_path)

    async def go(verify: bool | ssl.SSLContext) -> int:
        async with serving(Server(), tls=server_ctx) as url, _client(url, verify=verify) as client:
            return int((await client.post("/x", content=b"secret")).json()["received"])

    assert loop_run(go(client_ctx)) == 6
    with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        loop_run(go(True))  # the system CAs do not trust a self-signed certificate


def test_pooled_transport_spreads_requests_and_keeps_the_connection_limit(loop_run) -> None:
    async def go() -> tuple[int, int, list[int]]:
        server = Server(delay_s=0.05)
        async with serving(server) as url, _client(url, connections=24, pooled=True) as client:
            transport = client._transport
            assert isinstance(transport, PooledTransport) and len(transport._pools) == 3  # 24 = 3 pools of 8
            await asyncio.gather(*(client.post("/x", content=b"x") for _ in range(100)))
            return server.connections, server.requests, list(transport._busy)

    connections, requests, busy = loop_run(go())
    assert requests == 100
    assert connections <= 24
    assert busy == [0, 0, 0]  # every response released its pool


def test_provider_urls_are_parsed_once_and_match_httpx2s_merge(loop_run) -> None:
    from costbench.run.calls import ProviderClient

    async def go() -> None:
        async with httpx2.AsyncClient(base_url="http://127.0.0.1:9/google/v1beta") as http:
            client = ProviderClient.__new__(ProviderClient)
            client.http, client._urls = http, {}
            for path in ("models/gemini-2.5-flash:streamGenerateContent?alt=sse", "chat/completions", "/messages"):
                assert client.url(path) == http.build_request("POST", path).url
            assert client.url("chat/completions") is client.url("chat/completions")

    loop_run(go())


def test_the_runner_loop_is_uvloop() -> None:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert netio_run(which()).startswith("uvloop")
