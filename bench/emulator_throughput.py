"""Emulator throughput: non-streaming requests/s, faults off, against a trivial ASGI baseline.

The emulator runs in a child process (its own GIL). The load comes from `wrk` (Debian package `wrk`;
a Python client tops out near 600 requests/s here and would measure itself), with 2 threads and 64
connections for a few seconds. The baseline is a one-line ASGI app under the same uvicorn settings,
so the ratio shows what the emulator's own work costs. Target: >= 2,000 requests/s.
Usage: python bench/emulator_throughput.py [--seconds 5] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._emulator_proc import configure, emulator_process, free_port  # noqa: E402

BASELINE = """
import uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})
uvicorn.run(app, host="127.0.0.1", port=PORT, loop="uvloop", http="httptools", log_level="warning", access_log=False)
"""
BODY = {"model": "deepseek-chat", "max_tokens": 64,
        "messages": [{"role": "user", "content": "What is the capital of Canada? Answer with the city name only."}]}


async def drive(url: str, seconds: float, concurrency: int, path: str) -> float:
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=url, headers={"Authorization": "Bearer bench"}, limits=limits) as client:
        done = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                resp = await client.post(path, json=BODY)
                assert resp.status_code == 200, resp.text
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start)


LUA = """wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
"""


def wrk(url: str, seconds: float, concurrency: int) -> float:
    """Requests/s measured by wrk (non-2xx responses would be reported by wrk and fail the check)."""
    import json
    import re
    import shutil
    import tempfile

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (the load generator of this benchmark)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA % json.dumps(BODY))
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", fh.name, url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors during the benchmark:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def baseline(seconds: float, concurrency: int) -> float:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BASELINE.replace("PORT", str(port))])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx2.post(url + "/x", json={}, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        return wrk(url + "/x", seconds, concurrency)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    base = baseline(args.seconds, args.concurrency)
    with emulator_process() as url:
        configure(url, rate_limits={})  # limits off: this measures the emulator, not its 429s
        asyncio.run(drive(url, 1.0, 8, "/deepseek/chat/completions"))  # warm-up and a correctness check
        emu = wrk(url + "/deepseek/chat/completions", args.seconds, args.concurrency)
    print(f"baseline ASGI hello: {base:8.0f} requests/s")
    print(f"costbench emulator:  {emu:8.0f} requests/s  ({emu / base:.2f}x the baseline; target >= 2,000/s: "
          f"{'met' if emu >= 2000 else 'NOT met'})")


if __name__ == "__main__":
    main()
