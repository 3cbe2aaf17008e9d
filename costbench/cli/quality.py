"""``costbench quality RUN_ID``: the data-quality verdict of a run and each check's result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from costbench.cli.core import config_option
from costbench.config import Config, load_config
from costbench.errors import StoreError


def _run(cfg: Config, path: Path, run_id: str, recheck: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from costbench.store import quality
    from costbench.store.db import opened, rows, run_row

    with opened(path, read_only=not recheck) as con:  # several readers at once
        try:
            run = run_row(con, run_id)
        except StoreError as exc:
            latest = [r["run_id"] for r in rows(con, "SELECT run_id FROM runs ORDER BY run_at DESC LIMIT 3")]
            raise StoreError(f"{exc} (in {path}){_hint(cfg, path, latest)}") from None
        if recheck:
            quality.check_run(con, run_id, cfg.quality.max_failed_share)
            run = run_row(con, run_id)
        return run, quality.results(con, run_id)


def _hint(cfg: Config, path: Path, latest: list[str]) -> str:
    from costbench.cli.readdb import other_db

    other = other_db(path, cfg)
    hint = f" Latest runs there: {', '.join(latest)}." if latest else " That database has no runs."
    return hint + (f" Another store exists: pass --db {other}" if other else "")


@click.command("quality")
@click.argument("run_id")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="DuckDB file (default: paths.db, else the demo's var/demo/costbench.duckdb).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--recheck", is_flag=True, help="Run the checks again now (and update the run's status).")
def quality_cmd(run_id: str, config_path: str, db_path: str | None, as_json: bool, recheck: bool) -> None:
    """Show why a run passed or was quarantined (status failed_quality).

    Example: costbench quality 20250929T0200-3a435d
    """
    from costbench.cli.readdb import read_db

    cfg = load_config(config_path)
    run, results = _run(cfg, read_db(cfg, db_path), run_id, recheck)
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
