"""The full costbench runner vs a bare loop on the same transport, vs the openai SDK; one run, interleaved.

Three checks, each point ``--rounds`` interleaved rounds (this shared machine's speed drifts) with medians:

1. latency 0 ms, concurrency 32: the runner against a bare loop **on the same transport and JSON library**
   (the same ``httpx2.AsyncClient`` the runner builds, bodies encoded with orjson and decoded with
   ``json`` + ``Decimal`` as the runner does, the adapter's own ``parse``) — target ≥ 0.8×, i.e. the
   bookkeeping (intent log and journal with fsync, budget, pricing, grading) costs at most a fifth — and
   against the official ``openai`` SDK's ``AsyncOpenAI`` on the same emulator endpoint — target ≥ 1.5×.
2. latency 50 ms, concurrency 64: the runner against the ceiling concurrency ÷ latency — target ≥ 85 %.
3. ``--rpm``: a rate-limited run of ``--rpm-calls`` calls (default 1,000) against the emulator enforcing
   600 RPM in a sliding minute: the run must take at most 10 % over the minimum (n-1)·60/RPM with zero 429s.
   It sends more than a window's worth, so a client that is too fast does get 429s: ``--overdrive 1.5``
   configures the runner 1.5× above the emulator's limit and the check fails, as it must.

Usage: python bench/runner_overhead.py [--calls N] [--rounds R]  (throughput, ~1-2 min)
       python bench/runner_overhead.py --rpm [--rpm-calls N] [--overdrive F]  (≥ (N-1)/10 s)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx2
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._emulator_proc import configure, emulator_process  # noqa: E402
from costbench.run.budget import Budget  # noqa: E402
from costbench.catalog.tasks import load_catalog  # noqa: E402
from costbench.config import Config, load_config  # noqa: E402
from costbench.prices.pricing import Pricer  # noqa: E402,F401  (imported now, as in a warm process: import time is not per-call cost)
from costbench.run.progress import Progress  # noqa: E402
from costbench.providers import get_adapter  # noqa: E402
from costbench.run.runner import plan, run_catalog_async  # noqa: E402

try:  # this checkout's runner transport (the bare loop must use the same one)
    from costbench.run.transport import provider_client, run  # noqa: E402
    TRANSPORT = "httpx2 + httpx-aiohttp"
except ImportError:  # the code before issue 21: h1 for http://, netio's loop
    from costbench.run.netio import provider_transport, run  # type: ignore[no-redef]  # noqa: E402

    TRANSPORT = "httpx2 + h1 (before)"

    def provider_client(base_url: str, *, headers: dict[str, str], timeout_s: float,  # type: ignore[misc]
                        connections: int) -> httpx2.AsyncClient:
        limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx2.AsyncClient(base_url=base_url, headers=headers, timeout=timeout_s, limits=limits,
                                  transport=provider_transport(base_url, limits))

ROOT = Path(__file__).resolve().parents[1]
FAST_TASKS = ["capital_cities", "math_word_problems", "sentiment_classification"]


def bench_config(tmp: Path, url: str, concurrency: int, repeats: int, rpm: int | None = None,
                 processes: int = 1) -> Config:
    text = f"""
[paths]
db = "{tmp / 'cb.duckdb'}"
landing = "{tmp / 'landing'}"
site = "{tmp / 'site'}"
catalog = "{ROOT / 'tasks_catalog'}"
[run]
repeats = {repeats}
processes = {processes}
tasks = {FAST_TASKS!r}
[budget]
per_run_usd = "1000"
per_day_usd = "1000"
[emulator]
url = "{url}"
[providers.deepseek]
dialect = "deepseek"
concurrency = {concurrency}
{f'rpm = {rpm}' if rpm else ''}
[[models]]
provider = "deepseek"
model = "deepseek-chat"
""".replace("'", '"')
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "costbench.toml"
    path.write_text(text)
    return load_config(path)


def calls_per_repeat(tmp: Path) -> int:
    """Calls one repeat of the bench's tasks makes (their case windows and turns, as planned today)."""
    cfg = bench_config(tmp / "count", "http://127.0.0.1:9", 1, 1)
    return sum(a.task.calls_per_case for a in plan(cfg, load_catalog(cfg.paths.catalog)))


def _requests(cfg: Config) -> list[tuple[str, list[dict[str, str]], int]]:
    """Each planned call's API path, messages and max output tokens (both sides build the body per call)."""
    adapter = get_adapter("deepseek")
    out = []
    for a in plan(cfg, load_catalog(cfg.paths.catalog)):
        messages = a.task.render(a.case)
        req = adapter.build_request("deepseek-chat", messages, a.task.max_output_tokens)
        out.append((req.path, messages, a.task.max_output_tokens))
    return out


async def bare_loop(cfg: Config, url: str, concurrency: int, tag: str) -> tuple[int, float]:
    """The baseline: the runner's own HTTP client, request building, request bytes and JSON handling + a semaphore,
    no bookkeeping."""
    adapter = get_adapter("deepseek")
    requests = _requests(cfg)
    sem = asyncio.Semaphore(concurrency)
    async with provider_client(f"{url}/deepseek/", headers=adapter.auth_headers("bench-key"), timeout_s=30,
                               connections=concurrency) as client:
        urls = {path: httpx2.URL(f"{url}/deepseek/{path.lstrip('/')}") for path in {r[0] for r in requests}}

        async def one(i: int) -> None:
            _, messages, max_tokens = requests[i]  # built per call, as the runner builds each turn's request
            req = adapter.build_request("deepseek-chat", messages, max_tokens)
            path, body = req.path, orjson.dumps(req.json)
            async with sem:  # the same request as the runner's: absolute URL parsed once, the same headers
                cid = f"{tag}-{i}"
                resp = await client.post(urls[path], content=body, headers={
                    "Content-Type": "application/json", "X-Costbench-Call-Id": cid, "Idempotency-Key": cid,
                    "X-Emulator-Clock": datetime.now(UTC).isoformat()})
                assert resp.status_code == 200, resp.text
            adapter.parse(json.loads(resp.content.decode(), parse_float=Decimal))

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(requests))))
        return len(requests), time.perf_counter() - start


async def openai_sdk(cfg: Config, url: str, concurrency: int, tag: str) -> tuple[int, float]:
    """The peer a user would otherwise pick: the official SDK's AsyncOpenAI, default client, no retries."""
    from openai import AsyncOpenAI

    requests = _requests(cfg)
    sem = asyncio.Semaphore(concurrency)
    async with AsyncOpenAI(base_url=f"{url}/deepseek", api_key="bench-key", max_retries=0, timeout=30) as client:
        async def one(i: int) -> None:
            _, messages, max_tokens = requests[i]
            async with sem:
                done = await client.chat.completions.create(model="deepseek-chat", messages=messages,  # type: ignore[arg-type]
                                                            max_tokens=max_tokens,
                                                            extra_headers={"X-Costbench-Call-Id": f"{tag}-{i}"})
            assert done.usage is not None

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(requests))))
        return len(requests), time.perf_counter() - start


async def costbench_run(cfg: Config, run_id: str) -> tuple[int, float]:
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd)
    start = time.perf_counter()
    result = await run_catalog_async(cfg, budget, run_id=run_id, run_at=datetime.now(UTC),
                                     progress=Progress(0, run_id))
    return result.sent_calls, time.perf_counter() - start


def compare(url: str, latency_ms: int, concurrency: int, repeats: int, rounds: int, sdk: bool) -> None:
    configure(url, latency_ms=latency_ms, rate_limits={})  # no 429s: every side sends each request once
    rates: dict[str, list[float]] = {"bare": [], "runner": [], "sdk": []}
    cpu: dict[str, list[float]] = {"bare": [], "runner": []}  # client CPU per call (this process, all threads)
    calls = 0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = bench_config(Path(tmp), url, concurrency, repeats)
        for r in range(rounds):
            tag = f"{latency_ms}-{concurrency}-{r}"
            used = time.process_time()
            n, t = run(bare_loop(cfg, url, concurrency, f"bare-{tag}"))  # the runner's event loop, too
            rates["bare"].append(n / t)
            cpu["bare"].append((time.process_time() - used) / n)
            used = time.process_time()
            calls, t = run(costbench_run(cfg, f"bench-{tag}"))  # fresh call ids each round
            rates["runner"].append(calls / t)
            cpu["runner"].append((time.process_time() - used) / calls)
            if sdk:
                n, t = run(openai_sdk(cfg, url, concurrency, f"sdk-{tag}"))
                rates["sdk"].append(n / t)
    bare, runner = statistics.median(rates["bare"]), statistics.median(rates["runner"])
    bare_cpu, runner_cpu = (statistics.median(cpu[k]) * 1000 for k in ("bare", "runner"))
    line = (f"latency {latency_ms:>3} ms  concurrency {concurrency:>3}  calls {calls:>5}  "
            f"bare loop {bare:6.0f}/s  costbench {runner:6.0f}/s = {runner / bare:4.2f}x bare (target >= 0.8)  "
            f"client CPU/call: bare {bare_cpu:.2f} ms, costbench {runner_cpu:.2f} ms")
    if sdk:
        peer = statistics.median(rates["sdk"])
        line += f"  openai SDK {peer:6.0f}/s: costbench = {runner / peer:4.2f}x (target >= 1.5)"
    if latency_ms:
        ceiling = concurrency / (latency_ms / 1000)
        line += f"  ceiling {ceiling:5.0f}/s: bare {bare / ceiling:4.0%}, costbench {runner / ceiling:4.0%} (target >= 85%)"
    print(line, flush=True)


def rate_limited(url: str, rpm: int, calls_wanted: int, overdrive: float) -> None:
    """More than a window's worth of calls against the emulator's limit: 429s show a client too fast."""
    configure(url, latency_ms=0, rate_limits={"deepseek-chat": {"rpm": rpm, "tpm": None}})
    with tempfile.TemporaryDirectory() as tmp:
        cfg = bench_config(Path(tmp), url, 16, max(1, -(-calls_wanted // calls_per_repeat(Path(tmp)))),
                           rpm=int(rpm * overdrive))
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"max_retries": 0})})  # a 429 stays a 429
        before = len(httpx2.get(f"{url}/_emulator/ledger", timeout=10).json())
        n, elapsed = run(costbench_run(cfg, "bench-rpm"))
        ledger = httpx2.get(f"{url}/_emulator/ledger", timeout=10).json()[before:]
    minimum = (n - 1) * 60 / rpm
    too_many = sum(1 for e in ledger if e["status"] == 429)
    ok = too_many == 0 and elapsed <= minimum * 1.10
    print(f"rate limit {rpm} RPM (client set to {int(rpm * overdrive)}): {n} calls in {elapsed:.1f} s; minimum "
          f"{minimum:.1f} s ({elapsed / minimum - 1:+.1%}, target <= +10%); 429 responses: {too_many} (target 0): "
          f"{'PASS' if ok else 'FAIL'}", flush=True)


def machine_speed() -> str:
    """A pure-Python loop's time: this shared machine's speed drifts, and absolute calls/s drift with it."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"machine speed check: a 10M-step Python loop took {time.perf_counter() - start:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=900, help="calls per measurement (about; whole repeats)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per point (medians printed)")
    parser.add_argument("--points", default="0,50", help="which latency points to run (0: vs bare and SDK; 50: ceiling)")
    parser.add_argument("--rpm", action="store_true", help="run the rate-limited check instead (≥ 100 s at default)")
    parser.add_argument("--rpm-calls", type=int, default=1000, help="calls in the rate-limited run")
    parser.add_argument("--overdrive", type=float, default=1.0, help="client RPM ÷ the emulator's (1.5 must FAIL)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    print(f"{machine_speed()}; transport: {TRANSPORT}", flush=True)
    if args.rpm:
        with emulator_process() as url:
            rate_limited(url, 600, args.rpm_calls, args.overdrive)
        return
    with tempfile.TemporaryDirectory() as tmp:
        repeats = max(1, args.calls // calls_per_repeat(Path(tmp)))
    wanted = {int(p) for p in args.points.split(",")}
    for latency, concurrency, sdk in ((0, 32, True), (50, 64, False)):
        if latency not in wanted:
            continue
        # A fresh emulator per point: its ledger and idempotency store grow with every request.
        with emulator_process() as url:
            compare(url, latency, concurrency, repeats, args.rounds, sdk)
    print(machine_speed(), flush=True)


if __name__ == "__main__":
    main()
