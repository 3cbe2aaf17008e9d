"""The rollups analytics read instead of the raw tables, rebuilt one run at a time.

``daily_usage`` (run × model × task version × price entry), ``night_usage`` (run × model × price entry, with
failed calls and USD per usage field) and ``hourly_usage`` (run × model × UTC hour × time window). Each is
defined once, as a table macro in migration 0013; ``sql/staging/refresh_<table>.sql`` inserts one run's rows.
Landing refreshes them (so a landed, unpriced run shows its calls) and pricing refreshes them again. A run folded
into ``task_totals`` (costbench.store.totals) is unfolded before its daily_usage rows go and folded back after.
"""

from __future__ import annotations

import duckdb

from costbench.store import totals
from costbench.store.sqlfiles import sql_text

ROLLUPS = ("daily_usage", "night_usage", "hourly_usage")
_DELETE = {table: f"DELETE FROM {table} WHERE run_id = $run_id" for table in ROLLUPS}  # fixed names, never input


def refresh_rollup(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Rebuild every rollup's rows of one run from its calls, costs and grades (inside the caller's transaction)."""
    totals.unfold_if_folded(con, run_id)  # subtract the daily_usage rows about to be deleted
    for table in ROLLUPS:
        con.execute(_DELETE[table], {"run_id": run_id})
        con.execute(sql_text(f"staging/refresh_{table}"), {"run_id": run_id})
    totals.sync_run(con, run_id)  # add the new rows back if the run is 'ok'
