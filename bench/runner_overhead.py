"""The full costbench runner vs a bare httpx2 loop, same emulator, same concurrency, one run.

Prints calls/s of both and their ratio at emulator latency 0 ms and 50 ms, concurrency 32 and 64
(targets: ≥ 0.8× the bare loop at 0 ms; ≥ 85 % of the ceiling concurrency ÷ latency at 50 ms), then a
rate-limited run (600 RPM) against the minimum time the limit allows, counting 429s.

The runner includes everything a real run does: intent log and journal with fsync, budget
reservations, pricing, grading. It runs with one process (``[run] processes = 1``, the default) and
with two (``processes = 2``: two forked runners share the concurrency). The bare loop is a plain
``httpx2.AsyncClient`` (its default transport) + semaphore over pre-built requests. This machine's
speed drifts from minute to minute, so each point is ``--rounds`` interleaved rounds of all three and
the medians are printed. Usage: python bench/runner_overhead.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._emulator_proc import configure, emulator_process  # noqa: E402
from costbench.run.budget import Budget  # noqa: E402
from costbench.catalog.tasks import load_catalog  # noqa: E402
from costbench.config import Config, load_config  # noqa: E402
from costbench.run.netio import run  # noqa: E402
from costbench.prices.pricing import Pricer  # noqa: E402,F401  (imported now, as in a warm process: import time is not per-call cost)
from costbench.run.progress import Progress  # noqa: E402
from costbench.providers import get_adapter  # noqa: E402
from costbench.run.runner import plan, run_catalog_async  # noqa: E402

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


async def bare_loop(cfg: Config, url: str, concurrency: int) -> tuple[int, float]:
    """The baseline: the same requests with a bare httpx2.AsyncClient + semaphore, no bookkeeping."""
    adapter = get_adapter("deepseek")
    attempts = plan(cfg, load_catalog(cfg.paths.catalog))
    requests = [adapter.build_request("deepseek-chat", a.task.render(a.case), a.task.max_output_tokens)
                for a in attempts]
    sem = asyncio.Semaphore(concurrency)
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=f"{url}/deepseek/", headers=adapter.auth_headers("bench-key"),
                                  limits=limits, timeout=30) as client:
        async def one(i: int) -> None:
            req = requests[i]
            async with sem:
                resp = await client.post(req.path, json=req.json, headers={"X-Costbench-Call-Id": f"bare-{i}"})
                assert resp.status_code == 200, resp.text
                adapter.parse(resp.json())

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(requests))))
        return len(requests), time.perf_counter() - start


async def costbench_run(cfg: Config, run_id: str) -> tuple[int, float]:
    budget = Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd)
    start = time.perf_counter()
    result = await run_catalog_async(cfg, budget, run_id=run_id, run_at=datetime.now(UTC),
                                     progress=Progress(0, run_id))
    return result.sent_calls, time.perf_counter() - start


def compare(url: str, latency_ms: int, concurrency: int, repeats: int, rounds: int) -> None:
    configure(url, latency_ms=latency_ms, rate_limits={})  # no 429s: both sides send each request once
    rates: dict[str, list[float]] = {"bare": [], "p1": [], "p2": []}
    calls = 0
    with tempfile.TemporaryDirectory() as tmp:
        cfgs = {p: bench_config(Path(tmp) / f"p{p}", url, concurrency, repeats, processes=p) for p in (1, 2)}
        for r in range(rounds):
            n, t = run(bare_loop(cfgs[1], url, concurrency))  # the same event loop (uvloop) as costbench's
            rates["bare"].append(n / t)
            for p, cfg in cfgs.items():
                calls, t = run(costbench_run(cfg, f"bench-{latency_ms}-{concurrency}-{r}-p{p}"))  # fresh call ids
                rates[f"p{p}"].append(calls / t)
    bare, p1, p2 = (statistics.median(rates[k]) for k in ("bare", "p1", "p2"))
    line = (f"latency {latency_ms:>3} ms  concurrency {concurrency:>3}  calls {calls:>5}  bare {bare:6.0f}/s  "
            f"costbench {p1:6.0f}/s ({p1 / bare:4.2f}x)  2 processes {p2:6.0f}/s ({p2 / bare:4.2f}x)")
    if latency_ms:
        ceiling = concurrency / (latency_ms / 1000)
        line += (f"  ceiling {ceiling:5.0f}/s: bare {bare / ceiling:4.0%}, costbench {p1 / ceiling:4.0%}, "
                 f"2 processes {p2 / ceiling:4.0%}")
    print(line, flush=True)


def rate_limited(url: str, rpm: int, calls_wanted: int) -> None:
    configure(url, latency_ms=0, rate_limits={"deepseek-chat": {"rpm": rpm, "tpm": None}})
    with tempfile.TemporaryDirectory() as tmp:
        cfg = bench_config(Path(tmp), url, 16, max(1, calls_wanted // 9), rpm=rpm)
        before = len(httpx2.get(f"{url}/_emulator/ledger", timeout=10).json())
        n, elapsed = run(costbench_run(cfg, "bench-rpm"))
        ledger = httpx2.get(f"{url}/_emulator/ledger", timeout=10).json()[before:]
    minimum = (n - 1) * 60 / rpm
    too_many = sum(1 for e in ledger if e["status"] == 429)
    print(f"rate limit {rpm} RPM: {n} calls in {elapsed:.2f} s; minimum the limit allows {minimum:.2f} s "
          f"({elapsed / minimum - 1:+.1%}); 429 responses: {too_many}", flush=True)


def machine_speed() -> str:
    """A pure-Python loop's time: this shared machine's speed drifts, and absolute calls/s drift with it."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"machine speed check: a 10M-step Python loop took {time.perf_counter() - start:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3600, help="calls per measurement (about)")
    parser.add_argument("--rpm-calls", type=int, default=90, help="calls in the rate-limited run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per point (medians printed)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    repeats = max(1, args.calls // 9)
    print(machine_speed(), flush=True)
    for latency in (0, 50):
        for concurrency in (32, 64):
            # A fresh emulator per point: its ledger and idempotency store grow with every request (tens of
            # thousands per point), which slowed later points by up to a fifth.
            with emulator_process() as url:
                compare(url, latency, concurrency, repeats, args.rounds)
    with emulator_process() as url:
        rate_limited(url, 600, args.rpm_calls)
    print(machine_speed(), flush=True)


if __name__ == "__main__":
    main()
