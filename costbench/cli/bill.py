"""``costbench bill import|show`` and ``costbench whatif``: your own usage exports, re-priced and compared."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from costbench.cli.core import config_option
from costbench.config import load_config

_FORMATS = ["auto", "openrouter-csv", "openrouter-generation", "claude-code", "ccusage", "litellm-spendlogs",
            "anthropic-usage", "openai-usage", "ccr-usage", "csv"]
db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB file (default: paths.db).")
prices_option = click.option("--prices", "price_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                             help="An extra price file (same YAML as costbench/prices/*.yml; repeatable).")
output_option = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                             show_default=True)


def _db(config_path: str, db_path: str | None) -> Path:
    return Path(db_path) if db_path else load_config(config_path).paths.db


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


@click.group("bill")
def bill_group() -> None:
    """Import your own usage exports and re-price them at the dated price book."""


@bill_group.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="auto", show_default=True)
@click.option("--map", "map_path", type=click.Path(exists=True, dir_okay=False),
              help="Mapping file for --format csv (columns:, provider:, currency:) and model overrides (models:).")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows (each listed) instead of rejecting the whole file.")
@config_option
@db_option
@prices_option
def import_cmd(path: str, fmt: str, map_path: str | None, skip_bad: bool, config_path: str, db_path: str | None,
               price_files: tuple[str, ...]) -> None:
    """Import a usage export (file, or a Claude Code projects folder); importing it again adds nothing.

    Example: costbench bill import ~/Downloads/openrouter_activity.csv
    """
    from costbench.bills.importer import import_path
    from costbench.bills.repricing import load_pricer
    from costbench.store.db import opened

    pricer = load_pricer([Path(p) for p in price_files])
    with opened(_db(config_path, db_path)) as con:
        r = import_path(con, Path(path), fmt, mapping_path=Path(map_path) if map_path else None, skip_bad=skip_bad,
                        pricer=pricer)
    for line in r.skipped:
        click.echo(f"skipped: {line}", err=True)
    click.echo(f"{r.source_format}: {r.rows_read} rows read, {r.rows_added} added, "
               f"{r.rows_read - r.rows_added - r.rows_skipped} duplicates or already imported, {r.rows_skipped} skipped")
    if r.unmapped:
        click.echo(f"unmapped models (kept, not priced; add a models: entry to a --map file): {', '.join(r.unmapped)}")


@bill_group.command("show")
@click.option("--by", type=click.Choice(["day", "model", "source"]), default="model", show_default=True)
@output_option
@config_option
@db_option
@prices_option
def show_cmd(by: str, fmt: str, config_path: str, db_path: str | None, price_files: tuple[str, ...]) -> None:
    """Reported vs re-priced cost of the imported bills, the difference and its known causes.

    Example: costbench bill show --by day --format csv
    """
    from costbench.bills.repricing import load_pricer
    from costbench.bills.show import for_display, show
    from costbench.store import analytics
    from costbench.store.db import opened

    with opened(_db(config_path, db_path)) as con:
        table = show(con, by, load_pricer([Path(p) for p in price_files]))
    if fmt == "json":
        click.echo(json.dumps(_plain(table), indent=2))
    else:
        click.echo((analytics.to_csv if fmt == "csv" else analytics.to_table)(for_display(table)).rstrip("\n"))


def _whatif_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    actual = report["actual"]
    out = [{"model": "actual (as billed)", "cost_usd_same_tokens": actual["reported_usd"] or "not reported",
            "cost_usd": actual["repriced_usd"] or "not priced", "rows": actual["rows"], "token_ratio": "",
            "assumptions": "cost_usd = re-priced at the dated price book"}]
    for m in report["models"]:
        out.append({**m, "token_ratio": json.dumps(_plain(m["token_ratio"])) if m["token_ratio"] else "not measured",
                    "assumptions": " | ".join(m["assumptions"])})
    return out


@click.command("whatif")
@click.option("--model", "models", multiple=True, required=True, metavar="P/M", help="A target model (repeatable).")
@click.option("--source", help="Only rows of this export format or import id.")
@click.option("--category", "categories", multiple=True,
              help="Task categories your work resembles (for totals-only bills: the measured input/output mix).")
@output_option
@config_option
@db_option
@prices_option
def whatif_cmd(models: tuple[str, ...], source: str | None, categories: tuple[str, ...], fmt: str, config_path: str,
               db_path: str | None, price_files: tuple[str, ...]) -> None:
    """What the imported usage would have cost on other models, at the prices in force on each row's date.

    Example: costbench whatif --model deepseek/deepseek-chat --model openai/gpt-5-mini --format json
    """
    from costbench.bills.repricing import load_pricer
    from costbench.bills.whatif import whatif
    from costbench.store import analytics
    from costbench.store.db import opened

    with opened(_db(config_path, db_path)) as con:
        report = whatif(con, list(models), load_pricer([Path(p) for p in price_files]), source=source,
                        categories=list(categories))
    if fmt == "json":
        click.echo(json.dumps(_plain(report), indent=2))
    else:
        click.echo((analytics.to_csv if fmt == "csv" else analytics.to_table)(_whatif_table(report)).rstrip("\n"))


COMMANDS = [bill_group, whatif_cmd]
