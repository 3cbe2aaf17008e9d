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
    """One final-turn call per outcome (the passes first), each costing ``usd_each``, with ``tokens_each`` input
    tokens and 10 output tokens. Three set-based inserts: row-by-row inserts made the fixtures take seconds."""
    provider, name = model.split("/", 1)
    args = {"run": run_id, "prefix": f"{run_id}-{model}-{task}-", "provider": provider, "model": name, "task": task,
            "category": category, "at": at, "tokens": tokens_each, "n": len(outcomes), "usd": usd_each,
            "solved": sum(outcomes)}
    con.execute("""INSERT INTO calls SELECT $prefix || i, $run, 'main', $provider, $model, 'x', $task, 1, $category,
                   'c' || i, 0, 0, true, $at, 10, 1, 'ok', 200, NULL, 'a', $tokens, 0, 0, 0, 10, 0, NULL, NULL, NULL,
                   NULL, true, $at, NULL, NULL FROM range($n) t(i)""", {k: args[k] for k in
                   ("prefix", "run", "provider", "model", "task", "category", "at", "tokens", "n")})
    con.execute("""INSERT INTO costs SELECT $prefix || i, $run, 'e', 'pb1', 'USD', 0, 0, 0, 0, 0, 0, $usd, 1, $usd,
                   NULL, NULL, NULL, false, $at, false, NULL, NULL FROM range($n) t(i)""", {k: args[k] for k in ("prefix", "run", "usd", "at", "n")})
    con.execute("""INSERT INTO grades SELECT $prefix || i, $run, 'exact', (i < $solved)::DOUBLE, i < $solved, 'r'
                   FROM range($n) t(i)""", {k: args[k] for k in ("prefix", "run", "solved", "n")})


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
