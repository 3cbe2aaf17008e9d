"""``costbench query NAME``: run any analytics query by name."""

from __future__ import annotations

import re
from typing import Any

import click

from costbench.cli.core import config_option
from costbench.config import load_config
from costbench.errors import ConfigError, StoreError, did_you_mean

_TYPES = {"INTEGER": (int, "an integer, e.g. 7"), "BIGINT": (int, "an integer, e.g. 7"),
          "DATE": (None, "a date, e.g. 2025-09-29")}
"""SQL casts of parameters (``$name::TYPE`` in the query) → the Python type expected and an example."""


def _check_types(name: str, values: dict[str, Any]) -> None:
    from costbench.store.db import sql_text

    for param, sql_type in re.findall(r"\$([a-z_]+)::([A-Z]+)", sql_text(f"analytics/{name}")):
        expected, example = _TYPES.get(sql_type, (None, ""))
        if param in values and expected is not None and not isinstance(values[param], expected):
            raise ConfigError(f"--param {param}={values[param]}: query {name!r} expects {example}")


def _params(params: tuple[str, ...]) -> dict[str, Any]:
    from costbench.store import analytics

    values = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param {item!r}: write KEY=VALUE, e.g. window_days=7")
        values[key] = analytics.parse_value(value)
    return values


def _list() -> None:
    from costbench.store import analytics

    for info in analytics.catalog().values():
        click.echo(f"{info.name}{' (' + ', '.join('$' + p for p in info.params) + ')' if info.params else ''}")
        for line in info.header:
            click.echo(f"    {line}")


@click.command("query")
@click.argument("name", required=False)
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="DuckDB file (default: paths.db, else the demo's var/demo/costbench.duckdb).")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: for reading (no interval keys); csv/json: every column, exact decimals.")
@click.option("--list", "list_only", is_flag=True, help="List the queries with their header lines.")
def query_cmd(name: str | None, config_path: str, db_path: str | None, params: tuple[str, ...], fmt: str,
              list_only: bool) -> None:
    """Run an analytics query (sql/analytics/NAME.sql) against the store.

    Example: costbench query price_changes --param window_days=7 --format csv
    """
    from costbench.cli.readdb import read_db
    from costbench.report.formatting import table
    from costbench.store import analytics
    from costbench.store.db import opened

    if list_only or not name:
        _list()
        return
    values = _params(params)
    if name not in analytics.catalog():  # before looking for a database: a typo is the first thing to fix
        raise StoreError(f"Unknown query {name!r}; see `costbench query --list`."
                         f"{did_you_mean(name, analytics.catalog())}")
    _check_types(name, values)
    cfg = load_config(config_path)
    with opened(read_db(cfg, db_path), read_only=True) as con:
        try:
            rows = analytics.run(con, name, values)
        except StoreError as exc:  # DuckDB's messages run over several lines: keep the first
            raise StoreError(str(exc).strip().splitlines()[0]) from None
    if fmt == "table":  # the kept intervals' keys (32 hex digits) are for tracing, in csv and json
        rows = [{k: v for k, v in r.items() if not k.endswith("_key")} for r in rows]
    render = {"table": table, "csv": analytics.to_csv, "json": analytics.to_json}[fmt]
    click.echo(render(rows))


COMMANDS = [query_cmd]
