"""Render the static report site from the store."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_link_artifact

from costbench.report import site as report
from costbench.config import load_config


@task(retries=1, retry_delay_seconds=5)
def render_task(config_path: str) -> str:
    cfg = load_config(config_path)
    return str(report.build(cfg.paths.db, cfg.paths.site).index)


@flow(name="costbench-report", log_prints=True)
def report_flow(config_path: str = "costbench.toml") -> str:
    """Render site/ and publish a link to it."""
    index = render_task(config_path)
    create_link_artifact(f"file://{index}", link_text="costbench report", key="costbench-report")
    print(f"report: {index}")
    return index
