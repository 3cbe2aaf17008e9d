"""Budget overshoot and money agreement against the emulator's ledger (what the provider billed).

Prints, per scenario: the cap, what the emulator billed, what the runner charged its budget, and what
DuckDB stores as cost (after load + price). Runs on any costbench checkout (no new config keys), so the
same script measures before and after a change:  python bench/money_overshoot.py  (~1 minute).

Scenarios: a resume after an interruption with a cap below the unconstrained spend; a run with faults
(malformed / usage-less 200s, 5xx, replies slower than the client's timeout); both at concurrency 8 and 64.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AT = datetime.fromisoformat("2025-10-01T02:00:00+00:00")
TASKS = ("capital_cities", "math_word_problems", "sentiment_classification")


def config(tmp: Path, url: str, *, cap: str, repeats: int, concurrency: int, timeout: float = 10) -> object:
    from costbench.config import load_config

    tasks = ", ".join(f'"{t}"' for t in TASKS)
    (tmp / "costbench.toml").write_text("\n".join([
        "[paths]", f'db = "{tmp / "cb.duckdb"}"', f'landing = "{tmp / "landing"}"', f'catalog = "{ROOT / "tasks_catalog"}"',
        "[run]", f"repeats = {repeats}", "max_retries = 4", f"timeout_s = {timeout}", f"tasks = [{tasks}]",
        "[budget]", f'per_run_usd = "{cap}"', 'per_day_usd = "1000"', "[emulator]", f'url = "{url}"',
        "[providers.deepseek]", 'dialect = "deepseek"', f"concurrency = {concurrency}",
        "[[models]]", 'provider = "deepseek"', 'model = "deepseek-chat"']) + "\n")
    return load_config(tmp / "costbench.toml")


def estimate_usd(cfg: object) -> Decimal:
    from costbench.catalog.tasks import load_catalog
    from costbench.prices.pricing import Pricer
    from costbench.run.estimate import estimate
    from costbench.run.runner import plan

    return estimate(plan(cfg, load_catalog(cfg.paths.catalog)), Pricer.load(), AT).total_usd


def interrupt(cfg: object, run_id: str, after: int) -> None:
    from costbench.run import journal
    from costbench.run.budget import Budget
    from costbench.run.runner import run_catalog_async

    async def go() -> None:
        task = asyncio.ensure_future(run_catalog_async(cfg, Budget(cfg.budget.per_run_usd, cfg.budget.per_day_usd),
                                                       run_id=run_id, run_at=AT))
        while not task.done() and len(journal.landed_records(cfg.paths.landing, run_id)) < after:
            await asyncio.sleep(0.005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(go())


def stored_usd(cfg: object, run_id: str) -> Decimal:
    from costbench.prices import pricing
    from costbench.store import loader
    from costbench.store.db import opened, rows

    loader.load(cfg, run_id)
    pricing.price(cfg.paths.db, run_id)
    with opened(cfg.paths.db) as con:
        return Decimal(rows(con, "SELECT coalesce(sum(total_usd), 0) AS usd FROM costs WHERE run_id = ?", [run_id])[0]["usd"])


def billed(emu: object) -> tuple[Decimal, int, int]:
    entries = [e for e in emu.ledger.entries() if e.billed]
    usd = sum((Decimal(e.billed_amount) * TO_USD[e.billed_currency] for e in entries), Decimal(0))
    return usd, len(entries), len({e.call_id for e in entries})


TO_USD = {"USD": Decimal(1), "CNY": Decimal("0.1395"), "EUR": Decimal("1.17")}
"""The invoice currencies in USD (2025-07 averages, as costbench/prices/fx.yml has them for these nights)."""


def resume_case(concurrency: int, repeats: int) -> None:
    from costbench.emulator import EmulatorConfig, EmulatorServer
    from costbench.errors import BudgetExceeded
    from costbench.run.runner import run_catalog

    tmp = Path(tempfile.mkdtemp())
    with EmulatorServer(EmulatorConfig(seed=4, latency_ms=30, catalog_dir=ROOT / "tasks_catalog")) as emu:
        first = config(tmp, emu.url, cap="5", repeats=repeats, concurrency=concurrency)
        planned = 9 * repeats
        interrupt(first, "r1", planned * 3 // 4)
        time.sleep(0.3)
        # resumed under a cap below the unconstrained spend, 10 % above what the interrupted part already cost
        cap = (billed(emu)[0] * Decimal("1.1")).quantize(Decimal("1e-10"))
        spent = Decimal(0)
        try:
            spent = run_catalog(config(tmp, emu.url, cap=str(cap), repeats=repeats, concurrency=concurrency),
                                run_id="r1", run_at=AT).spent_usd
            outcome = "resumed"
        except BudgetExceeded:
            outcome = "refused at pre-flight"
        usd, n, unique = billed(emu)
    print(f"resume   c={concurrency:<3} cap ${cap:.6f}  billed ${usd:.6f} ({usd / cap:.2f}x cap, {n} bills, "
          f"{n - unique} twice)  resume: {outcome}, its budget said ${spent:.6f}")


def faults_case(concurrency: int, repeats: int) -> None:
    from costbench.emulator import EmulatorConfig, EmulatorServer
    from costbench.run.runner import run_catalog

    tmp = Path(tempfile.mkdtemp())
    with EmulatorServer(EmulatorConfig(seed=4, catalog_dir=ROOT / "tasks_catalog")) as emu:
        emu.set_faults(malformed_every=7, missing_usage_every=11, server_error_every=5, slow_every=13, slow_ms=400)
        cfg = config(tmp, emu.url, cap="5", repeats=repeats, concurrency=concurrency, timeout=0.25)
        result = run_catalog(cfg, run_id="f1", run_at=AT)
        time.sleep(0.5)
        usd, n, unique = billed(emu)
    stored = stored_usd(cfg, "f1")
    print(f"faults   c={concurrency:<3} billed ${usd:.6f} ({n} bills, {n - unique} twice)  runner charged "
          f"${result.spent_usd:.6f} ({result.spent_usd / usd:.2f}x)  DuckDB costs ${stored:.6f} ({stored / usd:.2f}x)")


def main() -> None:
    import costbench

    print(f"costbench from {list(costbench.__path__)}")
    for concurrency, repeats in ((2, 4), (8, 4), (64, 16)):
        resume_case(concurrency, repeats)
        if concurrency > 2:
            faults_case(concurrency, repeats)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
