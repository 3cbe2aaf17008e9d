"""``costbench quality RUN_ID``: the data-quality verdict of a run and each check's result."""

from __future__ import annotations

import json

from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config


@click.command("quality")
@click.argument("run_id")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB file (default: paths.db; the demo's is var/demo/costbench.duckdb).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--recheck", is_flag=True, help="Run the checks again now (and update the run's status).")
def quality_cmd(run_id: str, config_path: str, db_path: str | None, as_json: bool, recheck: bool) -> None:
    """Show why a run passed or was quarantined (status failed_quality).

    Example: costbench quality 20250929T0200-3a435d
    """
    from costbench.store import quality
    from costbench.store.db import opened, run_row

    cfg = load_config(config_path)
    with opened(Path(db_path) if db_path else cfg.paths.db, read_only=not recheck) as con:  # several readers at once
        run = run_row(con, run_id)
        if recheck:
            quality.check_run(con, run_id, cfg.quality.max_failed_share)
            run = run_row(con, run_id)
        results = quality.results(con, run_id)
    if as_json:
        click.echo(json.dumps({"run_id": run_id, "status": run["status"], "reason": run["status_reason"],
                               "checks": results}, indent=2, default=str))
        return
    click.echo(f"run {run_id}: {run['status']}" + (f" ({run['status_reason']})" if run["status_reason"] else ""))
    for r in results:
        verdict = "ok  " if r["passed"] else "WARN" if r["kind"] == "warn" else "FAIL"
        click.echo(f"  {verdict} {r['kind']:<5} {r['check_name']}"
                   + (f": {r['detail']}" if r["detail"] else ""))


COMMANDS = [quality_cmd]
