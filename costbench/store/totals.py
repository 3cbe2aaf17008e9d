"""``task_totals``: per provider × model × task version sums over the runs that passed the gate (migration 0016).

task_stats reads it instead of scanning a year of ``daily_usage``. It is kept exact one run at a time: a run is
*folded* (its daily_usage sums added) when it is 'ok' and *unfolded* (the same sums subtracted, emptied rows
deleted) when it stops being 'ok' or before its daily_usage rows are rebuilt; ``task_totals_runs`` lists the
folded runs. The two callers are the only writers of what it sums: ``rollup.refresh_rollup`` (daily_usage) and
``db.set_run_status`` (runs.status). Every statement runs on ``con`` itself, inside the caller's transaction.
"""

from __future__ import annotations

import duckdb

from costbench.store.sqlfiles import sql_text


def is_folded(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether ``run_id``'s daily_usage rows are summed into task_totals."""
    found = con.execute("SELECT count(*) FROM task_totals_runs WHERE run_id = $run_id", {"run_id": run_id}).fetchone()
    return bool(found and found[0])


def fold(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Add the run's current daily_usage sums to task_totals and list it as folded."""
    con.execute(sql_text("staging/fold_task_totals"), {"run_id": run_id})
    con.execute("INSERT INTO task_totals_runs VALUES ($run_id)", {"run_id": run_id})


def unfold(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Subtract the run's current daily_usage sums from task_totals, drop emptied rows, and unlist it."""
    con.execute(sql_text("staging/unfold_task_totals"), {"run_id": run_id})
    con.execute(sql_text("staging/prune_task_totals"))
    con.execute("DELETE FROM task_totals_runs WHERE run_id = $run_id", {"run_id": run_id})


def unfold_if_folded(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Unfold the run if it is folded (call before its daily_usage rows are deleted)."""
    if is_folded(con, run_id):
        unfold(con, run_id)


def sync_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Fold the run if its status is 'ok' and it is not folded; unfold it if it is folded and no longer 'ok'."""
    found = con.execute("SELECT status = 'ok' FROM runs WHERE run_id = $run_id", {"run_id": run_id}).fetchone()
    ok = bool(found and found[0])
    folded = is_folded(con, run_id)
    if ok and not folded:
        fold(con, run_id)
    elif folded and not ok:
        unfold(con, run_id)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild task_totals from daily_usage over the runs that are 'ok' (migration 0016's backfill)."""
    con.execute("DELETE FROM task_totals")
    con.execute("DELETE FROM task_totals_runs")
    con.execute("INSERT INTO task_totals_runs SELECT run_id FROM runs WHERE status = 'ok'")
    con.execute("INSERT INTO task_totals BY NAME SELECT * FROM task_totals_rows()")
