"""Recompute the costs of stored runs after a price-book change (nothing is re-run)."""

from __future__ import annotations

from datetime import date

from prefect import flow, task

from costbench.prices import pricing
from costbench.config import load_config
from costbench.store.db import opened


@task
def reprice_task(config_path: str, since: str) -> dict[str, int]:
    cfg = load_config(config_path)
    with opened(cfg.paths.db) as con:
        return pricing.reprice(con, date.fromisoformat(since))


@flow(name="costbench-reprice", log_prints=True)
def reprice(config_path: str = "costbench.toml", since: str = "2024-01-01") -> int:
    """Re-price every run on or after ``since`` (YYYY-MM-DD)."""
    done = reprice_task(config_path, since)
    print(f"re-priced {sum(done.values())} calls in {len(done)} run(s)")
    return sum(done.values())
