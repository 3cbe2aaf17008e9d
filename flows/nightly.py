"""The nightly flow: run the catalog for every configured model → land → price → quality gate → report.

Each task is one call into the ``costbench`` library. Prefect retries only whole-step infrastructure
failures (a locked DuckDB file), never provider calls: the runner has its own per-call retries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from costbench.store import loader
from costbench.prices import pricing
from costbench.store import quality
from costbench.report import site as report
from costbench.config import load_config
from costbench.errors import StoreError
from costbench.pipeline import run_catalog
from costbench.run.runner import night_of
from costbench.run.baselines import run_baselines


def infrastructure_failure(task: object, task_run: object, state: object) -> bool:
    """Retry a step only when the store was busy (another process held the DuckDB file)."""
    try:
        state.result()  # type: ignore[attr-defined]
    except StoreError as exc:
        return "cannot open the database" in str(exc)
    except Exception:  # noqa: BLE001 - anything else is not an infrastructure hiccup
        return False
    return False


@task
def run_catalog_task(config_path: str, run_at: datetime) -> str:
    return run_catalog(load_config(config_path), run_at=run_at).run_id


@task
def baselines_task(config_path: str, run_id: str, run_at: datetime) -> int:
    return run_baselines(load_config(config_path), run_id, run_at).answered


@task(retries=3, retry_delay_seconds=10, retry_condition_fn=infrastructure_failure)
def land_task(config_path: str, run_id: str) -> int:
    return loader.load(load_config(config_path), run_id).inserted_calls


@task(retries=3, retry_delay_seconds=10, retry_condition_fn=infrastructure_failure)
def price_task(config_path: str, run_id: str) -> int:
    cfg = load_config(config_path)
    return pricing.price(cfg.paths.db, run_id, cfg)


@task(retries=3, retry_delay_seconds=10, retry_condition_fn=infrastructure_failure)
def quality_task(config_path: str, run_id: str) -> str:
    cfg = load_config(config_path)
    return quality.check(cfg.paths.db, run_id, cfg.quality.max_failed_share, cfg.run.db_lock_wait_s).summary()


@task(retries=3, retry_delay_seconds=10, retry_condition_fn=infrastructure_failure)
def report_task(config_path: str) -> str:
    cfg = load_config(config_path)
    return str(report.build(cfg.paths.db, cfg.paths.site).index)


@flow(name="costbench-nightly", log_prints=True)
def nightly(config_path: str = "costbench.toml", night: str | None = None) -> str:
    """One nightly run; ``night`` (YYYY-MM-DD) replays a past night against the emulator's clock.

    Re-running the same night resumes its run: landed calls are never sent again.
    """
    run_at = night_of(night) if night else datetime.now(UTC)
    run_id = run_catalog_task(config_path, run_at)
    baselines_task(config_path, run_id, run_at)
    landed = land_task(config_path, run_id)
    priced = price_task(config_path, run_id)
    verdict = quality_task(config_path, run_id)
    index = report_task(config_path)
    create_markdown_artifact(f"## costbench run `{run_id}`\n\n- calls landed: {landed}\n- calls priced: {priced}\n"
                             f"- quality: {verdict}\n- report: {index}", key="costbench-nightly")
    create_link_artifact(f"file://{index}", link_text="costbench report", key="costbench-report-link")
    print(f"run {run_id}: {verdict}; report {index}")
    return run_id
