"""The nightly flow: run the catalog for every configured model → land → price → quality gate → report.

Each task is one call into the ``costbench`` library; Prefect retries only whole-step infrastructure
failures (the runner has its own per-call retries, so they never stack).
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task

from costbench import loader, pricing, quality, report
from costbench.config import Config, load_config
from costbench.runner import night_of, run_catalog


@task
def run_catalog_task(cfg: Config, run_at: datetime) -> str:
    return run_catalog(cfg, run_at=run_at).run_id


@task(retries=2, retry_delay_seconds=5)
def land_task(cfg: Config, run_id: str) -> int:
    return loader.load(cfg, run_id).inserted_calls


@task
def price_task(cfg: Config, run_id: str) -> int:
    return pricing.price(cfg.paths.db, run_id)


@task
def quality_task(cfg: Config, run_id: str) -> bool:
    return quality.check(cfg.paths.db, run_id).passed


@task
def report_task(cfg: Config) -> str:
    return str(report.build(cfg.paths.db, cfg.paths.site).index)


@flow(name="costbench-nightly", log_prints=True)
def nightly(config_path: str = "costbench.toml", night: str | None = None) -> str:
    """One nightly run; ``night`` (YYYY-MM-DD) replays a past night against the emulator's clock."""
    cfg = load_config(config_path)
    run_at = night_of(night) if night else None
    run_id = run_catalog_task(cfg, run_at or datetime.now().astimezone())
    land_task(cfg, run_id)
    price_task(cfg, run_id)
    passed = quality_task(cfg, run_id)
    index = report_task(cfg)
    print(f"run {run_id}: quality {'ok' if passed else 'FAILED'}; report {index}")
    return run_id
