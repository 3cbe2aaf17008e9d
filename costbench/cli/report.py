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
              help="DuckDB file (default: paths.db, else the demo's var/demo/costbench.duckdb).")
def report_cmd(config_path: str, out: str | None, db_path: str | None) -> None:
    """Render the static report site from the store.

    Example: costbench report --out site
    """
    from costbench.cli.readdb import read_db
    from costbench.report import site as report

    cfg = load_config(config_path)
    result = report.build(read_db(cfg, db_path), Path(out) if out else cfg.paths.site, cfg)
    click.echo(f"report: {result.index} ({result.pages} pages)")
    if result.headline:
        click.echo(result.headline)


COMMANDS = [report_cmd]
