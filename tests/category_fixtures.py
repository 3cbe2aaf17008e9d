"""Hand-made rows for the per-category and routing tests: every figure is set here, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb

from tests.sql_fixtures import add_run, rollup

D = Decimal
NIGHT = datetime(2025, 9, 22, 2, tzinfo=UTC)


def add_attempts(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, model: str, task: str, category: str,
                 outcomes: list[bool], usd_each: Decimal, tokens_each: int = 100) -> None:
    """One final-turn call per outcome, each costing ``usd_each`` with ``tokens_each`` input tokens and 10 output."""
    provider, name = model.split("/", 1)
    for i, passed in enumerate(outcomes):
        cid = f"{run_id}-{model}-{task}-{i}"
        con.execute(
            """INSERT INTO calls VALUES (?, ?, 'main', ?, ?, 'x', ?, 1, ?, ?, 0, 0, true, ?, 10, 1, 'ok', 200, NULL, 'a',
               ?, 0, 0, 0, 10, 0, NULL, NULL, NULL, NULL, true, ?)""",
            [cid, run_id, provider, name, task, category, f"c{i}", at, tokens_each, at])
        con.execute("INSERT INTO costs VALUES (?, ?, 'e', 'pb1', 'USD', 0, 0, 0, 0, 0, 0, ?, 1, ?, NULL, NULL, NULL, false, ?)",
                    [cid, run_id, usd_each, usd_each, at])
        con.execute("INSERT INTO grades VALUES (?, ?, 'exact', ?, ?, 'r')", [cid, run_id, float(passed), passed])


def nights(con: duckdb.DuckDBPyConnection, count: int, start: datetime = NIGHT) -> list[tuple[str, datetime]]:
    """``count`` ok runs one day apart, plus an old run 40 days before (outside a 14-day window) and a quarantined one."""
    out = [(f"r{i}", start + timedelta(days=i)) for i in range(count)]
    for run_id, at in out:
        add_run(con, run_id, at)
    add_run(con, "old", start - timedelta(days=40))
    add_run(con, "bad", start + timedelta(days=1), status="failed_quality")
    return out


def finish(con: duckdb.DuckDBPyConnection) -> None:
    rollup(con)
