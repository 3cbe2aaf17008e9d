"""The nightly sequence as plain function calls: run → land → price → quality gate → report.

Prefect flows in ``flows/`` call the same steps one task each; the CLI (``costbench run``,
``costbench demo``) calls them directly. The run path never starts the emulator (it is a provider, not a
part of the runner): :func:`run_catalog` here starts one when an emulated provider has no URL, and passes
its URL down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from costbench.store import loader
from costbench.prices import pricing
from costbench.store import quality
from costbench.report import site as report
from costbench.report.formatting import usd
from costbench.config import Config, Paths
from costbench.store.quality import QualityReport
from costbench.run import runner
from costbench.run.runner import RunResult, night_of
from costbench.run.baselines import run_baselines
from costbench.store.db import LoadResult

log = logging.getLogger("costbench")


@dataclass
class NightResult:
    """What one pass of the pipeline did."""

    run: RunResult
    load: LoadResult
    priced_calls: int
    quality: QualityReport


@contextmanager
def emulator_for(cfg: Config, emulator_url: str | None = None) -> Iterator[str | None]:
    """The emulator URL a run uses: the given one, ``[emulator] url``, or a child process started here.

    A child process (``costbench emulator serve``), so the emulator and the runner use two cores and the
    runner's processes may fork without an emulator thread in them. None when no provider is emulated.
    """
    url = emulator_url or cfg.emulator.url
    if url or not any(cfg.provider(m.provider).emulated for m in cfg.models):
        yield url
        return
    from costbench.emulator import EmulatorConfig, EmulatorProcess

    config = EmulatorConfig(seed=cfg.emulator.seed, latency_ms=cfg.emulator.latency_ms, catalog_dir=cfg.paths.catalog)
    with EmulatorProcess(config) as emulator:
        yield emulator.url


def run_catalog(cfg: Config, *, emulator_url: str | None = None, **kwargs: Any) -> RunResult:
    """:func:`costbench.run.runner.run_catalog` with an emulator started when one is needed."""
    with emulator_for(cfg, emulator_url) as url:
        return runner.run_catalog(cfg, emulator_url=url, **kwargs)


def run_night(cfg: Config, run_at: datetime | None = None, run_id: str | None = None,
              emulator_url: str | None = None, quiet: bool = False) -> NightResult:
    """Run the catalog, land it, price it and gate it (the report is separate)."""
    from costbench.run.progress import make_progress

    result = run_catalog(cfg, run_at=run_at, run_id=run_id, emulator_url=emulator_url,
                         progress=make_progress(0, "", quiet=True) if quiet else None)
    run_baselines(cfg, result.run_id, result.run_at)  # local functions: their own step, never the HTTP runner
    landed = loader.load(cfg, result.run_id)
    priced = pricing.price(cfg.paths.db, result.run_id, cfg)  # with [prices] paths and price_as
    gate = quality.check(cfg.paths.db, result.run_id, cfg.quality.max_failed_share, cfg.run.db_lock_wait_s)
    return NightResult(result, landed, priced, gate)


def demo_config(cfg: Config, root: Path) -> Config:
    """The config with its data under ``root`` (demo data never mixes with real runs)."""
    paths = Paths(db=root / "costbench.duckdb", landing=root / "landing", site=cfg.paths.site, catalog=cfg.paths.catalog)
    return cfg.model_copy(update={"paths": paths})


def nights(start: date, count: int) -> list[datetime]:
    """``count`` consecutive nightly run times from ``start``."""
    return [night_of(datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=i)) for i in range(count)]


def replay(cfg: Config, start: date, count: int, emulator_url: str | None = None) -> list[NightResult]:
    """Replay ``count`` nights with the emulator's clock, then render the report."""
    results = []
    for at in nights(start, count):
        night = run_night(cfg, run_at=at, emulator_url=emulator_url, quiet=True)
        log.info("night %s: %d calls, %s, quality %s", at.date(), night.run.sent_calls + night.run.skipped_calls,
                 usd(night.run.spent_usd), "ok" if night.quality.passed else "FAILED")
        results.append(night)
    report.build(cfg.paths.db, cfg.paths.site, cfg)
    return results
