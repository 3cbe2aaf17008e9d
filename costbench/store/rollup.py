"""The rollups analytics read instead of the raw tables, rebuilt one run at a time.

``daily_usage`` (run × model × task version × price entry), ``night_usage`` (run × model × price entry, with
failed calls and USD per usage field) and ``hourly_usage`` (run × model × UTC hour × time window). Each is
defined once, as a table macro in migration 0013; ``sql/staging/refresh_<table>.sql`` inserts one run's rows.
Landing refreshes them (so a landed, unpriced run shows its calls) and pricing refreshes them again.
"""

from __future__ import annotations

import duckdb

from costbench.store.db import sql_text

ROLLUPS = ("daily_usage", "night_usage", "hourly_usage")
_DELETE = {table: f"DELETE FROM {table} WHERE run_id = $run_id" for table in ROLLUPS}  # fixed names, never input


def refresh_rollup(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Rebuild every rollup's rows of one run from its calls, costs and grades (inside the caller's transaction)."""
    for table in ROLLUPS:
        con.execute(_DELETE[table], {"run_id": run_id})
        con.execute(sql_text(f"staging/refresh_{table}"), {"run_id": run_id})
