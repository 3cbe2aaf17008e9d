"""``costbench db migrate|status|load|check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from costbench.cli.core import config_option
from costbench.config import load_config
from costbench.errors import StoreError
from costbench.store.db import connect, migrate as apply_migrations, migrations, rows


@click.group("db")
def db_group() -> None:
    """The DuckDB store."""


@db_group.command("migrate")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB file (default: paths.db).")
def migrate(config_path: str, db_path: str | None) -> None:
    """Apply pending migrations from sql/migrations/ (creates the database file if needed).

    Example: costbench db migrate
    """
    path = Path(db_path) if db_path else load_config(config_path).paths.db
    con = connect(path)
    try:
        applied = apply_migrations(con)
    finally:
        con.close()
    click.echo(f"{path}: applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))


def _counts(path: Path) -> tuple[set[str], dict[str, int]]:
    """Applied migrations and row count per table, read without writing anything."""
    con = connect(path, read_only=True)
    try:
        tables = [r["table_name"] for r in rows(con, "SELECT table_name FROM duckdb_tables() "
                                                     "WHERE schema_name = 'main' ORDER BY table_name")]
        done = ({r["name"] for r in rows(con, "SELECT name FROM _costbench_migrations")}
                if "_costbench_migrations" in tables else set())
        counts = {t: con.table(t).aggregate("count(*)").fetchall()[0][0] for t in tables if not t.startswith("_")}
    finally:
        con.close()
    return done, counts


@db_group.command("status")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="DuckDB file (default: paths.db, else the demo's var/demo/costbench.duckdb).")
def status(config_path: str, db_path: str | None) -> None:
    """Show applied and pending migrations and the row count of every table.

    Example: costbench db status --db var/demo/costbench.duckdb
    """
    from costbench.cli.readdb import read_db

    path = read_db(load_config(config_path), db_path)
    done, counts = _counts(path)
    click.echo(f"{path}:")
    for migration in migrations():
        click.echo(f"  {'applied' if migration.stem in done else 'pending'}  {migration.stem}")
    width = max((len(t) for t in counts), default=0)
    for table, count in counts.items():
        click.echo(f"  {table:<{width}}  {count:>12,} rows")


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


@db_group.command("check")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB file (default: paths.db).")
@click.option("--repair", is_flag=True, help="Rebuild what differs from a full recompute.")
def check(config_path: str, db_path: str | None, repair: bool) -> None:
    """Check the kept sums against a full recompute: task_totals (what task_stats reads) over the runs that passed.

    Exit code 1 when they differ (and --repair was not given). Example: costbench db check --repair
    """
    from costbench.store import totals
    from costbench.store.db import opened, query, transaction

    cfg = load_config(config_path)
    path = Path(db_path) if db_path else Path(cfg.paths.db)
    if not path.is_file():
        raise StoreError(f"{path}: no database to check; pass --db FILE or run `costbench run` first")
    # a check writes nothing; --repair migrates the store and rebuilds
    with opened(path, read_only=not repair, wait_s=cfg.run.db_lock_wait_s) as con:
        (found,) = query(con, "staging/task_totals_drift")  # 0 and 0: exact
        runs, differing = found["runs_differing"], found["rows_differing"]
        if (runs or differing) and repair:
            with transaction(con):
                totals.rebuild(con)
            click.echo(f"task_totals: {runs} run(s) and {differing} row(s) differed from a full recompute; rebuilt")
            return
    if runs or differing:
        raise StoreError(f"task_totals: {runs} run(s) folded wrongly and {differing} row(s) differ from a full "
                         "recompute; run `costbench db check --repair` to rebuild it")
    click.echo("task_totals: exact (equal to a full recompute over the runs that passed the gate)")


COMMANDS = [db_group]
