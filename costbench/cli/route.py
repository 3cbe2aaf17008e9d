"""``costbench route``: which model for which job, as a table, JSON or a Claude Code Router config."""

from __future__ import annotations

import json
from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config
from costbench.errors import ConfigError


@click.command("route")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="DuckDB file (default: paths.db; the demo's is var/demo/costbench.duckdb).")
@click.option("--bar", default=0.8, show_default=True, type=click.FloatRange(0, 1),
              help="Minimum lower bound (95 % Wilson) of the success rate.")
@click.option("--window", "window_days", default=14, show_default=True, type=click.IntRange(1, 3660),
              help="Days of runs to use, counted back from the latest run.")
@click.option("--min-solved", default=10, show_default=True, type=click.IntRange(1),
              help="Solved cases a candidate needs before it is judged at all.")
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "ccr-v1", "ccr-v3"]))
@click.option("--monthly-tokens", default=15_000_000, show_default=True, type=click.IntRange(1),
              help="Your monthly volume, for the saving line of the table.")
@click.option("--reference", default="anthropic/claude-sonnet-4", show_default=True,
              help="The model you would otherwise route everything to (for the saving line).")
def route_cmd(config_path: str, db_path: str | None, bar: float, window_days: int, min_solved: int, fmt: str,
              monthly_tokens: int, reference: str) -> None:
    """Recommend the cheapest model that does each role's job well enough ([roles] in costbench.toml).

    Example: costbench route --db var/demo/costbench.duckdb --bar 0.8 --format ccr-v1 > config.json
    """
    from costbench import route, route_formats
    from costbench.store.db import opened

    cfg = load_config(config_path)
    with opened(Path(db_path) if db_path else cfg.paths.db) as con:
        rec = route.recommend(con, cfg.roles, bar=bar, window_days=window_days, min_solved=min_solved)
    try:
        if fmt == "table":
            click.echo(route_formats.to_table(rec))
            click.echo(_saving_line(route.monthly_saving(rec, reference, monthly_tokens), reference, monthly_tokens))
        elif fmt == "json":
            click.echo(json.dumps(route_formats.to_json(rec), indent=2))
        elif fmt == "ccr-v1":
            click.echo(json.dumps(route_formats.ccr_v1(rec, cfg), indent=2))
        else:
            click.echo("\n".join("// " + line for line in route_formats.v3_comment(rec)))
            click.echo(json.dumps(route_formats.ccr_v3(rec, cfg), indent=2))
    except ValueError as exc:
        raise ConfigError(f"costbench route --format {fmt}: {exc}") from None


def _saving_line(saving: tuple | None, reference: str, tokens: int) -> str:
    if saving is None:
        return f"saving vs routing everything to {reference}: — (no data on {reference} for every role)"
    before, after = saving
    return (f"at {tokens:,} tokens/month: ${before:,.2f} routing everything to {reference}, ${after:,.2f} as "
            f"recommended (roles without a recommendation stay on it): saving ${before - after:,.2f}/month")


COMMANDS = [route_cmd]
