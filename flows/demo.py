"""The demo as a flow: replay nights against the emulator's clock and render the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, task

from costbench import pipeline
from costbench.config import load_config
from costbench.emulator import EmulatorConfig, EmulatorProcess


@task
def replay_task(config_path: str, start: str, nights: int, data: str) -> int:
    cfg = pipeline.demo_config(load_config(config_path), Path(data).resolve())
    config = EmulatorConfig(seed=cfg.emulator.seed, catalog_dir=cfg.paths.catalog)
    with EmulatorProcess(config) as emulator:
        return len(pipeline.replay(cfg, date.fromisoformat(start), nights, emulator_url=emulator.url))


@flow(name="costbench-demo", log_prints=True)
def demo(config_path: str = "costbench.toml", start: str = "2025-09-22", nights: int = 14, data: str = "var/demo") -> int:
    """Replay ``nights`` nights from ``start``."""
    done = replay_task(config_path, start, nights, data)
    print(f"demo: {done} nights replayed")
    return done
