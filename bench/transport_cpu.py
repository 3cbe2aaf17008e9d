"""Client CPU per call of each HTTP transport the runner could use, on asyncio's loop and on uvloop.

The same POST (a DeepSeek chat request, ~300 bytes) is sent N times at concurrency C to the emulator,
running in its own process; the client's CPU time (``time.process_time``) divided by N is printed, with the
calls/s. Transports: httpx2's default (httpcore2 on anyio), ``httpx_aiohttp.httpx2`` (aiohttp under an
``httpx2.AsyncClient``, the runner's), a bare ``aiohttp.ClientSession`` (the floor: no httpx2 layer), and the
removed hand-written ones (``costbench.run.h1`` / ``netio``) when this checkout still has them.
Usage: python bench/transport_cpu.py [--calls N] [--concurrency C] [--rounds R] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
import orjson
import uvloop
from httpx_aiohttp.httpx2 import AiohttpTransport

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._emulator_proc import configure, emulator_process  # noqa: E402

BODY = orjson.dumps({"model": "deepseek-chat", "max_tokens": 64,
                     "messages": [{"role": "user", "content": "What is the capital of France? " * 4}]})
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench-key"}


def _httpx2_client(url: str, conc: int, transport: Any | None) -> httpx2.AsyncClient:
    limits = httpx2.Limits(max_connections=conc, max_keepalive_connections=conc)
    return httpx2.AsyncClient(base_url=url, limits=limits, timeout=30, transport=transport)


def _old_transports(conc: int) -> dict[str, Callable[[], Any]]:
    limits = httpx2.Limits(max_connections=conc, max_keepalive_connections=conc)
    found: dict[str, Callable[[], Any]] = {}
    try:
        from costbench.run.h1 import H1Transport  # removed by issue 21
        from costbench.run.netio import pooled_transport
    except ImportError:
        return found
    found["h1 (removed)"] = lambda: H1Transport(limits=limits)
    found["netio (removed)"] = lambda: pooled_transport(limits=limits)
    return found


async def _httpx2_run(url: str, n: int, conc: int, make: Callable[[], Any] | None) -> None:
    sem = asyncio.Semaphore(conc)
    async with _httpx2_client(url, conc, make() if make else None) as client:
        async def one(i: int) -> None:
            async with sem:
                resp = await client.post("/deepseek/chat/completions", content=BODY,
                                         headers={**HEADERS, "X-Costbench-Call-Id": f"t{i}"})
                assert resp.status_code == 200, resp.text
                orjson.loads(resp.content)
        await asyncio.gather(*(one(i) for i in range(n)))


async def _aiohttp_run(url: str, n: int, conc: int) -> None:
    sem = asyncio.Semaphore(conc)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:
        async def one(i: int) -> None:
            async with sem, session.post(f"{url}/deepseek/chat/completions", data=BODY,
                                         headers={**HEADERS, "X-Costbench-Call-Id": f"a{i}"}) as resp:
                assert resp.status == 200
                orjson.loads(await resp.read())
        await asyncio.gather(*(one(i) for i in range(n)))


def measure(job: Callable[[], Awaitable[None]], loop: str) -> tuple[float, float]:
    """(client CPU µs per call-batch, wall s) of one run on ``loop``."""
    cpu, wall = time.process_time(), time.perf_counter()
    if loop == "uvloop":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(job())  # type: ignore[arg-type]
    else:
        asyncio.run(job())  # type: ignore[arg-type]
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="measure only transports whose name contains this")
    args = parser.parse_args()
    n, conc = args.calls, args.concurrency
    jobs: dict[str, Callable[[str], Callable[[], Awaitable[None]]]] = {
        "httpx2 default": lambda url: lambda: _httpx2_run(url, n, conc, None),
        "httpx-aiohttp": lambda url: lambda: _httpx2_run(url, n, conc, lambda: AiohttpTransport(
            limits=httpx2.Limits(max_connections=conc))),
        "bare aiohttp": lambda url: lambda: _aiohttp_run(url, n, conc),
    }
    for name, make in _old_transports(conc).items():
        jobs[name] = lambda url, make=make: lambda: _httpx2_run(url, n, conc, make)  # type: ignore[misc]
    jobs = {name: job for name, job in jobs.items() if args.only in name}
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with emulator_process() as url:
        configure(url, latency_ms=0, rate_limits={})
        for _ in range(args.rounds):  # interleaved rounds: this shared machine's speed drifts
            for name, job in jobs.items():
                for loop in ("asyncio", "uvloop"):
                    cpu, wall = measure(job(url), loop)
                    results.setdefault((name, loop), []).append((cpu, wall))
                    print(f"    round: {name:<18} {loop:<8} {cpu / n * 1e6:6.0f} µs CPU/call  {n / wall:6.0f} calls/s",
                          flush=True)
    print(f"{n} POSTs at concurrency {conc}, medians of {args.rounds} interleaved rounds (client process only)")
    for (name, loop), runs in results.items():
        cpu = statistics.median(r[0] for r in runs) / n * 1e6
        rate = statistics.median(n / r[1] for r in runs)
        print(f"  {name:<18} {loop:<8} {cpu:6.0f} µs CPU/call  {rate:6.0f} calls/s")


if __name__ == "__main__":
    main()
