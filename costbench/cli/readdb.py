"""Which DuckDB file a read command uses: ``--db``, else the config's, else the demo's; never a new empty one."""

from __future__ import annotations

from pathlib import Path

import click

from costbench.config import Config
from costbench.errors import ConfigError

DEMO_DB = Path("var/demo/costbench.duckdb")
"""Where ``costbench demo`` keeps its store (relative to the working directory, like its --data default)."""


def read_db(cfg: Config, db_path: str | None) -> Path:
    """The store to read; a missing file is one clear line that says which ``--db`` to pass."""
    if db_path:
        path = Path(db_path)
        if not path.is_file():
            raise ConfigError(f"--db {db_path}: no such database; {_hint(cfg)}")
        return path
    if Path(cfg.paths.db).is_file():
        return Path(cfg.paths.db)
    if DEMO_DB.is_file():
        click.echo(f"(no run database at {cfg.paths.db}; reading the demo's {DEMO_DB})", err=True)
        return DEMO_DB
    raise ConfigError(f"No database at {cfg.paths.db}: {_hint(cfg)}")


def _hint(cfg: Config) -> str:
    return ("run `costbench run` (or `costbench demo`, which writes var/demo/costbench.duckdb) first, "
            f"or pass --db FILE (the config's store is {cfg.paths.db})")


def other_db(current: Path, cfg: Config) -> Path | None:
    """The other store a user may have meant (the demo's or the config's), if it exists."""
    for candidate in (Path(cfg.paths.db), DEMO_DB):
        if candidate.is_file() and candidate.resolve() != current.resolve():
            return candidate
    return None
