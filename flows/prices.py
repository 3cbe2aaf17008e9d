"""Daily price snapshot: import upstream prices (genai-prices) and record changes as new dated entries."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from costbench.config import load_config
from costbench.prices.importer import snapshot


@task
def snapshot_task(config_path: str, folder: str | None) -> list[str]:
    cfg = load_config(config_path)
    providers: dict[str, list[str]] = {}
    for m in cfg.models:
        providers.setdefault(m.provider, []).append(m.model)
    return snapshot(providers, folder or cfg.prices.imported, datetime.now(UTC).date())  # never into the package


@flow(name="costbench-prices", log_prints=True)
def prices(config_path: str = "costbench.toml", folder: str | None = None) -> list[str]:
    """Snapshot today's upstream prices for every configured model."""
    changes = snapshot_task(config_path, folder)
    create_markdown_artifact("## Price snapshot\n\n" + "\n".join(f"- {c}" for c in changes or ["no change"]),
                             key="costbench-prices")
    print(f"price snapshot: {len(changes)} change(s)")
    return changes
