"""The nightly run split into shards (by provider) that separate Prefect workers run concurrently.

``nightly_sharded`` starts one ``nightly-shard`` deployment run per shard (each worker writes its own
landing shard ``<run_id>/<shard>.jsonl``), waits for all of them, then loads the shards exactly once
and prices, gates and reports the run.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prefect import flow
from prefect.deployments import run_deployment

from costbench.config import load_config
from costbench.pipeline import run_catalog
from costbench.run.runner import default_run_id, night_of
from flows.nightly import land_task, price_task, quality_task, report_task


def shard_plan(providers: list[str], shards: int) -> dict[str, list[str]]:
    """Providers dealt round-robin into ``shards`` named shards."""
    plan: dict[str, list[str]] = {}
    for i, provider in enumerate(sorted(providers)):
        plan.setdefault(f"shard{i % shards}", []).append(provider)
    return plan


@flow(name="costbench-nightly-shard", log_prints=True)
def nightly_shard(config_path: str, run_id: str, run_at: str, shard: str, providers: list[str]) -> int:
    """Run one shard of a nightly run (the models of ``providers``) into its own landing file."""
    cfg = load_config(config_path)
    models = [m for m in cfg.models if m.provider in providers]
    result = run_catalog(cfg, run_at=datetime.fromisoformat(run_at), run_id=run_id, shard=shard, models=models)
    print(f"{shard}: {result.sent_calls} sent, {result.skipped_calls} already landed")
    return result.sent_calls


@flow(name="costbench-nightly-sharded", log_prints=True)
async def nightly_sharded(config_path: str = "costbench.toml", night: str | None = None, shards: int = 2,
                          shard_deployment: str = "costbench-nightly-shard/nightly-shard") -> str:
    """Fan the run out to ``shards`` worker runs, then land, price, gate and report it once."""
    cfg = load_config(config_path)
    run_at = night_of(night) if night else datetime.now(UTC)
    run_id = default_run_id(cfg, run_at)
    plan = shard_plan(sorted({m.provider for m in cfg.models}), shards)
    runs = await asyncio.gather(*(run_deployment(shard_deployment, timeout=3600, parameters={
        "config_path": config_path, "run_id": run_id, "run_at": run_at.isoformat(), "shard": name,
        "providers": providers}) for name, providers in plan.items()))
    failed = [r.name for r in runs if not r.state.is_completed()]
    if failed:
        raise RuntimeError(f"shard run(s) {', '.join(failed)} did not complete; re-run the night to resume them")
    land_task(config_path, run_id)
    price_task(config_path, run_id)
    print(quality_task(config_path, run_id))
    report_task(config_path)
    return run_id
