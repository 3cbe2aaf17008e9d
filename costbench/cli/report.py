"""``costbench report``: render the static site."""

from __future__ import annotations

from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config


@click.command("report")
@config_option
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default: paths.site).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="DuckDB file (default: paths.db; the demo's is var/demo/costbench.duckdb).")
def report_cmd(config_path: str, out: str | None, db_path: str | None) -> None:
    """Render the static report site from the store.

    Example: costbench report --out site
    """
    from costbench.report import site as report

    cfg = load_config(config_path)
    result = report.build(Path(db_path) if db_path else cfg.paths.db, Path(out) if out else cfg.paths.site, cfg)
    click.echo(f"report: {result.index}")


COMMANDS = [report_cmd]
