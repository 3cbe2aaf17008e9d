"""``costbench query NAME``: run any analytics query by name."""

from __future__ import annotations

from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config
from costbench.errors import ConfigError, did_you_mean


@click.command("query")
@click.argument("name", required=False)
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB file (default: paths.db; the demo's is var/demo/costbench.duckdb).")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--list", "list_only", is_flag=True, help="List the queries with their header lines.")
def query_cmd(name: str | None, config_path: str, db_path: str | None, params: tuple[str, ...], fmt: str, list_only: bool) -> None:
    """Run an analytics query (sql/analytics/NAME.sql) against the store.

    Example: costbench query price_changes --param window_days=7 --format csv
    """
    from costbench.store import analytics
    from costbench.store.db import opened

    if list_only or not name:
        for info in analytics.catalog().values():
            click.echo(f"{info.name}{' (' + ', '.join('$' + p for p in info.params) + ')' if info.params else ''}")
            for line in info.header:
                click.echo(f"    {line}")
        return
    values = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param {item!r}: write KEY=VALUE, e.g. window_days=7")
        values[key] = analytics.parse_value(value)
    if name not in analytics.catalog():  # named before the store is opened: a typo needs no database
        known = analytics.catalog()
        raise ConfigError(f"Unknown query {name!r}; see `costbench query --list`.{did_you_mean(name, known)}")
    cfg = load_config(config_path)
    with opened(Path(db_path) if db_path else cfg.paths.db, read_only=True) as con:
        rows = analytics.run(con, name, values)
    render = {"table": analytics.to_table, "csv": analytics.to_csv, "json": analytics.to_json}[fmt]
    click.echo(render(rows))


COMMANDS = [query_cmd]
