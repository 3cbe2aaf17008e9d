"""Run the nightly sequence for every night of a date range (e.g. after adding a model)."""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow

from flows.nightly import nightly


@flow(name="costbench-backfill", log_prints=True)
def backfill(config_path: str = "costbench.toml", start: str = "2025-09-22", end: str = "2025-09-23") -> list[str]:
    """One nightly run per night from ``start`` to ``end`` (inclusive); landed nights are resumed, not re-sent."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [nightly(config_path=config_path, night=d.isoformat()) for d in days]
