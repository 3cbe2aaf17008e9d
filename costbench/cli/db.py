"""``costbench db migrate|status``."""

from __future__ import annotations

import sys

import click

from costbench.cli.core import config_option
from costbench.config import load_config
from costbench.store.db import connect, migrate as apply_migrations, migrations, rows


@click.group("db")
def db_group() -> None:
    """The DuckDB store."""


@db_group.command("migrate")
@config_option
def migrate(config_path: str) -> None:
    """Apply pending migrations from sql/migrations/.

    Example: costbench db migrate
    """
    cfg = load_config(config_path)
    con = connect(cfg.paths.db)
    try:
        applied = apply_migrations(con)
    finally:
        con.close()
    click.echo(f"{cfg.paths.db}: applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))


@db_group.command("status")
@config_option
def status(config_path: str) -> None:
    """Show applied and pending migrations and row counts.

    Example: costbench db status
    """
    cfg = load_config(config_path)
    con = connect(cfg.paths.db)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS _costbench_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
        done = {r["name"] for r in rows(con, "SELECT name FROM _costbench_migrations")}
        for path in migrations():
            click.echo(f"{'applied' if path.stem in done else 'pending'}  {path.stem}")
    finally:
        con.close()


@db_group.command("load")
@click.argument("run_id")
@config_option
def load(run_id: str, config_path: str) -> None:
    """Load a run that is only in the landing journal into DuckDB, then price and gate it (safe to repeat).

    Example: costbench db load 20250929T0200-3a435d
    """
    from costbench.prices import pricing
    from costbench.store import loader, quality

    cfg = load_config(config_path)
    loaded = loader.load(cfg, run_id)
    priced = pricing.price(cfg.paths.db, run_id)
    gate = quality.check(cfg.paths.db, run_id, max_failed_share=cfg.quality.max_failed_share)
    click.echo(f"run {run_id}: landed {loaded.inserted_calls} new call rows into {cfg.paths.db}; priced {priced}")
    click.echo(f"  {gate.summary()}")
    if not gate.passed:
        sys.exit(1)


COMMANDS = [db_group]
