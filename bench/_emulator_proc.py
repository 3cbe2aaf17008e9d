"""Start the emulator in a subprocess (so client and server do not share a GIL) for benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """Run ``costbench emulator serve`` on a free loopback port; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "costbench", "emulator", "serve", "--port", str(port),
           "--catalog", str(ROOT / "tasks_catalog"), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"emulator did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def configure(url: str, **settings: object) -> None:
    """Change the running emulator's settings (latency, faults, rate limits)."""
    httpx2.post(f"{url}/_emulator/config", json=settings, timeout=5).raise_for_status()
