"""Benchmark calls for the what-if tests: the same prompts sent to two models, and task categories."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

AT = datetime(2025, 6, 1, tzinfo=UTC)


def add_run(con: duckdb.DuckDBPyConnection, run_id: str = "r1") -> None:
    con.execute("INSERT INTO runs VALUES (?, ?, ?, NULL, 'ok', NULL, 'cfg', 'cat1', 'pb1', true, 5)", [run_id, AT, AT])


def add_call(con: duckdb.DuckDBPyConnection, call_id: str, provider: str, model: str, task: str, category: str,
             case: str, tokens_in: int, tokens_out: int, run_id: str = "r1") -> None:
    """One successful call: ``tokens_in`` uncached input, ``tokens_out`` output."""
    con.execute(
        """INSERT INTO calls VALUES (?, ?, 'main', ?, ?, 'x', ?, 1, ?, ?, 0, 0, true, ?, 10, 1, 'ok', 200, NULL, 'a',
           ?, 0, 0, 0, ?, 0, NULL, NULL, NULL, NULL, true, ?, NULL, NULL)""",  # charged_usd, cost_estimate
        [call_id, run_id, provider, model, task, category, case, AT, tokens_in, tokens_out, AT])
