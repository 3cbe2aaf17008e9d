"""The DuckDB store: connection, numbered migrations, named SQL queries, and the landing loader.

Raw tables (runs, calls, grades) are append-only and every row carries ``run_id``. SQL lives in
``sql/`` as one statement per file and is run by name with DuckDB named parameters (``$run_id``);
values are never formatted into SQL text.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from costbench.errors import StoreError, did_you_mean
from costbench.store import totals
from costbench.store.sqlfiles import SQL_DIR, sql_text

LOCK_POLL_S = 0.2
"""How often a connection waiting for another process's lock tries again."""
log = logging.getLogger("costbench.store")


def connect(db_path: str | Path, *, read_only: bool = False, wait_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (and create) the DuckDB file with offline-safe settings.

    DuckDB lets one process write a file, or several read it (``read_only``). When another process holds
    the lock, wait up to ``wait_s`` seconds (saying so once), then fail with one line naming the holder.
    """
    path = Path(db_path)
    memory = str(path) == ":memory:"
    if read_only and not memory and not path.exists():
        raise StoreError(f"{path}: no database yet; run `costbench run` first, or pass --db")
    if not memory and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_waiting(path, read_only, wait_s)
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _connect_waiting(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            holder = lock_holder(str(exc))
            if holder is None:  # not a lock: a damaged file, or not a DuckDB database at all
                raise StoreError(f"{path}: cannot open the database ({str(exc).splitlines()[0]}); pass --db with "
                                 "a costbench store") from None
            if time.monotonic() >= deadline:
                raise StoreError(f"{path}: cannot open the database (held by {holder}); another costbench process "
                                 "is using it: wait for it to finish and try again") from None
            if not told:
                log.warning("%s: the database is locked by %s; waiting up to %.0fs for it", path, holder, wait_s)
                told = True
            time.sleep(LOCK_POLL_S)


def lock_holder(message: str) -> str | None:
    """``"PID 1234"`` (or "another process") from DuckDB's lock-conflict error; None for other errors."""
    if "lock" not in message.lower():
        return None
    found = re.search(r"\(PID (\d+)\)", message)
    return f"PID {found.group(1)}" if found else "another process"


@contextmanager
def opened(db_path: str | Path, *, read_only: bool = False, wait_s: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager: a migrated connection (read-only ones are not migrated), closed at the end."""
    con = connect(db_path, read_only=read_only, wait_s=wait_s)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: committed at the end, rolled back (and re-raised) on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _pending_hint(con: duckdb.DuckDBPyConnection) -> str:
    """Why a table or macro may be missing: a store opened read-only is not migrated (empty when none is pending)."""
    try:
        done = {row[0] for row in con.execute("SELECT name FROM _costbench_migrations").fetchall()}
    except duckdb.Error:
        return "; not a costbench store (no migrations applied): pass --db with one"
    pending = [p.stem for p in migrations() if p.stem not in done]
    return (f"; this store predates {len(pending)} migration(s) ({pending[0]}…): run `costbench db migrate --db FILE`"
            if pending else "")


def migrations() -> list[Path]:
    """The migration files, in the order they apply."""
    return sorted((SQL_DIR / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations in order, each in one transaction; return the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _costbench_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT name FROM _costbench_migrations").fetchall()}
    applied = []
    for path in migrations():
        if path.stem in done:
            continue
        try:
            with transaction(con):
                con.execute(path.read_text(encoding="utf-8"))
                con.execute("INSERT INTO _costbench_migrations VALUES (?, ?)", [path.stem, datetime.now(UTC)])
        except duckdb.Error as exc:
            raise StoreError(f"{path}: migration failed: {exc}") from None
        applied.append(path.stem)
    return applied


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a named SQL file with named parameters; rows as dicts."""
    cur = con.cursor()
    try:
        result = cur.execute(sql_text(name), params or None)
        columns = [d[0] for d in result.description or []]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    except duckdb.CatalogException as exc:
        raise StoreError(f"sql/{name}.sql: {str(exc).splitlines()[0]}{_pending_hint(con)}") from None
    except duckdb.Error as exc:
        raise StoreError(f"sql/{name}.sql: {exc}") from None
    finally:
        cur.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run an inline statement (library-internal, parameters only); rows as dicts."""
    cur = con.cursor()
    try:
        result = cur.execute(sql, params)
        columns = [d[0] for d in result.description or []]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    finally:
        cur.close()


@dataclass(frozen=True)
class LoadResult:
    """What loading a run's landing shards did."""

    run_id: str
    shards: int
    lines: int
    inserted_calls: int
    inserted_grades: int


def set_run_status(con: duckdb.DuckDBPyConnection, run_id: str, status: str, reason: str | None = None) -> None:
    """Record a run's status (and why), and fold it into task_totals or out of it (inside the caller's transaction)."""
    con.execute(
        "UPDATE runs SET status = ?, status_reason = ?, finished_at = coalesce(finished_at, ?) WHERE run_id = ?",
        [status, reason, datetime.now(UTC), run_id],
    )
    totals.sync_run(con, run_id)  # task_stats sums the runs that are 'ok'


def run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The runs row of ``run_id``; unknown ids get a "did you mean"."""
    found = rows(con, "SELECT * FROM runs WHERE run_id = ?", [run_id])
    if not found:
        known = [r["run_id"] for r in rows(con, "SELECT run_id FROM runs")]
        raise StoreError(f"Unknown run {run_id!r}.{did_you_mean(run_id, known)}")
    return found[0]


def to_json(value: Any) -> str | None:
    """JSON text for a JSON column (None stays NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)
