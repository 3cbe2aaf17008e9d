"""Adaptive vs fixed nightly design: dollars and calls to reach ±10 % on every demo model's cost per solved task.

Replays the same nights twice against the emulator with the real price book: once with the fixed full
design (every case to every model every night) and once with adaptive sampling at the target. Both are
judged by the same yardstick: after the last night, each model's 95 % interval of cost per solved task
pooled over the window (the stratified ratio estimator of costbench/run/adaptive.py, computed from the
stored rows). Spend is the sum of the stored per-call costs (exact). Output under var/bench/precision/.
Target: adaptive ≤ 1/3 of the fixed design's dollars at equal or better precision.
Usage: python bench/precision.py [--nights 14] [--target 10]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._emulator_proc import emulator_process  # noqa: E402
from costbench import pipeline  # noqa: E402
from costbench.catalog.tasks import load_catalog  # noqa: E402
from costbench.config import load_config  # noqa: E402
from costbench.run.adaptive import attempt_history, stratified_interval  # noqa: E402
from costbench.run.plan import plan  # noqa: E402
from costbench.store.db import opened, rows  # noqa: E402

OUT = ROOT / "var" / "bench" / "precision"
START = date(2025, 9, 22)


def replay(design: str, nights: int, target: float, url: str, coverage: int = 1) -> Path:
    """Replay ``nights`` nights with ``design`` (full | adaptive) into its own folder; return the DuckDB path."""
    cfg = load_config(ROOT / "costbench.toml")
    run = cfg.run.model_copy(update={"sampling": design, "target_halfwidth_pct": target, "window_nights": nights,
                                     "coverage_nights": coverage})
    cfg = pipeline.demo_config(cfg.model_copy(update={"run": run}), OUT / design)
    for at in pipeline.nights(START, nights):
        night = pipeline.run_night(cfg, run_at=at, emulator_url=url, quiet=True)
        print(f"  {design:<8} {at.date()}  {night.run.sent_calls:>5} calls  ${night.run.spent_usd:.4f}", flush=True)
    return cfg.paths.db


def judge(db: Path, nights: int) -> tuple[Decimal, int, dict[str, float | None]]:
    """Total spend, calls, and each model's pooled half-width (percent) after the last night."""
    cfg = load_config(ROOT / "costbench.toml")
    units: dict[str, dict[str, int]] = {}
    for att in plan(cfg, load_catalog(cfg.paths.catalog)):
        per_task = units.setdefault(att.model.name, {})
        per_task[att.task.key] = per_task.get(att.task.key, 0) + 1
    with opened(db) as con:
        total = rows(con, "SELECT coalesce(sum(total_usd), 0) AS usd, count(*) AS calls FROM costs")[0]
        last = rows(con, "SELECT max(run_at) AS at FROM runs")[0]["at"]
    history = attempt_history(db, last + timedelta(seconds=1), nights, units)  # the window ending at the last night
    widths = {}
    for model, weights in units.items():
        strata: dict[str, list] = {}
        for task_key, outcome in history.get(model, []):
            strata.setdefault(task_key, []).append(outcome)
        widths[model] = stratified_interval(strata, weights).halfwidth_pct
    return Decimal(total["usd"]), int(total["calls"]), widths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=14)
    parser.add_argument("--target", type=float, default=10.0, help="target half-width, percent")
    parser.add_argument("--coverage", type=int, default=1, help="adaptive [run] coverage_nights")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    shutil.rmtree(OUT, ignore_errors=True)
    with emulator_process() as url:
        dbs = {d: replay(d, args.nights, args.target, url, args.coverage) for d in ("full", "adaptive")}
    results = {d: judge(db, args.nights) for d, db in dbs.items()}
    print(f"\n{'model':<40} {'fixed ±%':>9} {'adaptive ±%':>12}")
    for model in sorted(results["full"][2]):
        f, a = results["full"][2][model], results["adaptive"][2][model]
        print(f"{model:<40} {'—' if f is None else f'{f:.1f}':>9} {'—' if a is None else f'{a:.1f}':>12}")
    (fixed_usd, fixed_calls, fw), (ad_usd, ad_calls, aw) = results["full"], results["adaptive"]
    worst = {d: max((w for w in ws.values() if w is not None), default=float("nan")) for d, ws in
             (("full", fw), ("adaptive", aw))}
    print(f"\nfixed:    ${fixed_usd:.4f}, {fixed_calls} calls, worst model ±{worst['full']:.1f} %")
    print(f"adaptive: ${ad_usd:.4f}, {ad_calls} calls, worst model ±{worst['adaptive']:.1f} %")
    print(f"calls adaptive/fixed: {ad_calls / fixed_calls:.3f}")
    print(f"adaptive/fixed dollars: {ad_usd / fixed_usd:.3f} "
          f"(precision adaptive ±{worst['adaptive']:.1f} %, fixed ±{worst['full']:.1f} %)")


if __name__ == "__main__":
    main()
