"""``costbench report``: render the static site."""

from __future__ import annotations

from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config


@click.command("report")
@config_option
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default: paths.site).")
def report_cmd(config_path: str, out: str | None) -> None:
    """Render the static report site from the store.

    Example: costbench report --out site
    """
    from costbench import report

    cfg = load_config(config_path)
    result = report.build(cfg.paths.db, Path(out) if out else cfg.paths.site)
    click.echo(f"report: {result.index}")


COMMANDS = [report_cmd]
